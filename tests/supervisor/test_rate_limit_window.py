"""The console's per-session rate (QA comments): a sliding window, so neither a burst across the
minute's edge nor a reset in the middle of one lets more than the limit through."""

from __future__ import annotations

from voicebot.supervisor.rate_limits import RateLimit


def _allowed(limit: RateLimit, client, key: str, times: list[float]) -> int:
    return sum(limit.spend(client, key, now=t) == 0 for t in times)


def test_a_burst_across_the_minutes_edge_gets_the_limit_not_twice_it(redis_client):
    limit = RateLimit("test-edge", 30)
    edge = 1_800_000_000.0 - 1_800_000_000.0 % 60 + 60  # a minute boundary
    burst = [edge - 0.5 + i * 0.01 for i in range(100)]  # 100 posts in one second, across the edge
    assert _allowed(limit, redis_client, "s1", burst) == 30


def test_a_refusal_says_how_long_and_a_new_minute_after_a_quiet_one_allows_again(redis_client):
    limit = RateLimit("test-wait", 3)
    start = 1_800_000_000.0 - 1_800_000_000.0 % 60 + 10  # 10 s into a minute
    assert _allowed(limit, redis_client, "s2", [start, start + 1, start + 2]) == 3
    assert limit.spend(redis_client, "s2", now=start + 3) == 47  # refused until this minute ends
    assert limit.spend(redis_client, "s2", now=start + 125) == 0  # two minutes on: nothing recent counts
    assert limit.spend(redis_client, "other", now=start + 3) == 0  # per session
