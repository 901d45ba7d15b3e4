"""Issue #20 "What to build": only a configured allow-list of staff accounts bypasses the gate.

A named SIP account (``sip:boss@pbx``) used to be waved through as "internal" on every path, so a
PBX that routes names to numbers reached customers with no do-not-call, hours or cap check. Now a
name passes only when ``campaign.staff_accounts`` (or a staff setting: the agent, supervisors'
phones) lists it; any other is refused with an error naming the URI. Real redis-server."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from voicebot.campaign.compliance import CallRefused, check_customer_call
from voicebot.campaign.identity import account_key
from voicebot.config import CampaignConfig, Settings

ELEVEN_AM_SHANGHAI = 1772506800.0  # 2026-03-03 11:00 +08:00: inside calling hours


def check(redis_client, cfg: CampaignConfig, uri: str, path: str = "place_call"):
    return check_customer_call(lambda: redis_client, cfg, uri, path=path, now=ELEVEN_AM_SHANGHAI)


def test_the_issues_named_account_is_refused_unless_listed(redis_client):
    with pytest.raises(CallRefused, match=r"unlisted_account.*'sip:boss@pbx'.*campaign.staff_accounts") as refused:
        check(redis_client, CampaignConfig(), "sip:boss@pbx")
    assert refused.value.decision.phone == "sip:boss@pbx" and not refused.value.decision.allowed
    listed = CampaignConfig(staff_accounts=["sip:boss@pbx"])
    assert check(redis_client, listed, "sip:boss@pbx") is None
    # The list is the account at its host: the same user at another host is someone else's.
    with pytest.raises(CallRefused, match="unlisted_account"):
        check(redis_client, listed, "sip:boss@other-gateway")
    # A short extension is a name too.
    with pytest.raises(CallRefused, match=r"'sip:1001@pbx'"):
        check(redis_client, listed, "sip:1001@pbx")
    assert check(redis_client, CampaignConfig(staff_accounts=["1001"]), "sip:1001@pbx:5060") is None


def test_the_default_allow_list_is_empty():
    assert CampaignConfig().staff_accounts == []


def test_every_outbound_path_refuses_an_unlisted_name(redis_client):
    """place_call and transfers share check_customer_call; supervisor call-outs too."""
    from voicebot.supervisor.phone import SupervisorLine

    settings = Settings(phone_supervision={"pin": ""}, campaign={"staff_accounts": ["sip:desk@pbx"]})
    server = SimpleNamespace(settings=settings, _compliance_redis=lambda: redis_client,
                             find_session=lambda ref: SimpleNamespace(call=None))
    line = SupervisorLine(server)  # type: ignore[arg-type]
    with pytest.raises(CallRefused, match="unlisted_account"):
        line.call_out("sip:boss@pbx", "live1", "listen")
    line._check_not_a_customer("SIP:Desk@PBX:5060;transport=tcp")  # listed: no refusal


def test_the_configured_agent_is_staff(redis_client):
    from voicebot.campaign.compliance import staff_destinations

    settings = Settings(dialogue={"agent_uri": "sip:agents@pbx.example"})
    assert check_customer_call(lambda: redis_client, settings.campaign, "sip:agents@pbx.example", path="transfer",
                               staff=staff_destinations(settings)) is None


@pytest.mark.parametrize("entry,problem", [
    ("+8613700137000", "is a phone number: list it in campaign.staff_numbers"),
    ("sip:@pbx", "names no account"),
])
def test_bad_staff_account_entries_are_clear_errors(entry, problem):
    with pytest.raises(ValueError, match=f"campaign.staff_accounts: {entry!r}".replace("+", r"\+")) as bad:
        CampaignConfig(staff_accounts=[entry])
    assert problem in str(bad.value)


def test_a_name_in_staff_numbers_points_to_staff_accounts():
    with pytest.raises(ValueError, match="'sip:ops@pbx' is a named account.*campaign.staff_accounts"):
        CampaignConfig(staff_numbers=["sip:ops@pbx"])


# --- property test: spellings of named destinations ---------------------------------------------

def _flip_case(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if f else c for c, f in zip(text, flips + [False] * len(text)))


@st.composite
def spelled(draw, user: str, host: str) -> str:
    """``user@host`` as a dialler or an attacker may write it: any case, scheme, port, parameters,
    display name, percent-encoding."""
    scheme = draw(st.sampled_from(["sip:", "sips:", "SIP:", "Sip:"]))
    addr = _flip_case(f"{user}@{host}", draw(st.lists(st.booleans(), max_size=20)))
    if draw(st.booleans()):
        at = addr.index("@")
        addr = quote(addr[:at], safe="") + addr[at:] if draw(st.booleans()) else \
            "".join(f"%{ord(c):02X}" for c in addr[:at]) + addr[at:]
    addr += draw(st.sampled_from(["", ":5060", ":5080"]))
    uri = scheme + addr + draw(st.sampled_from(["", ";transport=tcp", ";user=ip", "?subject=x"]))
    if draw(st.booleans()):
        uri = draw(st.sampled_from(['"Desk" ', "", "Sales "])) + f"<{uri}>"
    return uri


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz._-", min_size=1, max_size=8)
PROPERTY = hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(uri=spelled("desk", "pbx.example.com"))
def test_any_spelling_of_a_listed_account_passes(redis_client, uri):
    cfg = CampaignConfig(staff_accounts=["sip:desk@pbx.example.com"])
    assert account_key(uri) == ("desk", "pbx.example.com"), uri
    assert check(redis_client, cfg, uri) is None


@PROPERTY
@given(data=st.data(), user=NAMES, host=st.sampled_from(["pbx.example.com", "10.0.0.5", "gw"]))
def test_no_spelling_of_an_unlisted_name_bypasses_the_gate(redis_client, data, user, host):
    if (user, host) == ("desk", "pbx.example.com"):
        return
    uri = data.draw(spelled(user, host))
    cfg = CampaignConfig(staff_accounts=["sip:desk@pbx.example.com"])
    with pytest.raises(CallRefused, match="unlisted_account") as refused:
        check(redis_client, cfg, uri)
    assert repr(uri) in str(refused.value)  # the error names the URI as given
