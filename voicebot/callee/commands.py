"""``voicebot callee``: the simulated customer (or agent) phone."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from voicebot.callee.persona import Persona
from voicebot.callee.simulator import CalleeSimulator
from voicebot.config import Settings
from voicebot.locales import is_chinese

if TYPE_CHECKING:  # numpy is imported where it is used: the CLI's other commands start without it
    import numpy as np

PERSONA_DIR = Path(__file__).parent / "personas"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("callee", help="simulated caller/callee that plays a persona against the bot")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--call", metavar="URI", help="place a call to this URI")
    mode.add_argument("--answer", action="store_true", help="wait for a call and answer it")
    mode.add_argument("--bank", metavar="YAML", help="phone bank: answer every call, persona by dialled number "
                      "(YAML: personas: {name: persona}, numbers: {number: name}); runs until SIGTERM")
    mode.add_argument("--dial", metavar="URI", nargs="+",
                      help="dialler: one line per URI (at most sip.max_calls), each calling again as soon as a "
                           "conversation ends, until --for seconds are over; one JSON report per call in --reports-dir")
    p.add_argument("--for", dest="for_s", type=float, default=60.0, help="--dial: seconds to keep dialling")
    p.add_argument("--persona", help=f"persona YAML, or a built-in name: {builtin_personas()}")
    p.add_argument("--reports-dir", default=None, help="--bank/--dial: one JSON report per call here")
    p.add_argument("--port", type=int, default=5080, help="this phone's SIP port")
    p.add_argument("--rtp-port", type=int, default=44000)
    p.add_argument("--codecs", nargs="+", help="codec preference, e.g. PCMA/8000 G722/16000")
    p.add_argument("--report", help="write the JSON report here (default: stdout)")
    p.add_argument("--record-dir", default=None, help="record each leg under this directory")
    p.add_argument("--wait", type=float, default=60.0, help="--answer: seconds to wait for the call")
    p.add_argument("--timeout", type=float, default=180.0, help="give up on the conversation after this long")
    p.set_defaults(func=cmd_callee)


def builtin_personas() -> list[str]:
    return sorted(p.stem for p in PERSONA_DIR.glob("*.yaml"))


def resolve_persona(name_or_path: str) -> Persona:
    path = Path(name_or_path)
    if not path.exists() and (PERSONA_DIR / f"{name_or_path}.yaml").exists():
        path = PERSONA_DIR / f"{name_or_path}.yaml"
    return Persona.load(path)


# Applied after synthesis with sox, so any voice can be turned into a different-sounding speaker.
POST_EFFECTS = ("pitch_semitones", "tempo", "gain_db")


def persona_renderer(persona: Persona, rate: int, cache_dir: Path | None = None, models_dir: Path | None = None):
    """(text, per-turn voice options) -> the persona's voice at ``rate``; cached on disk so a
    benchmark's 16 phones don't all synthesise at once while the bot is being measured.
    ``models_dir`` is where prepared models live (paths.models_dir; default: the configured one)."""
    from voicebot.audio.pcm import resample
    from voicebot.tts.cache import PromptCache
    from voicebot.tts.normalize import normalize
    from voicebot.tts.voices import load_voice

    cache = PromptCache(cache_dir)
    voices: dict[str, object] = {}

    def render(text: str, overrides: dict | None = None):
        merged = {**persona.voice_options, **(overrides or {})}
        options = {k: v for k, v in merged.items() if k not in POST_EFFECTS}
        effects = {k: v for k, v in merged.items() if k in POST_EFFECTS}
        key = PromptCache.key(f"persona:{persona.voice}:{sorted(merged.items())}", rate, text)
        cached = cache.get(key)
        if cached is not None:
            return cached
        vkey = f"{sorted(options.items())}"
        voice = voices.get(vkey) or voices.setdefault(vkey, load_voice(persona.voice, models_dir=models_dir, **options))
        # Mandarin customers say "3点" and "5G" too: read them as the bot's voice would.
        pcm = voice.synthesize(normalize(text, persona.locale) if is_chinese(persona.locale) else text)
        if effects:
            pcm = apply_sox_effects(pcm, voice.sample_rate, effects)
        pcm = resample(pcm, voice.sample_rate, rate)
        cache.put(key, pcm)
        return pcm

    return render


def apply_sox_effects(pcm: np.ndarray, rate: int, effects: dict) -> np.ndarray:
    import subprocess
    import tempfile

    import numpy as np

    from voicebot.audio.pcm import read_wav, write_wav

    chain: list[str] = []
    if effects.get("pitch_semitones"):
        chain += ["pitch", str(int(float(effects["pitch_semitones"]) * 100))]
    if effects.get("tempo") and float(effects["tempo"]) != 1.0:
        chain += ["tempo", "-s", str(effects["tempo"])]
    if effects.get("gain_db"):
        chain += ["gain", str(effects["gain_db"])]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        write_wav(src, (pcm.astype(np.float32) * 0.8).astype(np.int16), rate)  # headroom for pitch-up
        subprocess.run(["sox", "-q", str(src), str(dst), *chain], check=True, capture_output=True)
        out, _ = read_wav(dst, rate)
    return out


def load_bank(path: Path) -> dict[str, Persona]:
    """The bank file: ``personas`` (name -> persona dict, file or built-in name), ``numbers`` (number -> name)."""
    import yaml

    from voicebot.callee.persona import PersonaError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PersonaError(f"phone bank {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("numbers"), dict):
        raise PersonaError(f"phone bank {path}: needs 'numbers: {{number: persona name}}'")
    personas: dict[str, Persona] = {}
    for name, spec in (data.get("personas") or {}).items():
        personas[name] = (Persona.from_dict({"name": name, **spec}, f"{path}: persona {name}") if isinstance(spec, dict)
                          else resolve_persona(str(spec)))
    out = {}
    for number, name in data["numbers"].items():
        if name not in personas:
            personas[name] = resolve_persona(str(name))
        out[str(number)] = personas[name]
    return out


def cmd_bank(args: argparse.Namespace, settings: Settings) -> int:
    import faulthandler
    import signal
    import threading

    from voicebot.callee.bank import PhoneBank

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1` shows where a stuck bank waits
    numbers = load_bank(Path(args.bank))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    rate = settings.media.clock_rate
    cache = settings.paths.cache_dir / "persona-audio"
    bank = PhoneBank(settings, numbers, Path(args.reports_dir or "bank-reports"),
                     lambda persona: persona_renderer(persona, rate, cache, settings.paths.models_dir),
                     Path(args.record_dir) if args.record_dir else None, call_timeout_s=args.timeout)
    bank.start()
    while not stop.wait(0.2):
        pass
    bank.stop()
    return 0


def cmd_dial(args: argparse.Namespace, settings: Settings, persona: Persona) -> int:
    import time

    from voicebot.callee.dialler import Dialler

    if args.codecs:
        settings.sip.codecs = args.codecs
    render = persona_renderer(persona, settings.media.clock_rate, settings.paths.cache_dir / "persona-audio",
                              settings.paths.models_dir)
    try:
        dialler = Dialler(settings, persona, args.dial, Path(args.reports_dir or "dial-reports"), render,
                          until=time.time() + args.for_s, call_timeout_s=args.timeout)
    except ValueError as exc:
        print(f"voicebot callee: {exc}")
        return 2
    dialler.run()
    return 0


def cmd_callee(args: argparse.Namespace, settings: Settings) -> int:
    settings.sip.port = args.port
    settings.sip.rtp_port = args.rtp_port
    # TLS only when asked for (it needs a certificate): TLS/SRTP interop tests.
    settings.sip.transports = ["udp", "tcp", *(["tls"] if "tls" in settings.sip.transports else [])]
    if args.bank:
        return cmd_bank(args, settings)
    if not args.persona:
        print("voicebot callee: --persona is required with --call/--answer/--dial")
        return 2
    persona = resolve_persona(args.persona)
    if args.dial:
        return cmd_dial(args, settings, persona)
    settings.sip.port = args.port
    settings.sip.rtp_port = args.rtp_port
    if args.codecs:
        settings.sip.codecs = args.codecs
    sim = CalleeSimulator(settings, persona, Path(args.record_dir) if args.record_dir else None,
                          persona_renderer(persona, settings.media.clock_rate, settings.paths.cache_dir / "persona-audio",
                                           settings.paths.models_dir))
    report = sim.place(args.call, args.timeout) if args.call else sim.answer(args.wait, args.timeout)
    text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0 if not report.error else 1
