"""Per-source admission of incoming INVITEs (token bucket + live-call cap), on a fake clock."""

from __future__ import annotations

from voicebot.sip.admission import SourceAdmission, TokenBucket, resolve_hosts, source_host, uri_host


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_bucket_spends_its_burst_then_refills_at_its_rate():
    bucket = TokenBucket(rate=2.0, burst=3.0, tokens=3.0, stamp=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == 0.5  # the next token is half a second away at 2/s
    assert bucket.take(0.5) == 0.0
    assert bucket.take(10.0) == 0.0 and bucket.tokens == 2.0  # never more than the burst saved up


def test_a_flooding_source_gets_503_with_retry_after_and_another_source_is_untouched():
    clock = Clock()
    adm = SourceAdmission(rate_per_s=1.0, burst=2, max_calls_per_source=0, retry_after_s=30, clock=clock)
    verdicts = [adm.check("10.0.0.9") for _ in range(50)]
    assert all(v.refusal is None for v in verdicts[:2])
    refused = [v.refusal for v in verdicts[2:]]
    assert all(r.code == 503 and r.headers["Retry-After"] == "1" for r in refused)
    assert "10.0.0.9" in refused[0].reason and "burst 2" in refused[0].reason
    assert adm.check("10.0.0.10").refusal is None
    assert adm.refused("10.0.0.9") == 48 and adm.refused("10.0.0.10") == 0


def test_refusals_are_reported_once_a_second_per_source_with_their_count():
    clock = Clock()
    adm = SourceAdmission(rate_per_s=0.1, burst=1, max_calls_per_source=0, retry_after_s=30, clock=clock)
    adm.check("a")
    counts = []
    for _ in range(30):  # 30 refused INVITEs over 3 s
        counts.append(adm.check("a").report_count)
        clock.t += 0.1
    reported = [c for c in counts if c]
    assert len(reported) == 3, counts
    assert reported[0] == 1 and sum(reported) <= 30
    assert adm.check("b").report_count == 0  # a new source is admitted, nothing to report


def test_the_live_call_cap_gives_486_and_frees_on_hang_up():
    clock = Clock()
    adm = SourceAdmission(rate_per_s=100.0, burst=100, max_calls_per_source=2, retry_after_s=7, clock=clock)
    for _ in range(2):
        assert adm.check("s").refusal is None
        adm.started("s")
    busy = adm.check("s").refusal
    assert busy.code == 486 and busy.headers == {"Retry-After": "7"}
    adm.ended("s")
    assert adm.check("s").refusal is None
    adm.ended("s"), adm.ended("s"), adm.ended("s")  # extra releases never go negative
    adm.started("s")
    assert adm.check("s").refusal is None


def test_the_pbx_is_exempt_and_a_zero_rate_turns_the_limit_off():
    clock = Clock()
    exempt = resolve_hosts(["sip:127.0.0.1:5070;lr", "", "localhost"])
    assert "127.0.0.1" in exempt
    adm = SourceAdmission(rate_per_s=0.5, burst=1, max_calls_per_source=1, retry_after_s=30,
                          exempt=exempt, clock=clock)
    for _ in range(100):
        assert adm.check("127.0.0.1").refusal is None
        adm.started("127.0.0.1")
    off = SourceAdmission(rate_per_s=0, burst=1, max_calls_per_source=1, retry_after_s=30, clock=clock)
    assert all(off.check("x").refusal is None for _ in range(100))


def test_memory_is_bounded_under_a_flood_from_many_addresses():
    clock = Clock()
    adm = SourceAdmission(rate_per_s=1.0, burst=1, max_calls_per_source=0, retry_after_s=30, clock=clock,
                          max_tracked=50)
    adm.check("busy"), adm.started("busy")
    for i in range(1000):
        adm.check(f"10.1.{i // 256}.{i % 256}")
    assert len(adm._sources) <= 51
    assert adm._sources["busy"].live_calls == 1  # a source with a live call is never forgotten


def test_addresses_and_uris_reduce_to_a_host():
    assert source_host("192.0.2.7:5060") == "192.0.2.7"
    assert source_host("[2001:db8::1]:5060") == "2001:db8::1"
    assert source_host("192.0.2.7") == "192.0.2.7"
    assert uri_host("sip:pbx.example.com:5070;lr") == "pbx.example.com"
    assert uri_host("<sips:user@192.0.2.1;transport=tls>") == "192.0.2.1"
