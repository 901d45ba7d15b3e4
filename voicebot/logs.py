"""structlog set-up: JSON lines on stderr; a call's logger carries its call_id on every line."""

from __future__ import annotations

import logging
import re
import sys

import structlog

_PHONE = re.compile(r"(?<!\d)(\+?\d{3})\d{4,}(\d{2})(?!\d)")


def mask_phone_numbers(_logger: object, _name: str, event_dict: dict) -> dict:
    """Phone numbers never reach the logs whole: +8613812345678 -> +86*******78."""
    for key, value in event_dict.items():
        if isinstance(value, str) and key != "event_id":
            event_dict[key] = _PHONE.sub(lambda m: m.group(1) + "*" * 7 + m.group(2), value)
    return event_dict


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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str, **bound: object) -> structlog.typing.FilteringBoundLogger:
    # A lazy proxy: modules create loggers at import time, before configure_logging() runs.
    return structlog.get_logger(name, **bound)
