"""``voicebot demo``: the bot answers, a simulated caller holds a 4-turn conversation, results printed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from voicebot.callee.harness import BotProcess, callee_command, finish_callee, read_transcript, start_callee


def run_demo(locale: str = "en-US", workdir: Path | None = None) -> int:
    work = workdir or Path(tempfile.mkdtemp(prefix="voicebot-demo-"))
    recordings = Path("recordings").resolve()
    persona = "demo-en" if locale == "en-US" else "demo-zh"
    print("Starting the bot (models load once, prompts pre-rendered) ...", flush=True)
    with BotProcess(5090, 40000, work, env={"VOICEBOT_PATHS__RECORDINGS_DIR": str(recordings),
                                           "VOICEBOT_DIALOGUE__LOCALE": locale}) as bot:
        print(f"Bot ready on {bot.uri}; the simulated caller dials in ...", flush=True)
        report_path = work / "callee-report.json"
        proc = start_callee(callee_command(persona, 5092, 42000, report_path, call=bot.uri), work / "callee.log")
        report = finish_callee(proc, report_path)
        ended = bot.events("call_finished")
    if not ended:
        print(f"The call did not finish; see {bot.log_path}")
        return 1
    transcript_path = ended[-1].get("transcript") or ""
    print("\nConversation:")
    for line in read_transcript(transcript_path):
        who = "caller" if line["who"] == "callee" else "bot   "
        extra = f"  (reply latency {line['latency_ms']} ms)" if line.get("latency_ms") is not None else ""
        print(f"  [{line['start']:6.2f}s] {who}: {line['text']}{extra}")
    lat = [t["reply_latency_ms"] for t in report["turns"] if t.get("reply_latency_ms") is not None]
    if lat:
        print(f"\nEnd of caller speech -> first bot audio, as the caller heard it: {', '.join(f'{x:.0f}' for x in lat)} ms")
    print(f"Recording (stereo: caller left, bot right): {ended[-1].get('recording')}")
    print(f"Transcript: {transcript_path}")
    return 0
