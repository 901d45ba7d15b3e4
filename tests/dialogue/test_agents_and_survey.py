"""Hand-over only when an agent answers a SIP OPTIONS ping; the post-call satisfaction question."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

from voicebot.campaign.dialer import CallResult
from voicebot.config import Settings
from voicebot.dialogue import survey
from voicebot.dialogue.agents import SipOptionsAvailability, make_availability, ping_options
from voicebot.dialogue.base import CallInfo, HangUp, Say, Transfer, UserTurn
from voicebot.dialogue.factory import PlanDialogueFactory
from voicebot.dialogue.survey import score_from_speech

ROOT = Path(__file__).resolve().parents[2]


class OptionsResponder:
    """A UDP SIP endpoint that answers OPTIONS with ``status`` (None: stays silent)."""

    def __init__(self, status: int | None) -> None:
        self.status = status
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def uri(self) -> str:
        return f"sip:agent@127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            text = data.decode()
            self.requests.append(text)
            if self.status is None:
                continue
            headers = {k: re.search(rf"^{k}: .*$", text, re.M).group(0) for k in ("Via", "From", "To", "Call-ID", "CSeq")}
            reply = "\r\n".join([f"SIP/2.0 {self.status} Whatever", *headers.values(), "Content-Length: 0", "", ""])
            self.sock.sendto(reply.encode(), addr)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def responders():
    made: list[OptionsResponder] = []
    yield lambda status: made.append(OptionsResponder(status)) or made[-1]
    for r in made:
        r.close()


def test_options_ping_reads_the_agents_answer(responders):
    up, busy, silent = responders(200), responders(486), responders(None)
    assert ping_options(up.uri) == 200 and up.requests[0].startswith(f"OPTIONS {up.uri} SIP/2.0")
    assert ping_options(busy.uri) == 486
    assert ping_options(silent.uri, timeout_s=0.3) == 0


def test_availability_follows_the_ping(responders):
    up = responders(200)
    probe = SipOptionsAvailability(up.uri, interval_s=0.1, ttl_s=0.5)
    try:
        deadline = time.time() + 5
        while not probe.available() and time.time() < deadline:
            time.sleep(0.05)
        assert probe.available()
        up.status = None  # the agent's phone goes away: after the ttl nobody is available
        deadline = time.time() + 5
        while probe.available() and time.time() < deadline:
            time.sleep(0.05)
        assert not probe.available()
    finally:
        probe.close()
    assert not make_availability("", "options", 0).available()  # no agent configured: nobody
    assert make_availability("sip:a@b", "capacity", 2).available() and not make_availability("sip:a@b", "capacity", 0).available()


def _factory(**dialogue) -> PlanDialogueFactory:
    settings = Settings()
    settings.dialogue.plan = str(ROOT / "dialplans/outbound_marketing_zh.yaml")
    for k, v in dialogue.items():
        setattr(settings.dialogue, k, v)
    return PlanDialogueFactory(settings)


def _talk(factory, texts, **customer):
    info = CallInfo("s", "outbound", "sip:x@y", "zh-CN", {"name": "李秀英", "gender": "女", **customer})
    d = factory.new_dialogue(info)
    actions = d.start(info)
    for i, text in enumerate(texts):
        actions += d.on_user_turn(UserTurn(text, 0.9, 1 + 4 * i, 2 + 4 * i))
    return d, actions


def test_high_value_hand_over_only_when_the_agent_answers_options(responders):
    up = responders(200)
    factory = _factory(agent_uri=up.uri, agent_check_interval_s=0.2)
    availability = factory.availability(factory.plans[0].plan)

    def wait_until(state: bool) -> None:
        deadline = time.time() + 5
        while availability.available() != state and time.time() < deadline:
            time.sleep(0.05)

    wait_until(True)
    _, actions = _talk(factory, ["对，是我", "可以", "好的你说"], segment="high_value_churn_risk")
    transfers = [a for a in actions if isinstance(a, Transfer)]
    assert transfers and transfers[0].target == up.uri
    # The agent's phone stops answering: the same customer hears the details, and no callback promise.
    up.status = None
    wait_until(False)
    d, actions = _talk(factory, ["对，是我", "可以", "好的你说"], segment="high_value_churn_risk")
    assert not any(isinstance(a, (Transfer, HangUp)) for a in actions) and d.state == "details"
    assert not any("没有空闲的客服" in a.text for a in actions if isinstance(a, Say))


@pytest.fixture(scope="module")
def survey_factory() -> PlanDialogueFactory:
    settings = Settings()
    settings.dialogue.plan = str(ROOT / "dialplans/outbound_marketing_zh.yaml")
    settings.dialogue.survey.enabled = True
    return PlanDialogueFactory(settings)


SALE = ["对，是我", "可以", "好的你说", "我想买一个", "对，可以", "对，可以", "对，可以", "没有了"]


def test_survey_after_a_sale_by_keypad(survey_factory):
    d, actions = _talk(survey_factory, SALE, segment="price_sensitive")
    assert "请您给这次通话打个分" in actions[-1].text and not d.done  # asked, not hung up yet
    after = d.on_dtmf("4")
    assert isinstance(after[-1], HangUp) and after[-1].reason == "completed"
    out = d.outcome()
    assert out["csat"] == 4 and out["converted"]
    assert CallResult.from_outcome({**out, "answered_by": "human"}).csat == 4


@pytest.mark.parametrize("answer,score", [("不太满意", 2), ("满意", 5), ("一般吧", 3), ("打五分", 5), ("不满意", 1)])
def test_survey_after_a_refusal_by_voice(survey_factory, answer, score):
    d, _ = _talk(survey_factory, ["对，是我", "不需要", "不用了"], segment="brand_loyal")
    after = d.on_user_turn(UserTurn(answer, 0.9, 20, 21))
    assert isinstance(after[-1], HangUp) and after[-1].reason == "refused" and d.outcome()["csat"] == score


def test_no_survey_when_the_call_reached_no_conclusion(survey_factory):
    d, actions = _talk(survey_factory, ["你打错了"], segment="brand_loyal")
    assert isinstance(actions[-1], HangUp) and d.outcome()["csat"] is None
    d, _ = _talk(survey_factory, SALE, segment="price_sensitive")
    again = d.on_no_input()  # no answer: asked once more, with keys to press
    assert [a.text for a in again] == [survey.ASK_AGAIN["zh-CN"]]
    after = d.on_no_input()  # still nothing: hang up, no score, and no thanks for a rating never given
    assert isinstance(after[-1], HangUp) and d.outcome()["csat"] is None
    assert survey.THANKS["zh-CN"] not in [a.text for a in after if isinstance(a, Say)]


def test_survey_answer_misheard_by_its_sound_is_counted(survey_factory):
    """Whisper wrote 满意 as 埋一 over G.711: heard by its sound, it counts. 以本 sounds as much like
    一般 as 一分: asked again with keys rather than guessed."""
    d, _ = _talk(survey_factory, SALE, segment="price_sensitive")
    out = d.on_user_turn(UserTurn("埋一", 0.4, 0.0, 0.5))
    assert d.outcome()["csat"] == 5
    assert survey.THANKS["zh-CN"] in [a.text for a in out if isinstance(a, Say)]
    d, _ = _talk(survey_factory, SALE, segment="price_sensitive")
    assert [a.text for a in d.on_user_turn(UserTurn("以本", 0.4, 0.0, 0.5))] == [survey.ASK_AGAIN["zh-CN"]]


def test_survey_unclear_answer_asks_again_with_keys_then_counts_the_key(survey_factory):
    d, _ = _talk(survey_factory, SALE, segment="price_sensitive")
    again = d.on_user_turn(UserTurn("我在外面呢", 0.4, 0.0, 1.0))
    assert [a.text for a in again] == [survey.ASK_AGAIN["zh-CN"]]
    done = d.on_dtmf("5")
    assert isinstance(done[-1], HangUp) and d.outcome()["csat"] == 5


@pytest.mark.parametrize("text,score", [("very satisfied", 5), ("not satisfied at all", 1), ("it was okay", 3),
                                        ("four", 4), ("I'd say 2", 2), ("no idea", None),
                                        # "not" turns a rating over; it was read as the 5 of "great"
                                        ("Not great.", 2), ("it wasn't very good", 2), ("not bad", 4), ("unhappy", 1),
                                        # "excellent" heard as "X1": a digit inside a word is no key press
                                        ("X1", None), ("x 1.", None), ("I'd give it a 5", 5), ("give it 4", 4)])
def test_english_answers(text, score):
    assert score_from_speech(text, "en-US") == score


@pytest.mark.parametrize("text,score", [("满意", 5), ("非常满意", 5), ("比较满意", 4), ("不满意", 1), ("还不错", 4),
                                        # the 很满意 inside a negated answer was counted as a 5
                                        ("不是很满意", 2), ("说不上满意", 2), ("不是很好", 2), ("没有很满意", 2),
                                        ("不太好", 2), ("不怎么样", 2), ("很不好", 1), ("非常好", 5), ("给5分", 5)])
def test_chinese_answers(text, score):
    assert score_from_speech(text, "zh-CN") == score
