"""This machine's rated channel count: how many calls it carries with the callee's reply wait at
p95 within budget, as measured here by ``voicebot capacity rate`` (voicebot/ops/capacity_probe.py).

The rating is stored beside the rest of the machine's state (``paths.cache_dir``) with what it was
measured with: CPU count and the recognition setup. A rating taken with another recogniser or on
other hardware says nothing about this one, so it is ignored then (and ``show`` says why).
``serve`` and ``campaign start`` refuse more channels than the rating without ``--force``; with no
rating they warn once and run, so a fresh install and the demo work out of the box.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from voicebot.config import Settings

RATING_FILE = "capacity-rating.json"
REPLY_P95_BUDGET_MS = 1200  # end of the callee's speech -> first bot audio, as the callee hears it


@dataclass(frozen=True)
class LoadPoint:
    calls: int  # simultaneous calls
    duration_s: float
    conversations: int
    turns_said: int
    turns_answered: int
    p50_ms: float | None
    p95_ms: float | None
    machine_busy_pct: float = 0.0
    load_average_at_start: float = 0.0

    @property
    def within(self) -> bool:
        return bool(self.turns_said) and self.turns_answered == self.turns_said and self.p95_ms is not None


@dataclass(frozen=True)
class CapacityRating:
    channels: int  # 0: not even one call met the budget
    budget_ms: int
    measured_at: str
    cpu_count: int
    recogniser: str  # asr_setup() when it was measured
    points: list[LoadPoint] = field(default_factory=list)

    def point(self, calls: int) -> LoadPoint | None:
        return next((p for p in self.points if p.calls == calls), None)

    @property
    def calls_per_channel_hour(self) -> float | None:
        """Conversations per channel-hour at the rated load (the campaign projection's rate)."""
        p = self.point(self.channels)
        if p is None or not p.conversations or not p.duration_s:
            return None
        return p.conversations / p.calls / (p.duration_s / 3600)


def asr_setup(settings: Settings) -> str:
    """What the rating depends on besides the CPU: the recogniser, its precision, threads and beam."""
    a = settings.asr
    return (f"{a.backend}:{a.whisper_model}:{a.compute_type}:threads={a.cpu_threads}:beam={a.beam_size}"
            f":service={'on' if a.service != 'off' else 'off'}")


def rated_channels(points: list[LoadPoint], budget_ms: int = REPLY_P95_BUDGET_MS) -> int:
    """The most calls at which this and every smaller measured load answered every turn within budget
    (a load that fails once is not rescued by a lucky larger one)."""
    rated = 0
    for p in sorted(points, key=lambda p: p.calls):
        if not p.within or p.p95_ms > budget_ms:
            break
        rated = p.calls
    return rated


def rating_path(settings: Settings) -> Path:
    return Path(settings.paths.cache_dir) / RATING_FILE


def save_rating(settings: Settings, rating: CapacityRating) -> Path:
    path = rating_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(rating), indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)  # never a half-written rating
    return path


def read_rating(settings: Settings) -> tuple[CapacityRating | None, str]:
    """(the rating, '') when it applies to this machine and setup; else (None, why not)."""
    path = rating_path(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rating = CapacityRating(**{**data, "points": [LoadPoint(**p) for p in data.get("points", [])]})
    except FileNotFoundError:
        return None, f"no capacity rating on this machine ({path}): run `voicebot capacity rate`"
    except (OSError, ValueError, TypeError) as exc:
        return None, f"the capacity rating {path} is unreadable ({exc}): run `voicebot capacity rate` again"
    if rating.cpu_count != os.cpu_count():
        return None, (f"the capacity rating was measured on {rating.cpu_count} cores, this machine has "
                      f"{os.cpu_count()}: run `voicebot capacity rate` again")
    if rating.recogniser != asr_setup(settings):
        return None, (f"the capacity rating was measured with {rating.recogniser}, the settings now say "
                      f"{asr_setup(settings)}: run `voicebot capacity rate` again")
    return rating, ""


def channels_refusal(settings: Settings, channels: int, zh: bool = False) -> str | None:
    """Why ``channels`` simultaneous calls must not run here, or None. With no usable rating: None
    (the caller warns with ``read_rating``'s reason)."""
    return _refusal(read_rating(settings)[0], channels, zh)


def _refusal(rating: CapacityRating | None, channels: int, zh: bool) -> str | None:
    if rating is None or channels <= rating.channels:
        return None
    if zh:
        return (f"本机实测额定 {rating.channels} 路（回复等待 p95 ≤ {rating.budget_ms} ms，{rating.measured_at} 测得），"
                f"要求 {channels} 路：超出额定会让客户等得更久。请减少路数，或加 --force 强制运行。")
    return (f"this machine is rated for {rating.channels} simultaneous calls (reply wait p95 <= {rating.budget_ms} ms, "
            f"measured {rating.measured_at}); {channels} were asked for, and callees would wait longer. "
            f"Use fewer channels, or --force.")


def check_channels(settings: Settings, channels: int, force: bool, zh: bool = False) -> str | None:
    """The refusal to print (the command then exits 2), or None to go on. Without a usable rating it
    goes on and logs why; ``--force`` goes on and logs that it was over the rating."""
    from voicebot.logs import get_logger

    log = get_logger("voicebot.capacity")
    rating, why = read_rating(settings)
    if rating is None:
        log.warning("capacity_unrated", channels=channels, reason=why)
        return None
    refusal = _refusal(rating, channels, zh)  # the rating already read: one read per check
    if refusal is not None and force:
        log.warning("capacity_over_rating", channels=channels, rated=rating.channels, forced=True)
        return None
    return refusal
