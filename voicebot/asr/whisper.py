"""Whisper through CTranslate2, tuned for short phone turns.

faster-whisper's ``transcribe()`` pads every clip to a 30 s encoder window: ~1.1 s for Whisper
base on 2 cores even for a 2 s "yes". CTranslate2 accepts shorter windows; below ~1 s past the
audio Whisper starts looping ("5 5 5 5"), but a 10 s window gives the same text as 30 s at a
fifth of the encoder cost. So we build features with faster-whisper's extractor, pad to
``asr.min_window_s``, and call ``encode`` + ``generate`` ourselves. Temperature fallback is a
setting (``asr.temperatures``): on garbled audio each step costs a full decode, and the ladder up
to 1.0 took 15-30 s.

Decoding is split from encoding (``encode`` / ``decode``) so the zh benchmark can try several
decoder settings on one encoder pass. The decoder's text then goes through ``clean_transcript``:
hallucinations out, simplified characters and digits for Chinese.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import ctranslate2
import numpy as np

from voicebot.asr.base import Expected, Transcript, as_phrases, phrases
from voicebot.asr.cleanup import Cleaned, clean_transcript, speech_seconds
from voicebot.asr.closed_set import ClosedSetResult, ClosedSetScorer
from voicebot.asr.hallucination import compression_ratio
from voicebot.config import AsrConfig
from voicebot.errors import ModelError
from voicebot.logs import get_logger

SAMPLE_RATE = 16000
FRAMES_PER_SECOND = 100  # mel frames
MAX_WINDOW_FRAMES = 3000
MAX_PROMPT_TOKENS = 100  # Whisper allows 223; a long prompt slows every decoding step
LOCALE_TO_LANGUAGE = {"en-us": "en", "zh-cn": "zh"}

log = get_logger("voicebot.asr.whisper")


def language_code(language: str | None) -> str | None:
    if not language:
        return None
    return LOCALE_TO_LANGUAGE.get(language.lower(), language.split("-")[0].lower())


@dataclass(frozen=True)
class DecodeOptions:
    beam_size: int = 1
    prompt: str = ""  # previous-text prompt ('' = none)
    temperatures: tuple[float, ...] = (0.0,)  # fallback ladder: next one when the text looks broken
    no_speech_threshold: float = 0.8
    logprob_threshold: float = -1.0
    # When the text was the prompt's own words (a copy, or 以下是普通话的句子), decode again without it.
    retry_without_prompt: bool = True


@dataclass(frozen=True)
class Decoded:
    text: str  # the decoder's raw text
    avg_logprob: float
    no_speech_prob: float
    temperature: float
    silent: bool  # no_speech high and log-prob low: nobody spoke


@dataclass(frozen=True)
class _ChunkHeard:
    """What one 30 s window of a turn contributed to its transcript."""

    text: str  # kept: the cleaned text, or the expected answer chosen by sound ('' = nothing)
    raw: str  # as decoded, before clean-up
    avg_logprob: float
    no_speech_prob: float
    dropped: str  # why text was dropped ('' = nothing was)
    scored: ClosedSetResult | None  # the expected answers' scores, for a short turn
    fallback: ClosedSetResult | None = None  # asr.closed_set_fallback's choice, for a short turn


class WhisperRecognizer:
    sample_rate = SAMPLE_RATE

    def __init__(self, model_dir: Path, cfg: AsrConfig, setting: str = "asr.whisper_model") -> None:
        from faster_whisper import WhisperModel

        t0 = time.perf_counter()
        try:
            model = WhisperModel(str(model_dir), device="cpu", compute_type=cfg.compute_type,
                                 cpu_threads=cfg.cpu_threads, num_workers=cfg.num_workers)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{setting}: cannot load the Whisper model in {model_dir}: {exc} "
                             f"(corrupt or incomplete download?)") from None
        self.name = f"whisper:{model_dir.name}"
        self._model = model.model
        self._features = model.feature_extractor
        self._tokenizer = model.hf_tokenizer
        self.multilingual = bool(self._model.is_multilingual)
        self._cfg = cfg
        self._min_frames = int(cfg.min_window_s * FRAMES_PER_SECOND)
        self._eot = self._token("<|endoftext|>")
        self._prompts: dict[tuple[str | None, str], list[int]] = {}
        self.closed_set = ClosedSetScorer(self._model, self._tokenizer, lambda lang: self._prompt(lang, ""))
        self.load_s = time.perf_counter() - t0
        log.info("whisper_loaded", model=str(model_dir), multilingual=self.multilingual, seconds=round(self.load_s, 2))

    def _token(self, text: str) -> int:
        token = self._tokenizer.token_to_id(text)
        if token is None:
            raise ModelError(f"Whisper tokenizer has no {text!r}: not a Whisper model?")
        return token

    @property
    def _beam(self) -> int:  # the recognition service's packing decodes with the global beam
        return self._cfg.beam_size

    def _prompt(self, language: str | None, text: str | None = None) -> list[int]:
        if text is None:  # the language's configured prompt (the recognition service's packing)
            text = self._cfg.prompts.get(language or "", "")
        key = (language, text)
        if key in self._prompts:
            return self._prompts[key]
        if not self.multilingual and language not in (None, "en"):
            raise ModelError(f"{self.name} is English-only; language {language!r} needs a multilingual "
                             f"Whisper model (asr.whisper_model = 'base')")
        prompt = []
        if text:
            ids = self._tokenizer.encode(" " + text if language != "zh" else text, add_special_tokens=False).ids
            prompt = [self._token("<|startofprev|>"), *ids[-MAX_PROMPT_TOKENS:]]
        prompt.append(self._token("<|startoftranscript|>"))
        if self.multilingual:
            prompt.append(self._token(f"<|{language or 'en'}|>"))
            prompt.append(self._token("<|transcribe|>"))
        prompt.append(self._token("<|notimestamps|>"))
        if len(self._prompts) < 64:
            self._prompts[key] = prompt
        return prompt

    def options(self, language: str | None, prompt: str = "") -> DecodeOptions:
        """The configured decoding for a turn; ``prompt`` = the call's domain words (may be '')."""
        cfg = self._cfg
        text = prompt if (prompt and cfg.domain_prompt) else cfg.prompts.get(language or "", "")
        beam = cfg.language_beam_size.get(language or "", cfg.beam_size)
        return DecodeOptions(beam, text, tuple(cfg.temperatures), cfg.no_speech_threshold, cfg.logprob_threshold,
                             cfg.retry_without_prompt)

    def transcribe(self, pcm: np.ndarray, language: str | None = None, prompt: str = "",
                   expected: Expected = ()) -> Transcript:
        """``prompt``: domain words of the call (company, product, offers), used when
        ``asr.domain_prompt`` is on; otherwise the language's prompt from ``asr.prompts``.
        ``expected``: the answers the call expects now, scored against a short turn's audio."""
        t0 = time.perf_counter()
        lang = language_code(language)
        audio = pcm.astype(np.float32) / 32768.0 if pcm.dtype == np.int16 else pcm.astype(np.float32)
        seconds = len(audio) / SAMPLE_RATE
        if seconds < 0.2 or float(np.abs(audio).max(initial=0.0)) < 1e-3:
            return Transcript("", 0.0, lang or "", seconds, time.perf_counter() - t0)
        opts = self.options(lang, prompt)
        cfg = self._cfg
        short = seconds <= cfg.closed_set_max_s
        every = tuple(as_phrases(expected)) if short and cfg.closed_set_fallback else ()
        if not (short and cfg.closed_set != "off"):
            expected = ()  # only short turns are scored against the expected answers
        step = 30 * SAMPLE_RATE
        heard = [self._hear_chunk(audio[start:start + step], lang, opts, expected, every)
                 for start in range(0, len(audio), step)]
        return self._transcript(heard, lang, seconds, t0)

    def _hear_chunk(self, chunk: np.ndarray, lang: str | None, opts: DecodeOptions, expected: Expected,
                    every: Expected = ()) -> _ChunkHeard:
        """One window of at most 30 s: decoded, cleaned, and scored against the expected answers."""
        encoded = self.encode(chunk)
        d, cleaned = self.recognise(encoded, chunk, lang, opts)
        if d.silent:
            return _ChunkHeard("", d.text, d.avg_logprob, d.no_speech_prob, "no speech", None)
        scored = None
        if expected:
            candidates, meaning = phrases(expected)
            scored = self.closed_set.choose(encoded, len(chunk) // (SAMPLE_RATE // FRAMES_PER_SECOND), lang,
                                            cleaned.text, candidates, self._cfg.closed_set_margin,
                                            self._cfg.closed_set_within, meaning)
        text = scored.chosen if scored and scored.chosen else cleaned.text
        fallback = None
        texts = [p.text for p in as_phrases(every)]
        # Only words the dialogue may not understand: not silence or noise (no words), not an answer
        # chosen by sound already, not an expected answer heard as itself.
        if texts and cleaned.text and not (scored and scored.chosen) and spoken(cleaned.text) not in texts:
            fallback = self.closed_set.fallback(encoded, len(chunk) // (SAMPLE_RATE // FRAMES_PER_SECOND), lang, texts,
                                                self._cfg.closed_set_fallback_margin,
                                                {p.text: p.sense for p in as_phrases(every)})
        return _ChunkHeard(text, d.text, d.avg_logprob, d.no_speech_prob, cleaned.dropped, scored, fallback)

    def _transcript(self, heard: list[_ChunkHeard], lang: str | None, seconds: float, t0: float) -> Transcript:
        joiner = "" if lang in ("zh", "ja") else " "
        kept = [h for h in heard if h.text]
        text = joiner.join(h.text for h in kept).strip()
        raw = joiner.join(h.raw for h in heard if h.raw).strip()
        confidence = float(np.clip(math.exp(np.mean([h.avg_logprob for h in kept])), 0.0, 1.0)) if kept else 0.0
        dropped = "; ".join(h.dropped for h in heard if h.dropped)
        scored = next((h.scored for h in reversed(heard) if h.scored is not None), None)
        fallback = heard[-1].fallback if len(heard) == 1 else None  # short turns only: one window
        if dropped and raw:
            log.info("asr_text_dropped", raw=raw, kept=text, reason=dropped)
        transcript = Transcript(text, confidence, lang or "", seconds, time.perf_counter() - t0, raw_text=raw,
                                dropped=dropped, no_speech_prob=max((h.no_speech_prob for h in heard), default=0.0))
        if fallback is not None and fallback.chosen:
            transcript = replace(transcript, fallback_text=fallback.chosen, fallback_margin=round(fallback.margin, 3))
        return _with_expected_scores(transcript, scored) if scored is not None else transcript

    def recognise(self, encoded: ctranslate2.StorageView, audio: np.ndarray, lang: str | None,
                  opts: DecodeOptions) -> tuple[Decoded, Cleaned]:
        """Decode + clean up; a prompt copy is decoded once more without the prompt (it caused it)."""
        seconds, speech_s = len(audio) / SAMPLE_RATE, speech_seconds(audio, SAMPLE_RATE)
        d = self.decode(encoded, seconds, lang, opts)
        cleaned = clean_transcript(d.text, lang, opts.prompt, speech_s)
        if not d.silent and opts.prompt and opts.retry_without_prompt and "prompt" in cleaned.dropped:
            again = self.decode(encoded, seconds, lang, replace(opts, prompt=""))
            if not again.silent:
                cleaned2 = clean_transcript(again.text, lang, opts.prompt, speech_s)
                if cleaned2.text:
                    return again, Cleaned(cleaned2.text, f"{cleaned.dropped} (decoded again without the prompt)")
        return d, cleaned

    def encode(self, audio: np.ndarray) -> ctranslate2.StorageView:
        """float32 audio at 16 kHz (at most 30 s) -> encoder output, padded to asr.min_window_s."""
        frames = len(audio) // (SAMPLE_RATE // FRAMES_PER_SECOND) + 1
        window = min(MAX_WINDOW_FRAMES, max(self._min_frames, frames + 50))
        # Pad the audio, not the features: digital silence gives the log-mel floor Whisper was
        # trained with (max - 8), where zero-padded features read as a constant hum (log 1e-4),
        # which made short turns come back empty or as the prompt.
        pad = max(160, window * (SAMPLE_RATE // FRAMES_PER_SECOND) - len(audio))
        feats = self._features(audio, padding=pad)
        if feats.shape[-1] < window:
            feats = np.pad(feats, ((0, 0), (0, window - feats.shape[-1])), constant_values=float(feats.min()))
        feats = np.ascontiguousarray(feats[:, :window][None], dtype=np.float32)
        return self._model.encode(ctranslate2.StorageView.from_array(feats), to_cpu=False)

    def decode(self, encoded: ctranslate2.StorageView, seconds: float, lang: str | None, opts: DecodeOptions) -> Decoded:
        prompt = self._prompt(lang, opts.prompt)
        best: Decoded | None = None
        for temperature in opts.temperatures:
            sampling = {"beam_size": 1, "sampling_topk": 0, "sampling_temperature": temperature} if temperature > 0 \
                else {"beam_size": opts.beam_size}
            result = self._model.generate(
                encoded, [prompt], return_scores=True, return_no_speech_prob=True,
                # max_length counts the prompt too: a long prompt would otherwise cut the text short.
                max_length=len(prompt) + int(24 + 12 * seconds), suppress_blank=True, **sampling,
            )[0]
            ids = [t for t in (result.sequences_ids[0] if result.sequences_ids else []) if t < self._eot]
            # generate()'s score is the log-prob normalised by length (length_penalty 1); Whisper's average:
            avg = (result.scores[0] * len(ids) / (len(ids) + 1)) if result.scores and ids else -5.0
            text = drop_repeats(self._tokenizer.decode(ids).strip())
            silent = result.no_speech_prob > opts.no_speech_threshold and avg < opts.logprob_threshold
            d = Decoded(text, avg, result.no_speech_prob, temperature, silent)
            if best is None or d.avg_logprob > best.avg_logprob:
                best = d
            # Whisper's own fallback test: text that compresses too well loops, too low a log-prob is a guess.
            if silent or (compression_ratio(text) <= 2.4 and avg >= opts.logprob_threshold):
                return d
        return best  # type: ignore[return-value]

    def stream(self, language: str | None = None) -> None:
        return None


_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")
_PUNCT = re.compile(r"[\s，。？！、,.?!…]+$")


def spoken(text: str) -> str:
    """The text as an expected answer is written (no end punctuation)."""
    return _PUNCT.sub("", text.strip())


def _with_expected_scores(transcript: Transcript, scored: ClosedSetResult) -> Transcript:
    """A short turn scored against the expected answers: the free decoding stays as ``free_text``
    when an answer was chosen by sound, and the margin says how clearly."""
    log.info("asr_expected_scored", free=scored.free.text if scored.free else "", best=scored.best.text,
             chosen=scored.chosen, margin=round(scored.margin, 2),
             runner_up=scored.runner_up.text if scored.runner_up else "")
    return replace(transcript, free_text=transcript.raw_text if scored.chosen else "",
                   expected_margin=round(scored.margin, 3))


def drop_repeats(text: str) -> str:
    """Whisper's failure mode on short windows: the same sentence over and over. Keep one."""
    parts = [p for p in _SENTENCE.split(text) if p]
    out: list[str] = []
    for part in parts:
        if not out or part.strip().lower() != out[-1].strip().lower():
            out.append(part)
    joined = " ".join(p.strip() for p in out) if " " in text else "".join(out)
    return joined.strip()
