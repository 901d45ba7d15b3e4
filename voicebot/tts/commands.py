"""``voicebot say TEXT -o out.wav``: the first check a user makes of a voice."""

from __future__ import annotations

import argparse
import time

from voicebot.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("say", help="render speech to a WAV file")
    p.add_argument("text")
    p.add_argument("-o", "--output", required=True, help="WAV file to write")
    p.add_argument("--voice", help="joe | /path/voice.onnx | espeak:<voice> (default: tts.voices[locale])")
    p.add_argument("--locale", default="en-US", choices=["en-US", "zh-CN"])
    p.add_argument("--rate", type=int, help="output sample rate (default: the voice's own)")
    p.set_defaults(func=cmd_say)


def cmd_say(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.audio.pcm import resample, write_wav
    from voicebot.tts.normalize import normalize
    from voicebot.tts.voices import load_voice

    voice = load_voice(args.voice or settings.tts.voices.get(args.locale, "joe"), settings.tts.length_scale)
    t0 = time.perf_counter()
    audio = voice.synthesize(normalize(args.text, args.locale))
    rate = args.rate or voice.sample_rate
    audio = resample(audio, voice.sample_rate, rate)
    write_wav(args.output, audio, rate)
    print(f"{args.output}: {len(audio) / rate:.2f} s at {rate} Hz ({voice.voice_id}, {time.perf_counter() - t0:.2f} s)")
    return 0
