"""structlog set-up: JSON lines on stderr; a call's logger carries its call_id on every line."""

from __future__ import annotations

import logging
import sys

import structlog

from voicebot.masking import mask_value
from voicebot.secret_fields import redact_secrets


def mask_phone_numbers(_logger: object, _name: str, event_dict: dict) -> dict:
    """Phone numbers never reach the logs whole (the one rule: voicebot.masking): +86*********78."""
    return mask_value(event_dict)  # type: ignore[return-value]


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now: a stream captured at configure time may since have
    been swapped and closed (test runners, daemonised servers), and logging must not fail then."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", json_output: bool = True) -> None:
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json_output else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,  # after format_exc_info: a traceback can hold a URL with its password
            mask_phone_numbers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str, **bound: object) -> structlog.typing.FilteringBoundLogger:
    # A lazy proxy: modules create loggers at import time, before configure_logging() runs.
    return structlog.get_logger(name, **bound)
