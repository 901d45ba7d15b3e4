"""Listen, whisper, barge: which conference-bridge routes each supervision mode needs.

A route (a, b) sends a's audio into b. Endpoints are the supervisor's call, the customer's
call, the bot's audio port on the customer's call, and (after a warm transfer the bot bridged
itself) the human agent's call. Pure data: ``SipUserAgent.route_audio`` applies the result on
the SIP thread, so this module is testable without a SIP stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

Route = tuple[Any, Any]


class Mode(str, Enum):
    LISTEN = "listen"  # hears both sides; nobody hears the supervisor
    WHISPER = "whisper"  # listen + the bot (or the bridged agent) gets the supervisor, the customer does not
    BARGE = "barge"  # supervisor and customer talk; the bot leaves the call

    @staticmethod
    def from_digit(digit: str) -> Mode | None:
        return {"1": Mode.LISTEN, "2": Mode.WHISPER, "3": Mode.BARGE}.get(digit)

    @staticmethod
    def parse(value: str) -> Mode:
        try:
            return Mode(value.strip().lower())
        except ValueError:
            raise ValueError(f"unknown supervision mode {value!r}; use listen, whisper or barge") from None


@dataclass(frozen=True)
class Parties:
    supervisor: Any  # SipCall
    customer: Any  # SipCall
    bot_port: Any  # the customer's call's CallAudioPort (the bot's voice and ears)
    agent: Any = None  # SipCall of a human agent bridged by the bot after a warm transfer


def routes_for(mode: Mode, p: Parties) -> list[Route]:
    """Routes that must be up in ``mode``."""
    # What the supervisor hears: the customer, and whoever answers the customer.
    hear = [(p.customer, p.supervisor), (p.bot_port, p.supervisor)]
    if p.agent is not None:
        hear.append((p.agent, p.supervisor))
    if mode is Mode.LISTEN:
        return hear
    if mode is Mode.WHISPER:
        # The bot's ear for the supervisor is the supervisor call's own port (its recogniser);
        # a bridged human agent gets the voice through the bridge. Never the customer.
        return hear + ([(p.supervisor, p.agent)] if p.agent is not None else [])
    # Barge: a two-way line with the customer (and the agent, if one is bridged). The supervisor's
    # voice also goes to the bot's port so the call recording keeps both sides.
    routes = [(p.customer, p.supervisor), (p.supervisor, p.customer), (p.supervisor, p.bot_port)]
    if p.agent is not None:
        routes += [(p.agent, p.supervisor), (p.supervisor, p.agent)]
    return routes


def removed_for(mode: Mode, p: Parties) -> list[Route]:
    """Routes that must be down in ``mode`` beyond the previous mode's: barge takes the bot's voice out."""
    return [(p.bot_port, p.customer)] if mode is Mode.BARGE else []


def transition(old: Mode | None, new: Mode, p: Parties) -> tuple[list[Route], list[Route]]:
    """(connect, disconnect) to go from ``old`` to ``new`` without touching routes both keep."""
    before = routes_for(old, p) if old is not None else []
    after = routes_for(new, p)
    connect = [r for r in after if not _has(before, r)]
    disconnect = [r for r in before if not _has(after, r)] + removed_for(new, p)
    return connect, disconnect


def teardown(mode: Mode | None, p: Parties) -> list[Route]:
    """Routes to drop when the supervisor leaves (the barge's removal of the bot stays)."""
    return routes_for(mode, p) if mode is not None else []


def _has(routes: list[Route], route: Route) -> bool:
    return any(a is route[0] and b is route[1] for a, b in routes)
