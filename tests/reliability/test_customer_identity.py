"""Issue #20 item 1: no URI spelling slips past the compliance gate. Every spelling of a number on
the do-not-call list is refused on every path (place_call / `voicebot call`, supervisor call-outs,
transfers); only the configured staff list bypasses the gate; hours are checked in the number's own
time zone; calls placed with `voicebot call` count in the cap. Real redis-server, no mocks."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from voicebot.campaign import keys
from voicebot.campaign.compliance import CallRefused, check_customer_call, staff_destinations
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.identity import customer_number, dial_identity
from voicebot.config import CampaignConfig, ConsoleUser, Settings

DNC = "+8613800138000"
NATIONAL = "13800138000"


def shanghai(hour: int, minute: int = 0) -> float:
    return datetime(2026, 3, 3, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


# The exact repros, and the other spellings it names.
SPELLINGS = [
    f"SIP:{NATIONAL}@10.0.0.5", f"TEL:{DNC}", f"sip:%2B86{NATIONAL}@10.0.0.5", f'"x" <sip:{NATIONAL}@pbx>',
    f"sip:9{NATIONAL}@pbx", f"sip:*67{NATIONAL}@pbx", f"sips:{DNC}@pbx;transport=tls", f"sip:90086{NATIONAL}@pbx",
    f"sip:0{NATIONAL}@pbx", f"sip:TEL{NATIONAL}@pbx", "tel:+86-138-0013-8000;phone-context=+86",
    "<SIP:+86 138 0013 8000@pbx?subject=hi>", f"sip:%252B86{NATIONAL}@pbx", "sip:１３８００１３８０００@pbx",
    f"Sip:9*67{NATIONAL}@pbx;user=phone", f"sip:0086{NATIONAL}@pbx", NATIONAL, f"sip:9+86{NATIONAL}@pbx",
    f"sip:x{NATIONAL}@pbx", "sip:%31%33%38%30%30%31%33%38%30%30%30@pbx",
]


@pytest.mark.parametrize("uri", SPELLINGS)
def test_every_spelling_is_one_number(uri):
    ident = dial_identity(uri)
    assert ident.number == DNC, ident
    assert customer_number(uri) == DNC


@pytest.mark.parametrize("uri", SPELLINGS)
def test_every_spelling_of_a_dnc_number_is_refused(redis_client, uri):
    DoNotCallList(redis_client).add(DNC, "stop_calling", by="test")
    with pytest.raises(CallRefused, match="do_not_call"):
        check_customer_call(lambda: redis_client, CampaignConfig(), uri, path="place_call", now=shanghai(11))


def test_letters_do_not_make_a_number_staff(redis_client):
    cfg = CampaignConfig()
    assert dial_identity("sip:boss@pbx").number is None and not dial_identity("sip:boss@pbx").is_number
    assert dial_identity(f"sip:agent{NATIONAL}@pbx").number == DNC  # letters do not hide the number
    # Enough digits for a number, but no valid reading: refused rather than waved through.
    with pytest.raises(CallRefused, match="unparseable_number"):
        check_customer_call(lambda: redis_client, cfg, "sip:1234567890123@pbx", path="place_call", now=shanghai(11))


def test_only_the_configured_staff_list_bypasses_the_gate(redis_client):
    staff = "+8613700137000"
    DoNotCallList(redis_client).add(staff, "requested", by="test")
    with pytest.raises(CallRefused):
        check_customer_call(lambda: redis_client, CampaignConfig(), "sip:13700137000@pbx", path="place_call",
                            now=shanghai(11))
    cfg = CampaignConfig(staff_numbers=[staff])
    for spelling in ("SIP:13700137000@pbx", "sip:%2B8613700137000@pbx", "sip:913700137000@pbx"):
        assert check_customer_call(lambda: redis_client, cfg, spelling, path="place_call", now=shanghai(11)) is None
    with pytest.raises(CallRefused):  # another number is still a customer
        check_customer_call(lambda: redis_client, cfg, f"sip:{NATIONAL}@pbx", path="place_call", now=shanghai(3))
    with pytest.raises(ValueError, match="staff_numbers"):
        CampaignConfig(staff_numbers=["12345678901234"])
    settings = Settings(supervisor={"users": {"boss": ConsoleUser(password_hash="x", phone="+8613600136000")}},
                        phone_supervision={"supervisor_phones": ["sip:+8613500135000@pbx"]})
    assert set(staff_destinations(settings)) >= {"+8613600136000", "sip:+8613500135000@pbx"}


def test_hours_are_checked_in_the_numbers_own_time_zone(redis_client):
    """A +1-808 (Honolulu) number at 06:42 local time is refused even with a London default zone."""
    cfg = CampaignConfig(default_timezone="Europe/London")
    honolulu = datetime(2026, 3, 3, 6, 42, tzinfo=ZoneInfo("Pacific/Honolulu")).timestamp()
    assert datetime.fromtimestamp(honolulu, ZoneInfo("Europe/London")).hour == 16  # allowed in London
    with pytest.raises(CallRefused, match="outside_hours"):
        check_customer_call(lambda: redis_client, cfg, "sip:+18085550123@pbx", path="place_call", now=honolulu)
    later = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Pacific/Honolulu")).timestamp()
    assert check_customer_call(lambda: redis_client, cfg, "tel:+1-808-555-0123", path="place_call", now=later).allowed


def test_calls_placed_with_voicebot_call_count_in_the_cap(redis_client):
    cfg = CampaignConfig(max_calls_per_day=2, freq_cap_calls=0)
    now = shanghai(11)
    for i in range(2):
        assert check_customer_call(lambda: redis_client, cfg, f"sip:{NATIONAL}@pbx", path="place_call",
                                   now=now + i).allowed
    assert redis_client.zcard(keys.number_calls(DNC)) == 2
    with pytest.raises(CallRefused, match="frequency_cap"):
        check_customer_call(lambda: redis_client, cfg, f"SIP:%2B86{NATIONAL}@pbx", path="place_call", now=now + 5)


def test_supervisor_call_out_with_a_percent_encoded_dnc_number_is_refused(redis_client):
    """The repro: `voicebot supervise call ID --to 'sip:%2B8613800138000@…'` joined a DNC number."""
    from voicebot.supervisor.phone import SupervisorLine

    settings = Settings(phone_supervision={"pin": ""})
    server = SimpleNamespace(settings=settings, _compliance_redis=lambda: redis_client,
                             find_session=lambda ref: SimpleNamespace(call=None))
    DoNotCallList(redis_client).add(DNC, "complaint", by="test")
    line = SupervisorLine(server)  # type: ignore[arg-type]
    for uri in (f"sip:%2B86{NATIONAL}@10.0.0.5", f"SIP:{NATIONAL}@pbx", f'"boss" <sip:boss{NATIONAL}@pbx>'):
        with pytest.raises(CallRefused, match="do_not_call"):
            line.call_out(uri, "live1", "listen")


def test_transfer_to_a_dnc_number_is_refused_before_any_refer(redis_server, monkeypatch):
    from voicebot.dialogue.base import CallInfo, Transfer
    from voicebot.session.transfer import TransferRunner

    client = redis_server.client()
    client.flushall()
    DoNotCallList(client).add(DNC, "stop_calling", by="test")
    settings = Settings(redis={"url": f"unix://{redis_server.socket_path}"})
    referred: list[str] = []
    ua = SimpleNamespace(blind_transfer=lambda call, target: referred.append(target), hangup=lambda *a, **k: None)
    call = SimpleNamespace(uid="c1", ended=False)
    runner = TransferRunner(ua, call, Transfer(f"sip:9%2B86{NATIONAL}@pbx"), SimpleNamespace(settings=settings),
                            CallInfo("c1", "outbound", "sip:x@y", "zh-CN"), 1.0)
    runner._run()
    assert runner.result == (False, "refused: do_not_call") and referred == []


# --- property test: generated spellings of a do-not-call number -------------------------------------

def _case(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if f else c.lower() for c, f in zip(text, flips + [False] * len(text)))


@st.composite
def spellings(draw) -> str:
    """Any way a dialler, a console user or an attacker may write +86 138 0013 8000."""
    number = draw(st.sampled_from([NATIONAL, f"+86{NATIONAL}", f"0086{NATIONAL}", f"86{NATIONAL}",
                                   f"0{NATIONAL}", "+86-138-0013-8000", "138 0013 8000", "(138)0013.8000"]))
    prefix = draw(st.sampled_from(["", "9", "0", "*67", "*82", "#31#", "9*67", "90"]))
    if number.startswith("+") and prefix in ("0", "90"):
        prefix = ""  # "0+86…" is no dial string anyone uses
    user = prefix + number
    if draw(st.booleans()):  # full-width digits
        user = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() and draw(st.booleans()) else c for c in user)
    if draw(st.booleans()):
        user = draw(st.sampled_from(["TEL", "tel", "x", "Agent"])) + user
    encode = draw(st.integers(0, 2))
    for _ in range(encode):
        user = quote(user, safe="") if draw(st.booleans()) else user.replace("+", "%2B")
    scheme = _case(draw(st.sampled_from(["sip:", "sips:", "tel:", ""])), draw(st.lists(st.booleans(), max_size=5)))
    host = "" if scheme.lower().startswith("tel") or not scheme else "@" + draw(st.sampled_from(
        ["10.0.0.5", "pbx.example.com:5060", "127.0.0.1"]))
    params = draw(st.sampled_from(["", ";user=phone", ";transport=tcp", "?subject=hello", ";phone-context=+86"]))
    uri = f"{scheme}{user}{host}{params}"
    if draw(st.booleans()) and scheme:
        uri = f'{draw(st.sampled_from(["", chr(34) + "x" + chr(34) + " ", "Sales "]))}<{uri}>'
    return uri


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(uri=spellings())
def test_no_generated_spelling_of_a_dnc_number_is_allowed(redis_client, uri):
    DoNotCallList(redis_client).add(DNC, "stop_calling", by="test")
    ident = dial_identity(uri)
    assert DNC in ident.readings, (uri, ident)
    # Names the generator puts around the digits are listed staff accounts: a number hidden behind
    # a listed name is still the customer's number.
    cfg = CampaignConfig(staff_accounts=["Agent", "tel", "sip:x@10.0.0.5"])
    with pytest.raises(CallRefused, match="do_not_call"):
        check_customer_call(lambda: redis_client, cfg, uri, path="place_call", now=shanghai(11))


@hsettings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_a_clear_answer_never_an_exception(text):
    ident = dial_identity(text)
    assert ident.number is None or (ident.number.startswith("+") and ident.number[1:].isdigit())
    assert ident.number is None or ident.number == ident.readings[0]
    assert not (ident.number and ident.unparseable)


def test_a_non_string_target_is_a_clear_error():
    with pytest.raises(TypeError, match="must be a string"):
        dial_identity(13800138000)  # type: ignore[arg-type]
