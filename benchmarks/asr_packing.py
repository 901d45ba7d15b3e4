"""Packing and batching against one-utterance-per-window: same text? how much CPU per utterance?

On the fixed utterance set of ``voicebot.asr.utterances`` (14 Piper phone turns through G.711
mu-law, 5 LibriVox recordings), decodes every utterance alone, then in packed windows (groups
formed as the recognition service forms them, from three shuffled orders so that different
neighbours meet), then in batches of four. Reports how many texts equal the unpacked text, how
often the timestamp split was unsure (the service then falls back to a batch), WER against the
references, and CPU seconds per utterance (process CPU time: less sensitive than wall time to
the other load on a shared machine, though not immune to it). Writes results/asr_packing.json.

    .venv/bin/python benchmarks/asr_packing.py [--model tiny.en]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from voicebot.asr.packing import PackedDecoder, as_float, fits  # noqa: E402
from voicebot.asr.utterances import librivox, phone_turns, word_errors  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="base")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--gap", type=float, default=1.0)
    args = ap.parse_args()
    from voicebot.asr.models import resolve_whisper_model
    from voicebot.asr.whisper import WhisperRecognizer
    from voicebot.config import load_settings

    s = load_settings()
    s.asr.whisper_model, s.asr.cpu_threads = args.model, args.threads
    rec = WhisperRecognizer(resolve_whisper_model(s), s.asr)
    dec = PackedDecoder(rec, s.asr.min_window_s, args.gap)
    utts = phone_turns(s) + librivox()
    rec.transcribe(utts[0].pcm, "en")  # warm

    def wer(texts: dict[str, str]) -> float:
        e = w = 0
        for u in utts:
            de, dw = word_errors(u.reference, texts[u.name])
            e, w = e + de, w + dw
        return round(e / w, 4)

    c0, t0 = time.process_time(), time.perf_counter()
    alone = {u.name: rec.transcribe(u.pcm, "en").text for u in utts}
    alone_cpu, alone_wall = time.process_time() - c0, time.perf_counter() - t0

    packed_same = packed_n = split_failed = windows = 0
    packed_cpu = 0.0
    packed_texts: dict[str, str] = {}
    differences = []
    for seed in (1, 2, 3):
        order = utts[:]
        random.Random(seed).shuffle(order)
        groups, group = [], []
        for u in order:
            if group and not fits([len(g.pcm) / 16000 for g in group + [u]], args.gap, s.asr.min_window_s):
                groups.append(group)
                group = []
            group.append(u)
        groups.append(group)
        for g in groups:
            c0 = time.process_time()
            if len(g) == 1:
                out = [rec.transcribe(g[0].pcm, "en").text]
            else:
                res = dec.packed([as_float(u.pcm) for u in g], "en")
                if res is None:
                    split_failed += 1
                    res = dec.batched([as_float(u.pcm) for u in g], "en")
                out = [r.text for r in res]
            packed_cpu += time.process_time() - c0
            windows += 1
            for u, text in zip(g, out):
                packed_n += 1
                packed_same += text == alone[u.name]
                if text != alone[u.name]:
                    differences.append({"utterance": u.name, "alone": alone[u.name], "packed": text,
                                        "neighbours": [x.name for x in g]})
                if seed == 1:
                    packed_texts[u.name] = text

    c0, t0 = time.process_time(), time.perf_counter()
    batched_texts: dict[str, str] = {}
    for i in range(0, len(utts), 4):
        g = utts[i:i + 4]
        for u, r in zip(g, dec.batched([as_float(u.pcm) for u in g], "en")):
            batched_texts[u.name] = r.text
    batched_cpu = time.process_time() - c0
    n = len(utts)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "model": args.model, "threads": args.threads, "gap_s": args.gap, "window_s": s.asr.min_window_s,
        "utterances": n, "load_average_1min": round(os.getloadavg()[0], 1),
        "alone": {"cpu_s_per_utterance": round(alone_cpu / n, 3), "wall_s_per_utterance": round(alone_wall / n, 3),
                  "wer": wer(alone)},
        "packed": {"cpu_s_per_utterance": round(packed_cpu / packed_n, 3), "windows": windows,
                   "utterances": packed_n, "same_text_as_alone": packed_same, "split_unsure_fell_back_to_batch": split_failed,
                   "wer_seed1": wer(packed_texts), "differences": differences},
        "batched_4": {"cpu_s_per_utterance": round(batched_cpu / n, 3),
                      "same_text_as_alone": sum(batched_texts[u.name] == alone[u.name] for u in utts), "wer": wer(batched_texts)},
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "asr_packing.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous[args.model] = result
    out.write_text(json.dumps(previous, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in result.items() if k != "packed"}, indent=1))
    print({k: v for k, v in result["packed"].items() if k != "differences"})
    for d in differences:
        print("  differs:", d)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
