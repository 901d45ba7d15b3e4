"""Spoken dev set: short customer turns heard as a call hears them, with the errors sorted by cause.

The set (benchmarks/data/spoken_dev/<lang>.tsv) is a development set: the hearing of short zh turns
is tuned on it, so its figures flatter that work (the held-out judge is benchmarks/nlu_spoken3.py).
Each line goes through the same path as spoken set 3, imported from it: the product's voice in three
conditions, G.711 μ-law, Whisper base with the answers the call expects at the line's state (as
``asr.closed_set`` says), and the sample plan's own dialogue at that state. Rendered audio is kept
in the cache folder; recognition runs every time (it is what changes).

A miss is put in one bucket: ``empty`` (no words), ``closed_set`` (an expected answer chosen by
sound was the wrong one), ``phonetic`` (the transcript was taken as the wrong expected answer by
its pinyin), ``classifier`` (heard right, understood wrong) or ``misheard`` (the free decode was
wrong and nothing rescued it; ``misheard_in_candidates`` counts those whose words were among the
state's expected answers).

Usage: .venv/bin/python benchmarks/spoken_dev.py --label NAME [--closed-set all] [--reuse LABEL]
Writes the run under its label in benchmarks/results/spoken_dev.json (other labels are kept).
Costs are wall-clock on a shared machine: read them as measured under load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import zlib
from pathlib import Path

import numpy as np
from nlu_spoken3 import CONDITIONS, LOCALES, evaluate, key, line_voice, on_the_line, plan_factory, recognise, rows

from voicebot.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "benchmarks/data/spoken_dev"
OUT = ROOT / "benchmarks/results/spoken_dev.json"
# What each clip was heard as (with the probe's scores: megabytes), for --reuse and --replay: a local
# cache beside the models, not a result to commit.
HEARD = Path(os.environ.get("VOICEBOT_BENCH_CACHE", Path.home() / ".cache/voicebot/bench")) / "spoken_dev_heard.json"
_PLAIN = re.compile(r"[\s，。？！、,.?!…]+")


def rendered(settings, lang: str, cond: str, text: str, voices: dict) -> np.ndarray:
    """The line on the phone, from the cache when it was rendered before (the noise seed is stable)."""
    scale, snr = CONDITIONS[cond]
    folder = Path(settings.paths.cache_dir) / "spoken_dev"
    path = folder / f"{lang}-{cond}-{zlib.crc32(text.encode()):08x}.npy"
    if path.is_file():
        return np.load(path)
    if cond not in voices:
        voices[cond] = line_voice(settings, lang, scale)
    pcm = on_the_line(voices[cond], text, snr, seed=zlib.crc32(text.encode()) & 0xFFFF)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(path, pcm)
    return pcm


PROBE_MAX_S = 2.5  # asr.closed_set_max_s: longer turns are never scored
_probe_lists: dict[tuple[str, str], list[str]] = {}
PROBE_COSTS: list[tuple[int, float]] = []  # (candidates, seconds scoring them)
PROBE_COSTS_TRIMMED: list[tuple[int, float]] = []
SCORE_KINDS = ("scores", "scores_trimmed", "scores_trimmed_end")


def probe_candidates(factory, lang: str, state: str) -> list[str]:
    """More than any candidate list the product would score: the state's own intents' five shortest
    answers, every other intent it handles (global, hand-over to a person) two, and the product's
    own list now; so lists of other shapes can be replayed from the probe."""
    from voicebot.dialogue.expected import answers_for_intents
    from voicebot.dialogue.hearing import expected_texts

    if (lang, state) not in _probe_lists:
        plan = factory.plans[0].plan
        spec, locale = plan.spec, LOCALES[lang]
        if state == "survey":
            texts = [p.text for p in expected_texts(factory, locale, state, False)]
        else:
            own = list(spec.states[state].on)
            others = [g for g in [*spec.global_, "request_human"] if g not in own and g in plan.examples]
            texts = [a.text for a in answers_for_intents(own, plan.examples, locale, 5)
                     + answers_for_intents(others, plan.examples, locale, 2)]
            texts += [p.text for p in expected_texts(factory, locale, state, False)]
        _probe_lists[(lang, state)] = list(dict.fromkeys(texts))
    return _probe_lists[(lang, state)]


def probe(asr, factory, lang: str, state: str, pcm: np.ndarray, free: str, whole: bool) -> dict[str, dict[str, float]]:
    """Every expected answer of the state (and the free decode) scored against the audio, whatever
    asr.closed_set says: what choosing rules could do, worked out without recognising again.
    ``whole``: on the whole window too (the slowest; done for one condition)."""
    from voicebot.asr.whisper import FRAMES_PER_SECOND, SAMPLE_RATE, language_code

    audio = pcm.astype(np.float32) / 32768.0
    if len(audio) / SAMPLE_RATE > PROBE_MAX_S:
        return {}
    cands = probe_candidates(factory, lang, state)
    encoded = asr.encode(audio)
    frames = len(audio) // (SAMPLE_RATE // FRAMES_PER_SECOND)
    texts = cands + ([free] if free and free not in cands else [])
    t0 = time.perf_counter()
    scored = asr.closed_set.score(encoded, frames, language_code(LOCALES[lang]), texts) if whole else []
    if whole:
        PROBE_COSTS.append((len(scored), time.perf_counter() - t0))
    # The same on the encoder frames of the audio and 1 s after it only, and so with the end of text
    # scored too (closed_set.score's trim and end).
    t0 = time.perf_counter()
    trimmed = asr.closed_set.score(encoded, frames, language_code(LOCALES[lang]), texts, trim=True)
    PROBE_COSTS_TRIMMED.append((len(trimmed), time.perf_counter() - t0))
    ended = asr.closed_set.score(encoded, frames, language_code(LOCALES[lang]), texts, trim=True, end=True)
    return {name: {s.text: round(s.logprob, 3) for s in found}
            for name, found in (("scores", scored), ("scores_trimmed", trimmed), ("scores_trimmed_end", ended))}


def hear_all(lang: str, closed_set: str, probing: bool) -> dict:
    """Per condition and line: what was heard (transcript, free decode, closed-set margin, seconds of
    audio and of recognition, and the probe's scores when ``probing``)."""
    from voicebot.asr import load_recognizer

    settings = load_settings()
    settings.asr.closed_set = closed_set  # type: ignore[assignment]
    asr = load_recognizer(settings)
    factory = plan_factory(lang)
    voices: dict = {}
    out: dict = {}
    for cond in CONDITIONS:
        bucket = out.setdefault(cond, {})
        for row in rows(lang, DEV):
            state, text, _ = row
            pcm = rendered(settings, lang, cond, text, voices)
            t = recognise(asr, factory, settings, lang, state, pcm)
            free = t.free_text or t.text
            scores = probe(asr, factory, lang, state, pcm, free, cond == "normal") if probing else {}
            bucket[key(row)] = {"text": t.text, "confidence": round(t.confidence, 3), "free": free, "chosen": bool(t.free_text),
                                "margin": t.expected_margin, "fallback": t.fallback_text, "audio_s": round(t.audio_s, 2),
                                "asr_s": round(t.elapsed_s, 3), **{k: scores.get(k, {}) for k in SCORE_KINDS}}
        print(f"  {lang} {cond}: {len(bucket)} lines", flush=True)
    return out


def plain(text: str) -> str:
    return _PLAIN.sub("", text).lower()


def buckets(lang: str, heard: dict, result: dict) -> dict:
    """Each miss of the run by cause (see the module docstring)."""
    from voicebot.dialogue.hearing import expected_texts

    factory = plan_factory(lang)
    cands: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for cond, r in result.items():
        if cond == "all":
            continue
        for state, text, transcript, taken_as, _label, _expected in r["misses"]:
            free = heard[cond][f"{state}\t{text}"]["free"]
            if state not in cands:
                cands[state] = {plain(p.text) for p in expected_texts(factory, LOCALES[lang], state, False)}
            if not transcript.strip():
                cause = "empty"
            elif plain(free) != plain(transcript):
                cause = "closed_set"
            elif taken_as:
                cause = "phonetic"
            elif plain(transcript) == plain(text):
                cause = "classifier"
            else:
                cause = "misheard_in_candidates" if plain(text) in cands[state] else "misheard"
            counts[cause] = counts.get(cause, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def replay(lang: str, heard: dict, grid: list[dict]) -> dict:
    """Closed-set choices replayed on a probed run's stored scores (asr/closed_set.pick), for each rule
    of ``grid``: the list's shape (``per_intent`` of the state's own intents, ``per_global`` of the
    others), ``within``, ``margin``, the longest audio scored (``max_s``), whether a free decode that
    already is an expected answer is left unscored (``skip_exact``), which of the probe's scores are
    used (``scores``: on the whole window, trimmed, trimmed with the end of text) and whether the
    chosen answer is only taken when the free decode means nothing the state handles
    (``fallback``); without recognising again. Only conditions the probe scored are counted."""
    from voicebot.asr.closed_set import CandidateScore, pick
    from voicebot.dialogue.expected import expected_now, handled_intents
    from voicebot.dialogue.hearing import understand

    factory = plan_factory(lang)
    plan = factory.plans[0].plan
    states = {k.split("\t")[0] for k in heard["normal"]}
    handled = {s: set(sum(handled_intents(plan.spec, s), [])) for s in states if s in plan.spec.states}
    free_label: dict[tuple[str, str], str] = {}

    def understood(cond: str, k: str, v: dict) -> bool:
        state = k.split("\t")[0]
        if (cond, k) not in free_label:
            free_label[(cond, k)] = understand(factory, LOCALES[lang], state, v["free"], v["confidence"]).label
        label = free_label[(cond, k)]
        return label.startswith("csat:") and label != "csat:none" if state == "survey" else label in handled[state]

    out = {}
    for rule in grid:
        kind = rule.get("scores", "scores")
        lists = {state: expected_now(plan.spec, plan.examples, state, rule["per_intent"], 1000,
                                     per_global=rule["per_global"]) for state in states}
        transcripts: dict = {}
        n_cands = []
        for cond, bucket in heard.items():
            if not any(v.get(kind) for v in bucket.values()):
                continue
            for k, v in bucket.items():
                state = k.split("\t")[0]
                text, chosen = v["free"], ""
                scores = v.get(kind) or {}
                phrases = [a for a in lists[state] if a.text in scores]
                exact = rule["skip_exact"] and plain(v["free"]) in {plain(a.text) for a in phrases}
                if phrases and v["audio_s"] <= rule["max_s"] and not exact \
                        and not (rule.get("fallback") and understood(cond, k, v)):
                    n_cands.append(len(phrases))
                    scored = [CandidateScore(t, lp) for t, lp in scores.items()]
                    chosen = pick(scored, v["free"], [a.text for a in phrases], rule["margin"], rule["within"],
                                  {a.text: a.label for a in phrases}).chosen
                    text = chosen or text
                transcripts.setdefault(cond, {})[k] = [text, v["confidence"], bool(chosen)]
        r = evaluate(lang, transcripts, True, True, DEV)
        a = r["all"]
        name = " ".join(f"{k} {v}" for k, v in rule.items())
        out[name] = {"by_condition": {c: r[c]["top1"] for c in transcripts}, "top1": a["top1"], "short_top1": a["short_top1"],
                     "acts": a["irreversible_acts_on_misheard_turns"], "turns_scored": len(n_cands),
                     "candidates_mean": round(float(np.mean(n_cands)), 1) if n_cands else 0}
        print(f"  replay {name}: {out[name]}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True, help="name of this run in the results file")
    ap.add_argument("--lang", default="zh")
    ap.add_argument("--closed-set", choices=["off", "questions", "all"], default=None,
                    help="asr.closed_set for this run (default: the setting's)")
    ap.add_argument("--probe", action="store_true", help="also score every expected answer of the state (slower)")
    ap.add_argument("--replay", action="store_true", help="replay closed-set rules on the --reuse run's probe scores")
    ap.add_argument("--grid", default="", help="replay these rules (a JSON list of objects) instead of the default grid")
    ap.add_argument("--reuse", default="", help="take the transcripts of this earlier run (dialogue-side changes)")
    args = ap.parse_args()
    lang = args.lang
    results = json.loads(OUT.read_text(encoding="utf-8")) if OUT.is_file() else {}
    heard_runs = json.loads(HEARD.read_text(encoding="utf-8")) if HEARD.is_file() else {}
    load0 = os.getloadavg()[0]
    closed_set = args.closed_set or load_settings().asr.closed_set
    if args.replay:
        grid = [{"per_intent": pi, "per_global": pg, "within": w, "margin": m, "max_s": 2.5, "skip_exact": sk}
                for pi, pg in ((3, 1), (5, 1), (5, 2)) for w in (0.5, 1.0, 2.0, 99.0) for m in (0.25, 0.5, 1.0)
                for sk in (False, True)]
        grid = json.loads(args.grid) if args.grid else grid
        results[args.reuse][lang]["replay"] = replay(lang, heard_runs[args.reuse][lang], grid)
        OUT.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    if args.reuse:
        heard = heard_runs[args.reuse][lang]
        closed_set = results[args.reuse][lang]["closed_set"]
    else:
        heard = hear_all(lang, closed_set, args.probe)
    transcripts = {cond: {k: [v["text"], v["confidence"], v.get("chosen", False), v.get("fallback", "")] for k, v in b.items()}
                   for cond, b in heard.items()}
    after = evaluate(lang, transcripts, True, True, DEV)
    before = evaluate(lang, transcripts, False, True, DEV)
    costs = sorted(v["asr_s"] for b in heard.values() for v in b.values())
    run = {"closed_set": closed_set, "reused": args.reuse, "load_avg_start": round(load0, 2),
           "load_avg_end": round(os.getloadavg()[0], 2),
           "asr_ms_under_load": {"p50": round(1000 * costs[len(costs) // 2]), "p95": round(1000 * costs[int(len(costs) * 0.95)]),
                                 "mean": round(1000 * float(np.mean(costs)))},
           "probe_ms_per_candidate_under_load": {
               name: round(1000 * sum(c[1] for c in costs) / max(1, sum(c[0] for c in costs)), 1)
               for name, costs in (("window", PROBE_COSTS), ("trimmed", PROBE_COSTS_TRIMMED))},
           "misses_by_cause": buckets(lang, heard, after), "after": after, "hear_by_sound_off": before}
    results.setdefault(args.label, {})[lang] = run
    heard_runs.setdefault(args.label, {})[lang] = heard
    HEARD.parent.mkdir(parents=True, exist_ok=True)
    HEARD.write_text(json.dumps(heard_runs, ensure_ascii=False) + "\n", encoding="utf-8")
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for name, r in (("hearing by sound", after), ("by sound off", before)):
        a = r["all"]
        print(f"{args.label} {lang} {name:16s} top1 {a['top1']:.3f}  short {a['short_top1']:.3f}  "
              f"irreversible acts on misheard turns {a['irreversible_acts_on_misheard_turns']}  (n={a['n']})")
    print("  by condition:", {c: (r["top1"], r["short_top1"]) for c, r in after.items() if c != "all"})
    print("  misses by cause:", run["misses_by_cause"])
    print("  ASR ms per turn (under load):", run["asr_ms_under_load"], "closed_set:", closed_set)


if __name__ == "__main__":
    main()
