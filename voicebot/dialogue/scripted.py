"""The built-in minimal conversation: greet -> listen -> answer by keyword -> goodbye.

It makes the voice loop usable (and testable) on its own; real campaigns use dialplans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from voicebot.dialogue.base import Action, CallInfo, HangUp, Locale, Say, ScheduleCallback, Transfer, UserTurn
from voicebot.dialogue.instructions import Order, understand
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.scripted")
# Agitated on this many of the last three turns = hand the caller to a person.
SUSTAINED_AGITATION = 2


@dataclass(frozen=True)
class KeywordAnswer:
    name: str
    keywords: tuple[str, ...]
    reply: str
    ends_call: bool = False
    transfer: bool = False


@dataclass(frozen=True)
class Script:
    greeting: str
    answers: tuple[KeywordAnswer, ...]
    no_match: str
    no_input: str
    goodbye: str
    transfer_line: str
    no_agent: str
    dtmf: str  # "{digit}" is replaced
    summary: str  # spoken to the agent on a warm transfer; {reason}, {said} = the caller's last words
    soothe: str  # first sign of agitation: a softer line and an offer of a person
    escalate: str  # sustained agitation: hand over (or promise a call back)


SCRIPTS: dict[str, Script] = {
    "en-US": Script(
        greeting="Hello, this is the voicebot demo line. How can I help you today?",
        answers=(
            KeywordAnswer("hours", ("hour", "open", "close", "when"), "We are open from nine to six, Monday to Friday. Anything else?"),
            KeywordAnswer("price", ("price", "cost", "how much", "fee", "plan"),
                          "The basic plan costs twenty dollars a month. Anything else?"),
            KeywordAnswer("human", ("person", "agent", "human", "someone", "operator", "representative"),
                          "Sure, let me connect you to a colleague.", transfer=True),
            KeywordAnswer("goodbye", ("bye", "no thank", "that's all", "that is all", "nothing else"),
                          "Thank you for calling. Goodbye!", ends_call=True),
        ),
        no_match="Sorry, I did not catch that. You can ask about our opening hours or prices.",
        no_input="Are you still there?",
        goodbye="Thank you for calling. Goodbye!",
        transfer_line="Sure, let me connect you to a colleague.",
        no_agent="I am sorry, no colleague is free right now. We will call you back.",
        dtmf="You pressed {digit}.",
        summary="Transferring a caller from the demo line: {reason}. They said: {said}",
        soothe="I am sorry about the trouble. I can put you through to a colleague if you like.",
        escalate="I understand, and I am sorry. Let me get a colleague to help you right away.",
    ),
    "zh-CN": Script(
        greeting="您好，这里是语音机器人演示热线。请问有什么可以帮您？",
        answers=(
            KeywordAnswer("hours", ("几点", "营业", "时间", "开门", "下班"), "我们周一到周五，早上九点到晚上六点营业。还有别的问题吗？"),
            KeywordAnswer("price", ("多少钱", "价格", "费用", "收费", "套餐"), "基础套餐每月二十元。还有别的问题吗？"),
            KeywordAnswer("human", ("人工", "客服", "真人", "转接"), "好的，马上为您转接人工客服。", transfer=True),
            KeywordAnswer("goodbye", ("再见", "没有了", "不用了", "拜拜"), "感谢您的来电，再见！", ends_call=True),
        ),
        no_match="不好意思，我没有听清楚。您可以问我营业时间或者价格。",
        no_input="您好，请问您还在吗？",
        goodbye="感谢您的来电，再见！",
        transfer_line="好的，马上为您转接人工客服。",
        no_agent="抱歉，现在没有空闲的客服，我们稍后给您回电。",
        dtmf="您按了{digit}。",
        summary="转接一位演示热线的来电客户：{reason}。客户说：{said}",
        soothe="非常抱歉给您带来不便。如果您愿意，我可以为您转接人工客服。",
        escalate="非常理解您的心情，马上为您转接人工客服处理。",
    ),
}


def _normalise(text: str) -> str:
    return re.sub(r"[^\w\s']", " ", text.lower())


@dataclass
class ScriptedDialogue:
    script: Script
    agent_uri: str = ""
    transfer_mode: str = "blind"
    max_no_match: int = 2
    max_no_input: int = 2
    turns: int = 0
    no_match: int = 0
    no_input: int = 0
    state: str = "start"
    tags: list[str] = field(default_factory=list)
    transfer_reason: str = ""
    last_text: str = ""
    emotions: list[str] = field(default_factory=list)
    escalation: str = ""

    def start(self, call: CallInfo) -> list[Action]:
        self.state = "listening"
        return [Say(self.script.greeting)]

    def on_user_turn(self, turn: UserTurn) -> list[Action]:
        self.turns += 1
        self.no_input = 0
        self.last_text = turn.text
        if turn.emotion is not None:
            self.emotions.append(turn.emotion.label)
        if not self.escalation and self.emotions[-3:].count("agitated") >= SUSTAINED_AGITATION:
            return self._escalate("sustained negative emotion")
        soothe = [Say(self.script.soothe)] if self.emotions[-1:] == ["agitated"] else []
        text = _normalise(turn.text)
        for answer in self.script.answers:
            if any(k in text for k in answer.keywords):
                self.no_match = 0
                self.tags.append(answer.name)
                return soothe + self._answer(answer)
        if soothe:
            return soothe  # an upset caller gets empathy and an offer, not "I did not catch that"
        self.no_match += 1
        if self.no_match > self.max_no_match:
            return self._goodbye("no_match")
        return [Say(self.script.no_match)]

    def _escalate(self, reason: str) -> list[Action]:
        self.escalation = reason
        log.info("escalation", reason=reason, emotions=self.emotions[-3:])
        if not self.agent_uri:
            self.state = "done"
            return [Say(self.script.escalate), ScheduleCallback(delay_s=7200, note=reason), HangUp("escalation")]
        self.state = "transferring"
        self.transfer_reason = reason
        summary = self.script.summary.format(reason=reason, said=self.last_text or "-")
        return [Say(self.script.escalate), Transfer(self.agent_uri, self.transfer_mode, summary, reason)]

    def _answer(self, answer: KeywordAnswer) -> list[Action]:
        if answer.transfer:
            if not self.agent_uri:
                return [Say(self.script.no_agent), *self._goodbye("no_agent")]
            self.state = "transferring"
            self.transfer_reason = "caller asked for a person"
            summary = self.script.summary.format(reason=self.transfer_reason, said=self.last_text or "-")
            return [Say(answer.reply), Transfer(self.agent_uri, self.transfer_mode, summary, self.transfer_reason)]
        if answer.ends_call:
            self.state = "done"
            return [Say(answer.reply), HangUp("completed")]
        return [Say(answer.reply)]

    def _goodbye(self, reason: str) -> list[Action]:
        self.state = "done"
        return [Say(self.script.goodbye), HangUp(reason)]

    def on_dtmf(self, digit: str) -> list[Action]:
        if digit == "0" and self.agent_uri:
            return self._answer(next(a for a in self.script.answers if a.transfer))
        return [Say(self.script.dtmf.format(digit=digit))]

    def on_no_input(self) -> list[Action]:
        self.no_input += 1
        if self.no_input > self.max_no_input:
            return self._goodbye("no_input")
        return [Say(self.script.no_input)]

    def on_transfer_result(self, ok: bool, detail: str = "") -> list[Action]:
        if ok:
            self.state = "transferred"
            return []
        return [Say(self.script.no_agent), *self._goodbye("transfer_failed")]

    def on_instruction(self, text: str) -> list[Action]:
        # The built-in script has no price or offer lines: it follows transfer and the two endings.
        order = understand(text)
        if order is Order.TRANSFER:
            return self._answer(next(a for a in self.script.answers if a.transfer))
        if order in (Order.HANG_UP, Order.WRAP_UP):
            return self._goodbye("supervisor")
        return []

    def outcome(self) -> dict[str, Any]:
        return {"final_state": self.state, "turns": self.turns, "tags": list(self.tags),
                "transfer_reason": self.transfer_reason, "escalation": self.escalation,
                "emotions": list(self.emotions)}


class ScriptedDialogueFactory:
    def __init__(self, locale: Locale = "en-US", agent_uri: str = "", transfer_mode: str = "blind") -> None:
        if locale not in SCRIPTS:
            raise ValueError(f"no built-in script for locale {locale!r}; have {sorted(SCRIPTS)}")
        self.locale = locale
        self.agent_uri = agent_uri
        self.transfer_mode = transfer_mode

    def new_dialogue(self, call: CallInfo) -> ScriptedDialogue:
        script = SCRIPTS[call.locale if call.locale in SCRIPTS else self.locale]
        return ScriptedDialogue(script, self.agent_uri, self.transfer_mode)

    def prompts(self) -> Iterable[tuple[Locale, str]]:
        for locale, s in SCRIPTS.items():
            lines = [s.greeting, s.no_match, s.no_input, s.goodbye, s.no_agent, s.transfer_line, s.soothe, s.escalate]
            lines += [a.reply for a in s.answers]
            yield from ((locale, line) for line in lines)
