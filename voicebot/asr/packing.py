"""Several short utterances in one Whisper window, or one batch.

Whisper's encoder costs the same for a 10 s window holding 2 s or 9 s of speech. Packing puts
short utterances from different calls one after another into one window, with silence between
them, decodes once with timestamps, and gives each utterance the text whose timestamps fall in
its stretch of the window. A segment that straddles the silence between two utterances means
the split cannot be trusted: those utterances are then decoded as a batch (one encoder pass
over B windows, one generate over B prompts), which is always correct but saves less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ctranslate2
import numpy as np

from voicebot.asr.whisper import FRAMES_PER_SECOND, MAX_WINDOW_FRAMES, SAMPLE_RATE, WhisperRecognizer, drop_repeats

TIME_PER_TIMESTAMP = 0.02  # Whisper's timestamp tokens count in 20 ms steps
# A segment covering more than this much of two utterances' speech cannot be split.
SPLIT_TOLERANCE_S = 0.3


@dataclass(frozen=True)
class PackedText:
    text: str
    confidence: float


@dataclass(frozen=True)
class Placement:
    start_s: float
    end_s: float


def layout(durations: list[float], gap_s: float) -> tuple[list[Placement], float]:
    """Where each utterance sits in the packed window, and the window's audio length."""
    out, t = [], 0.0
    for d in durations:
        out.append(Placement(t, t + d))
        t += d + gap_s
    return out, max(0.0, t - gap_s)


def fits(durations: list[float], gap_s: float, window_s: float) -> bool:
    """Whisper loops when its window ends right behind the audio: keep 1 s of room at the end."""
    return layout(durations, gap_s)[1] + 1.0 <= window_s


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    tokens: tuple[int, ...]


def segments(ids: list[int], timestamp_begin: int, eot: int) -> list[Segment]:
    """Whisper's timestamped output, ``<|t0|> text <|t1|><|t1|> text <|t2|> ...``, as segments."""
    out: list[Segment] = []
    start: float | None = None
    text: list[int] = []
    for tok in ids:
        if tok >= timestamp_begin:
            t = (tok - timestamp_begin) * TIME_PER_TIMESTAMP
            if start is None:
                start = t
            elif text:
                out.append(Segment(start, t, tuple(text)))
                start, text = None, []
            else:
                start = t  # two timestamps in a row: the second opens the next segment
        elif tok < eot:
            text.append(tok)
    if text:  # a last segment without a closing timestamp runs to the end
        out.append(Segment(start if start is not None else 0.0, math.inf, tuple(text)))
    return out


def assign(segs: list[Segment], places: list[Placement], window_end_s: float) -> list[list[Segment]] | None:
    """Each segment to the utterance whose speech it covers; None when it covers two.

    Whisper lets a segment run on through the silence up to the next one's start, so segments
    are judged by how much of each utterance's speech they span, not by their edges.
    """
    out: list[list[Segment]] = [[] for _ in places]
    last_end = places[-1].end_s
    previous: Segment | None = None
    for seg in segs:
        end = seg.end_s if math.isfinite(seg.end_s) else window_end_s
        # Whisper's loop on a window's silent tail: text placed after the last utterance, time
        # running backwards, or the same words again. Then the timestamps can't be trusted.
        if seg.start_s > last_end + SPLIT_TOLERANCE_S or (previous is not None and (
                seg.start_s < previous.start_s or seg.tokens == previous.tokens)):
            return None
        previous = seg
        overlap = [min(end, p.end_s) - max(seg.start_s, p.start_s) for p in places]
        owners = [i for i, o in enumerate(overlap) if o > SPLIT_TOLERANCE_S]
        if len(owners) > 1:
            return None
        if not owners:  # a short word (or a sliver of timestamps): the utterance it is closest to
            mid = (seg.start_s + min(end, window_end_s)) / 2
            owners = [min(range(len(places)), key=lambda i: abs((places[i].start_s + places[i].end_s) / 2 - mid))]
        out[owners[0]].append(seg)
    return out


