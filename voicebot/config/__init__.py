"""All of voicebot's settings, in one typed place: this package, one module per area.

Sources, later wins: defaults here < TOML file (``VOICEBOT_CONFIG`` or ``./voicebot.toml``)
< environment (``VOICEBOT_<SECTION>__<FIELD>``, e.g. ``VOICEBOT_ASR__BACKEND=vosk``).
Every default works on a fresh machine with the model packages installed.

``telephony`` (paths, logging, SIP, media, turn-taking, ops), ``speech`` (ASR, TTS, recording,
emotion), ``conversation`` (dialogue, survey, emergency, fault drill), ``campaigns`` (Redis,
campaign), ``supervision`` (phone supervision, console). Import settings classes from here.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from voicebot.config.campaigns import CampaignConfig, RedisConfig
from voicebot.config.conversation import DialogueConfig, EmergencyConfig, FaultDrillConfig, SurveyConfig
from voicebot.config.speech import AsrConfig, EmotionConfig, RecordingConfig, TtsConfig
from voicebot.config.supervision import ConsoleUser, PhoneSupervisionConfig, SupervisorConfig, WallboardConfig
from voicebot.config.telephony import (
    LoggingConfig,
    MediaConfig,
    OpsConfig,
    PathsConfig,
    SipConfig,
    TurnConfig,
    _default_cache_dir,
)

__all__ = [
    "AsrConfig", "CampaignConfig", "ConfigError", "ConsoleUser", "DialogueConfig", "EmergencyConfig",
    "EmotionConfig", "FaultDrillConfig", "LoggingConfig", "MediaConfig", "OpsConfig", "PathsConfig",
    "PhoneSupervisionConfig", "RecordingConfig", "RedisConfig", "Settings", "SipConfig", "SupervisorConfig",
    "SurveyConfig", "TtsConfig", "TurnConfig", "WallboardConfig", "_default_cache_dir", "load_settings",
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOICEBOT_", env_nested_delimiter="__", extra="ignore")

    paths: PathsConfig = PathsConfig()
    logging: LoggingConfig = LoggingConfig()
    sip: SipConfig = SipConfig()
    media: MediaConfig = MediaConfig()
    turn: TurnConfig = TurnConfig()
    asr: AsrConfig = AsrConfig()
    tts: TtsConfig = TtsConfig()
    recording: RecordingConfig = RecordingConfig()
    dialogue: DialogueConfig = DialogueConfig()
    phone_supervision: PhoneSupervisionConfig = PhoneSupervisionConfig()
    emergency: EmergencyConfig = EmergencyConfig()
    fault_drill: FaultDrillConfig = FaultDrillConfig()
    redis: RedisConfig = RedisConfig()
    campaign: CampaignConfig = CampaignConfig()
    emotion: EmotionConfig = EmotionConfig()
    supervisor: SupervisorConfig = SupervisorConfig()
    ops: OpsConfig = OpsConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))


class _TomlFileSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("VOICEBOT_CONFIG", "voicebot.toml"))
        if not path.exists():
            if "VOICEBOT_CONFIG" in os.environ:
                raise ConfigError(f"config file {path} named by VOICEBOT_CONFIG does not exist")
            return {}
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc


class ConfigError(ValueError):
    pass


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
