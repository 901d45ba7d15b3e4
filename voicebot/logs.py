"""structlog set-up: JSON lines on stderr; a call's logger carries its call_id on every line."""

from __future__ import annotations

import logging
import re
import sys

import structlog

_PHONE = re.compile(r"(?<!\d)(\+?\d{3})\d{4,}(\d{2})(?!\d)")


# Values that are identifiers or paths, never phone numbers (hex call ids can hold digit runs).
_NOT_PHONES = {"call_id", "recording", "transcript", "path", "model", "timestamp", "old", "new",
               "consult_call", "leg", "sip_call_id", "job_id", "event", "supervisor_call"}


def _mask(value: object) -> object:
    if isinstance(value, str):
        return _PHONE.sub(lambda m: m.group(1) + "*" * 7 + m.group(2), value)
    if isinstance(value, dict):
        return {k: (v if k in _NOT_PHONES else _mask(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask(v) for v in value]
    return value


def mask_phone_numbers(_logger: object, _name: str, event_dict: dict) -> dict:
    """Phone numbers never reach the logs whole: +8613812345678 -> +86*******78."""
    return _mask(event_dict)  # type: ignore[return-value]


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
