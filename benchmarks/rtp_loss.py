"""The accuracy cost of a lossy network: 10 % RTP loss with 0-60 ms jitter against a clean path.

One clean call, and one lossy call per seed, from the callee simulator to the real bot (``voicebot serve``: Whisper, Piper,
the built-in scripted dialogue) over SIP/RTP on 127.0.0.1, through the seeded lossy relays of
``voicebot.callee.lossy_relay`` (both directions lossy). The callee says the ten fixed lines below
(written before any run, never tuned on); the bot's transcript gives what it heard (word error rate
against the lines) and what it answered (intent success: the reply the line should get). Prints a
summary and writes benchmarks/results/rtp_loss.json, with the machine's load average.

    .venv/bin/python benchmarks/rtp_loss.py [--loss 0.10 --jitter-ms 60 --seeds 7 8 9]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from voicebot.asr.utterances import word_errors  # noqa: E402
from voicebot.callee.harness import BotProcess, callee_command, finish_callee, read_transcript, start_callee  # noqa: E402
from voicebot.callee.lossy_relay import BOT_RELAY_HOST, PHONE_RELAY_HOST, LossyPath, behind_relay_env  # noqa: E402
from voicebot.dialogue.scripted import SCRIPTS  # noqa: E402

RESULTS = Path(__file__).parent / "results"
# (line the callee says, the scripted answer it should get)
LINES = [
    ("What are your opening hours?", "hours"),
    ("How much does the basic plan cost?", "price"),
    ("When do you open on Monday morning?", "hours"),
    ("What is the monthly fee?", "price"),
    ("Are you open on Saturday?", "hours"),
    ("Can you tell me the price again?", "price"),
    ("What time do you close in the evening?", "hours"),
    ("How much would I pay each month?", "price"),
    ("I would like to ask about the weather.", "no_match"),
    ("No thank you, that is all. Goodbye.", "goodbye"),
]


def expected_reply(intent: str) -> str:
    script = SCRIPTS["en-US"]
    if intent == "no_match":
        return script.no_match
    return next(a.reply for a in script.answers if a.name == intent)


def run_condition(work: Path, loss: float, jitter_ms: float, seed: int, base_port: int) -> dict:
    # Ports of test block 5 (VOICEBOT_TEST_PORT_BLOCK), past those the tests take.
    port, rtp = base_port, 61000 + (base_port - 7300) * 50
    phone_port, phone_rtp = base_port + 1, rtp + 100
    persona = work / "persona.yaml"
    persona.write_text(yaml.safe_dump({"name": "rtp-loss", "voice_options": {"pitch_semitones": 4},
                                       "turns": [{"say": line} for line, _ in LINES]}))
    started = time.time()
    with BotProcess(port, rtp, work / "bot", env=behind_relay_env(BOT_RELAY_HOST)) as bot, \
            LossyPath((port, rtp), (phone_port, phone_rtp), loss=loss, jitter_ms=jitter_ms, seed=seed) as path:
        mark = bot.mark()
        proc = start_callee(callee_command(str(persona), phone_port, phone_rtp, work / "report.json",
                                           call=f"sip:bot@{BOT_RELAY_HOST}:{port}", timeout=240),
                            work / "callee.log", env=behind_relay_env(PHONE_RELAY_HOST))
        report = finish_callee(proc, work / "report.json", timeout=300)
        finished = bot.wait_events("call_finished", 1, mark, timeout=30)
    transcript = read_transcript(finished[0]["transcript"])
    # Pair each callee turn with the bot's next line.
    pairs: list[tuple[str, str]] = []
    for i, t in enumerate(transcript):
        if t["who"] == "callee":
            reply = next((u["text"] for u in transcript[i + 1:] if u["who"] == "bot"), "")
            pairs.append((t["text"], reply))
    heard = " ".join(text for text, _ in pairs)
    errors, words = word_errors(" ".join(line for line, _ in LINES), heard)
    hits = sum(1 for (_, reply), (_, intent) in zip(pairs, LINES) if reply == expected_reply(intent))
    stats = path.stats
    return {
        "loss": loss, "jitter_ms": jitter_ms, "seed": seed,
        "rtp_packets_forwarded": stats.rtp_forwarded, "rtp_packets_dropped": stats.rtp_dropped,
        "measured_loss": round(stats.rtp_loss, 4),
        "callee_turns_recognised": len(pairs), "lines": len(LINES),
        "wer": round(errors / max(1, words), 4),
        "intent_success": round(hits / len(LINES), 3),
        "call_completed": report.get("ended_by") == "bot" and pairs[-1][1] == expected_reply("goodbye") if pairs else False,
        "call_s": round(time.time() - started, 1),
        "heard": [text for text, _ in pairs],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loss", type=float, default=0.10)
    ap.add_argument("--jitter-ms", type=float, default=60.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9], help="one lossy call per seed")
    args = ap.parse_args()
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(0.0, 0.0, args.seeds[0])] + [(args.loss, args.jitter_ms, seed) for seed in args.seeds]
        for i, (loss, jitter, seed) in enumerate(runs):
            work = Path(tmp) / f"c{i}"
            work.mkdir()
            res = run_condition(work, loss, jitter, seed, 7300 + 10 * i)
            results.append(res)
            print(f"loss {loss:.0%} jitter 0-{jitter:.0f} ms: WER {res['wer']:.3f}, intent success "
                  f"{res['intent_success']:.0%}, {res['callee_turns_recognised']}/{len(LINES)} turns, "
                  f"measured loss {res['measured_loss']:.1%}, completed {res['call_completed']}")
    lossy = results[1:]
    lossy_wer = sum(r["wer"] for r in lossy) / len(lossy)
    lossy_intent = sum(r["intent_success"] for r in lossy) / len(lossy)
    out = {
        "conditions": results,
        "clean": {"wer": results[0]["wer"], "intent_success": results[0]["intent_success"]},
        "lossy_mean": {"wer": round(lossy_wer, 4), "intent_success": round(lossy_intent, 3), "calls": len(lossy),
                       "completed": sum(r["call_completed"] for r in lossy)},
        "wer_cost": round(lossy_wer - results[0]["wer"], 4),
        "intent_success_cost": round(results[0]["intent_success"] - lossy_intent, 3),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()],
                    "note": "2-core machine shared with other test runs while measured"},
        "method": "one clean call and one lossy call per seed, ten fixed lines (Piper joe +4 semitones) -> bot ASR (Whisper) -> "
                  "scripted keyword answers; both RTP directions through seeded relays",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rtp_loss.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"WER cost {out['wer_cost']:+.3f}, intent success cost {out['intent_success_cost']:+.1%}; "
          f"load {out['machine']['loadavg_before']} -> {out['machine']['loadavg_after']}")


if __name__ == "__main__":
    main()
