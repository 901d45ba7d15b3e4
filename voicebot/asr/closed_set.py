"""Scoring the answers a call expects against the audio, with Whisper itself.

Free decoding of a one-word Mandarin answer through G.711 is mostly wrong (不是 → 普适), but the
same model ranks a short list of expected answers well: force each candidate through the decoder
(CTranslate2 ``align``) on the already-encoded audio and compare mean token log-probs. The free
transcript is scored the same way. Being the decoder's own best path it nearly always scores
highest, so a candidate replaces it when it comes close (``asr.closed_set_within``) and clearly
beats every other candidate (``asr.closed_set_margin``): 满意 heard as 妈妈 scored -2.3 against
-2.2, the next answer -3.3. Only short turns are scored: the expected answers are short, and a
long turn that happens to contain one is better left to the intent classifier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ctranslate2
import numpy as np


@dataclass(frozen=True)
class CandidateScore:
    text: str
    logprob: float  # mean log-prob per token of the text given the audio


@dataclass(frozen=True)
class ClosedSetResult:
    """What scoring found; ``chosen`` is '' when the free transcript stands."""
    chosen: str
    best: CandidateScore
    runner_up: CandidateScore | None
    free: CandidateScore | None

    @property
    def margin(self) -> float:
        """Best candidate over the next one that means something else (the free text included): a
        confidence in nats."""
        others = [s.logprob for s in (self.runner_up, self.free) if s is not None and s.text != self.best.text]
        return self.best.logprob - max(others) if others else 1.0


TRIM_TAIL = 50  # encoder frames (1 s) kept after the audio when scoring a trimmed window


def mean_logprob(probs: list[float]) -> float:
    return float(np.mean([math.log(max(p, 1e-9)) for p in probs])) if probs else -20.0


class ClosedSetScorer:
    """Stateless apart from a token cache; safe from several threads (CTranslate2 serialises)."""

    def __init__(self, model: ctranslate2.models.Whisper, tokenizer, start_sequence) -> None:
        self._model, self._tokenizer = model, tokenizer
        self._start_sequence = start_sequence  # language -> the decoder's prefix (no prompt)
        self._tokens: dict[str, list[int]] = {}
        self._end = tokenizer.token_to_id("<|endoftext|>")

    def tokens(self, text: str, language: str | None) -> list[int]:
        key = f"{language}:{text}"
        ids = self._tokens.get(key)
        if ids is None:
            ids = self._tokenizer.encode(text if language in ("zh", "ja") else " " + text,
                                         add_special_tokens=False).ids
            if len(self._tokens) < 4096:
                self._tokens[key] = ids
        return ids

    def score(self, encoded: ctranslate2.StorageView, frames: int, language: str | None,
              texts: list[str], trim: bool = False, end: bool = False) -> list[CandidateScore]:
        """Each text's fit to the encoded audio (``frames``: mel frames of real audio). ``trim``:
        only the encoder frames of the audio and ``TRIM_TAIL`` after it are attended to (the rest of
        the window is padding, and its share of the decoder's cross-attention is most of the cost).
        ``end``: the end-of-text token is scored too, so an answer must be all that was said
        (不 is not the whole of 不是)."""
        texts = [t for t in dict.fromkeys(texts) if t.strip()]
        if not texts:
            return []
        tokens = [self.tokens(t, language) + ([self._end] if end else []) for t in texts]
        enc = np.asarray(encoded)  # (1, T, D) on the CPU
        if trim:
            keep = min(enc.shape[1], frames // 2 + TRIM_TAIL)  # the encoder halves the mel frame rate
            enc, frames = np.ascontiguousarray(enc[:, :keep]), min(frames, 2 * keep)
        batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(enc, len(texts), axis=0)))
        results = self._model.align(batch, self._start_sequence(language), tokens, frames)
        return [CandidateScore(t, mean_logprob(list(r.text_token_probs)))
                for t, r in zip(texts, results)]

    def choose(self, encoded: ctranslate2.StorageView, frames: int, language: str | None, free_text: str,
               candidates: list[str], margin: float, within: float,
               meaning: dict[str, str] | None = None) -> ClosedSetResult | None:
        """``meaning``: text -> what it means; the best must beat the best candidate that means
        something else (满意 need not beat 很满意, only 一般 and 不满意)."""
        pool = [c for c in dict.fromkeys(candidates) if c]
        if not pool:
            return None
        scored = self.score(encoded, frames, language, pool + ([free_text] if free_text and free_text not in pool else []))
        return pick(scored, free_text, pool, margin, within, meaning)


    def fallback(self, encoded: ctranslate2.StorageView, frames: int, language: str | None,
                 candidates: list[str], margin: float, meaning: dict[str, str] | None = None) -> ClosedSetResult | None:
        """The best expected answer by sound whatever the free decode scored, on the audio's own
        encoder frames (``trim``: 7 instead of 41 ms a candidate under load): for a turn the dialogue
        did not understand, where the free decode has already failed."""
        pool = [c for c in dict.fromkeys(candidates) if c]
        if not pool:
            return None
        return pick(self.score(encoded, frames, language, pool, trim=True), "", pool, margin, math.inf, meaning)


def pick(scored: list[CandidateScore], free_text: str, pool: list[str], margin: float, within: float,
         meaning: dict[str, str] | None = None) -> ClosedSetResult:
    """The choice among scored candidates (``pool``) and the free decode: apart from the scoring, so
    a benchmark can replay it on stored scores."""
    senses = meaning or {}

    def sense(text: str) -> str:
        return senses.get(text, text)

    free = next((s for s in scored if s.text == free_text), None) if free_text else None
    ranked = sorted((s for s in scored if s.text in pool), key=lambda s: s.logprob, reverse=True)
    best = ranked[0]
    runner_up = next((s for s in ranked[1:] if sense(s.text) != sense(best.text)), None)
    near_free = free is None or free.text == best.text or best.logprob >= free.logprob - within
    beats_next = runner_up is None or best.logprob - runner_up.logprob >= margin
    chosen = best.text if near_free and beats_next else ""
    return ClosedSetResult(chosen, best, runner_up, free)