class PackedDecoder:
    """Packing and batching on top of a loaded ``WhisperRecognizer`` (same model, same prompts)."""

    def __init__(self, recognizer: WhisperRecognizer, window_s: float, gap_s: float = 1.0) -> None:
        self.rec = recognizer
        self.window_s = window_s
        self.gap_s = gap_s
        self._no_ts = recognizer._token("<|notimestamps|>")
        # Timestamp tokens follow <|notimestamps|> in every Whisper vocabulary (some tokenizer
        # files, e.g. tiny.en's, don't name them).
        self._ts_begin = self._no_ts + 1
        self.last_split_failed = False

    def _timestamp_prompt(self, lang: str | None) -> list[int]:
        return [t for t in self.rec._prompt(lang) if t != self._no_ts]

    def _encode(self, audios: list[np.ndarray], window_frames: int):
        feats = []
        for audio in audios:
            f = self.rec._features(audio)
            f = f[:, :window_frames]
            if f.shape[-1] < window_frames:
                f = np.pad(f, ((0, 0), (0, window_frames - f.shape[-1])))
            feats.append(f)
        batch = np.ascontiguousarray(np.stack(feats), dtype=np.float32)
        return self.rec._model.encode(ctranslate2.StorageView.from_array(batch), to_cpu=False)

    def _window_frames(self, seconds: float) -> int:
        return min(MAX_WINDOW_FRAMES, max(int(self.rec._min_frames), int(seconds * FRAMES_PER_SECOND) + 50))

    def _decode(self, ids: list[int]) -> str:
        return drop_repeats(self.rec._tokenizer.decode([t for t in ids if t < self.rec._eot]).strip())

    def packed(self, audios: list[np.ndarray], lang: str | None) -> list[PackedText] | None:
        """float32 utterances (each well under the window) in one window; None if the split fails."""
        durations = [len(a) / SAMPLE_RATE for a in audios]
        places, total = layout(durations, self.gap_s)
        gap = np.zeros(int(self.gap_s * SAMPLE_RATE), dtype=np.float32)
        parts: list[np.ndarray] = []
        for i, a in enumerate(audios):
            parts += [a] if i == 0 else [gap, a]
        window = np.concatenate(parts)
        encoded = self._encode([window], self._window_frames(total))
        result = self.rec._model.generate(
            encoded, [self._timestamp_prompt(lang)], beam_size=self.rec._beam, return_scores=True,
            max_length=min(448, int(24 + 14 * total)), suppress_blank=True,
        )[0]
        segs = segments(result.sequences_ids[0], self._ts_begin, self.rec._eot)
        owned = assign(segs, places, self._window_frames(total) / FRAMES_PER_SECOND)
        self.last_split_failed = owned is None
        if owned is None:
            return None
        score = result.scores[0] if result.scores else -5.0
        conf = float(np.clip(math.exp(score), 0.0, 1.0))
        joiner = "" if lang in ("zh", "ja") else " "
        return [PackedText(joiner.join(self._decode(list(s.tokens)) for s in own).strip(), conf if own else 0.0)
                for own in owned]

    def prompted(self, audio: np.ndarray, lang: str | None, prompt: str) -> PackedText:
        """One utterance with a caller's previous-text prompt (names, products) ahead of Whisper's own."""
        prev = self.rec._token("<|startofprev|>")
        own = self.rec._prompt(lang)
        if prev in own:  # the recogniser's own prompt (zh) gives way to the caller's
            own = own[own.index(self.rec._token("<|startoftranscript|>")):]
        ids = [prev, *self.rec._tokenizer.encode(" " + prompt.strip(), add_special_tokens=False).ids[-200:], *own]
        seconds = len(audio) / SAMPLE_RATE
        encoded = self._encode([audio], self._window_frames(seconds))
        r = self.rec._model.generate(encoded, [ids], beam_size=self.rec._beam, return_scores=True,
                                     max_length=min(448, len(ids) + int(24 + 10 * seconds)), suppress_blank=True)[0]
        score = r.scores[0] if r.scores else -5.0
        return PackedText(self._decode(r.sequences_ids[0]), float(np.clip(math.exp(score), 0.0, 1.0)))

    def batched(self, audios: list[np.ndarray], lang: str | None) -> list[PackedText]:
        """One encoder pass over B windows and one generate over B prompts: exact, less saving."""
        longest = max(len(a) for a in audios) / SAMPLE_RATE
        encoded = self._encode(audios, self._window_frames(longest))
        prompt = self.rec._prompt(lang)
        results = self.rec._model.generate(
            encoded, [prompt] * len(audios), beam_size=self.rec._beam, return_scores=True,
            return_no_speech_prob=True, max_length=int(24 + 10 * longest), suppress_blank=True,
        )
        out = []
        for r in results:
            score = r.scores[0] if r.scores else -5.0
            if r.no_speech_prob > 0.6 and score < -1.0:  # as WhisperRecognizer does for one clip
                out.append(PackedText("", 0.0))
                continue
            out.append(PackedText(self._decode(r.sequences_ids[0]), float(np.clip(math.exp(score), 0.0, 1.0))))
        return out


def as_float(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) / 32768.0 if pcm.dtype == np.int16 else pcm.astype(np.float32)
