"""Choosing asr.closed_set_margin on the sample plans' own short training examples (a dev set).

Each short example of every intent is spoken by the product's voice for the language, taken through
8 kHz G.711 μ-law and back, and recognised; the expected answers of the plan's pitch state (every
global intent) are scored against the audio. For each margin the chosen text goes through the
plan's classifier, and the share that lands in the example's own intent is reported, with the cost
of scoring. The spoken held-out set 3 (benchmarks/data/spoken3) is not read here.

Usage: .venv/bin/python benchmarks/closed_set_dev.py [--per-intent 4]
Writes benchmarks/results/closed_set_dev.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from voicebot.asr.whisper import FRAMES_PER_SECOND, SAMPLE_RATE, language_code
from voicebot.audio.g711 import phone_line_ulaw
from voicebot.config import load_settings
from voicebot.dialogue.expected import expected_now, short, spoken_form

ROOT = Path(__file__).resolve().parents[1]
MARGINS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-intent", type=int, default=4)
    ap.add_argument("--langs", default="zh,en")
    args = ap.parse_args()
    from voicebot.asr import load_recognizer
    from voicebot.dialogue import load_dialogue_factory
    from voicebot.tts.voices import load_voice, load_zh_voice
    from voicebot.tts.zh_model import prepare

    settings = load_settings()
    asr = load_recognizer(settings)
    out = {}
    for lang in args.langs.split(","):
        locale = "zh-CN" if lang == "zh" else "en-US"
        s = settings.model_copy(deep=True)
        s.dialogue.plan = str(ROOT / f"dialplans/outbound_marketing_{lang}.yaml")
        s.dialogue.locale = locale
        loaded = load_dialogue_factory(s).plans[0]
        plan, nlu = loaded.plan, loaded.nlu
        expected = expected_now(plan.spec, plan.examples, "pitch")
        cands = [a.text for a in expected]
        label = {a.text: a.label for a in expected}
        if lang == "zh":
            prepare(settings.paths.cache_dir)
            voice = load_zh_voice(settings)
        else:
            voice = load_voice("joe")
        rows = []
        for intent, exs in plan.examples.items():
            forms = [spoken_form(e, locale) for e in exs if short(e, locale)]
            forms = [f for f in dict.fromkeys(forms)][:args.per_intent]
            for text in forms:
                heard = phone_line_ulaw(voice.synthesize(text), voice.sample_rate, 16000)
                pad = np.zeros(3200, np.int16)
                audio = np.concatenate([pad, heard, pad]).astype(np.float32) / 32768.0
                code = language_code(locale)
                opts = asr.options(code)
                enc = asr.encode(audio)
                d, cleaned = asr.recognise(enc, audio, code, opts)
                t0 = time.perf_counter()
                scored = asr.closed_set.score(enc, len(audio) // (SAMPLE_RATE // FRAMES_PER_SECOND), code,
                                              cands + ([cleaned.text] if cleaned.text and cleaned.text not in cands else []))
                cost = time.perf_counter() - t0
                rows.append({"intent": intent, "text": text, "free": cleaned.text, "in_candidates": text in cands,
                             "scores": {c.text: round(c.logprob, 3) for c in scored}, "score_ms": round(cost * 1000, 1)})
        figures = {}
        for m in MARGINS:
            right = 0
            for r in rows:
                sc = r["scores"]
                pool = sorted(((v, k) for k, v in sc.items() if k in label), reverse=True)
                text = r["free"]
                if m > 0 and pool:
                    best_v, best = pool[0]
                    nxt = pool[1][0] if len(pool) > 1 else -99
                    free_v = sc.get(r["free"], -99) if r["free"] else -99
                    if (r["free"] == best or best_v - free_v >= m) and best_v - nxt >= m / 2:
                        text = best
                got = nlu.parse(text).intent if text else "unheard"
                right += got == r["intent"]
            figures[str(m)] = round(right / len(rows), 3)
        costs = sorted(r["score_ms"] for r in rows)
        out[lang] = {"n": len(rows), "candidates": len(cands), "accuracy_by_margin": figures,
                     "score_ms_p50": costs[len(costs) // 2], "score_ms_p95": costs[int(len(costs) * 0.95)],
                     "rows": rows}
        print(lang, len(rows), "clips;", figures, "score ms p50/p95", out[lang]["score_ms_p50"], out[lang]["score_ms_p95"],
              flush=True)
    (ROOT / "benchmarks/results/closed_set_dev.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
