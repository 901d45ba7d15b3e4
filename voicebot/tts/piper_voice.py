"""Piper voices (onnx), loaded once and shared by every call."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from voicebot.errors import ModelError


class PiperSynthesizer:
    def __init__(self, model: Path, config: Path | None = None, length_scale: float = 1.0) -> None:
        from voicebot.onnx_quiet import import_onnxruntime

        import_onnxruntime()  # telemetry off before piper creates its session
        from piper import PiperVoice, SynthesisConfig

        config = config or model.with_suffix(model.suffix + ".json")
        for p in (model, config):
            if not p.is_file():
                raise ModelError(f"Piper voice file {p} does not exist")
        try:
            self._voice = PiperVoice.load(str(model), config_path=str(config))
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise ModelError(f"cannot load Piper voice {model}: {exc} (corrupt download?)") from None
        self._syn = SynthesisConfig(length_scale=length_scale)
        self.sample_rate = int(self._voice.config.sample_rate)
        self.voice_id = f"piper:{model.stem}:{length_scale}"
        # espeak-ng phonemisation inside piper is not re-entrant; inference is (and releases the GIL).
        self._phonemize_lock = threading.Lock()

    def synthesize(self, text: str) -> np.ndarray:
        with self._phonemize_lock:
            phonemes = self._voice.phonemize(text)
        chunks = []
        for sentence in phonemes:
            if not sentence:
                continue
            audio = np.asarray(self._voice.phoneme_ids_to_audio(self._voice.phonemes_to_ids(sentence), self._syn))
            peak = float(np.abs(audio).max(initial=0.0))
            chunks.append(audio * (0.9 / peak) if peak > 1e-8 else audio)  # piper's own peak normalisation
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        audio = np.concatenate(chunks)
        return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
