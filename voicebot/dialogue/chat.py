"""``voicebot chat PLAN``: a typed conversation with a dialplan, and replay of conversation scripts.

The real dialogue (PlanDialogue with the plan's classifier and FAQ) runs with no telephony: every
typed line is one callee turn. Each bot reply is printed with what decided it: the state after the
turn, the intent and its confidence, the FAQ entry used, and the actions taken.

Replay script format (UTF-8 text, one callee line per line)::

    # comment
    ! segment=price_sensitive name=王先生        # customer fields, before the first turn
    喂？哪位啊 => ask_who_is_calling @ greeting   # expected intent, then the state after the turn
    是我 => affirm @ intro
    滤网多久换一次 => faq:filter_life
    你们卖不卖电视 => faq:decline
    我先想想 => @ objection                    # only the state
    好的                                       # no expectation

An intent expectation is an intent name, ``faq:<entry id>`` (answered from that entry) or
``faq:decline``. ``@ end`` expects the call to be over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from voicebot.dialogue.base import CallInfo, HangUp, Say, ScheduleCallback, SendOffer, Tag, Transfer, UserTurn
from voicebot.errors import VoicebotError


@dataclass
class TurnReport:
    """What one callee turn did."""

    text: str
    intent: str
    confidence: float
    state: str
    faq: str  # "" | entry id | "decline"
    said: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    done: bool = False


@dataclass(frozen=True)
class ScriptLine:
    line: int
    text: str
    intent: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class Script:
    path: str
    customer: dict[str, str]
    lines: list[ScriptLine]


_EXPECT = re.compile(r"^(?P<text>.*?)\s*=>\s*(?P<intent>[^@\s]*)\s*(?:@\s*(?P<state>\S+))?\s*$")


def read_script(path: str | Path) -> Script:
    file = str(path)
    try:
        raw = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise VoicebotError(f"{file}:0: cannot read the script: {exc}") from exc
    customer: dict[str, str] = {}
    lines: list[ScriptLine] = []
    for n, line in enumerate(raw, 1):
        s = line.split("  #", 1)[0].strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("!"):
            for pair in s[1:].split():
                if "=" not in pair:
                    raise VoicebotError(f"{file}:{n}: customer fields are written key=value, got {pair!r}")
                k, v = pair.split("=", 1)
                customer[k] = v
            continue
        m = _EXPECT.match(s) if "=>" in s else None
        if "=>" in s and m is None:
            raise VoicebotError(f"{file}:{n}: expected 'text => intent @ state', got {s!r}")
        text = m.group("text") if m else s
        if not text:
            raise VoicebotError(f"{file}:{n}: a script line needs the callee's words before '=>'")
        lines.append(ScriptLine(n, text, (m.group("intent") or None) if m else None, m.group("state") if m else None))
    if not lines:
        raise VoicebotError(f"{file}:1: the script has no callee lines")
    return Script(file, customer, lines)


def describe(action: Any) -> str:
    if isinstance(action, Tag):
        return f"tag_customer({', '.join(action.tags)})"
    if isinstance(action, Transfer):
        return f"transfer({action.mode}{', ' + action.reason if action.reason else ''})"
    if isinstance(action, HangUp):
        return f"hang_up({action.reason})"
    if isinstance(action, ScheduleCallback):
        return "schedule_callback" + (f"({action.at:%Y-%m-%d %H:%M})" if action.at else "")
    if isinstance(action, SendOffer):
        return f"send_offer({action.offer})"
    return type(action).__name__


class _Recorder:
    """Wraps the classifier and the FAQ responder so the chat can show what they decided."""

    def __init__(self, dialogue) -> None:
        self.result = None
        self.faq = ""
        nlu, faq = dialogue.nlu, dialogue.faq
        outer = self

        class Nlu:
            def parse(self, text: str):
                outer.result = nlu.parse(text)
                return outer.result

        dialogue.nlu = Nlu()
        if faq is not None:
            class Faq:
                locale = faq.locale

                def reply(self, text: str, intent: str):
                    r = faq.reply(text, intent)
                    if r is not None:
                        outer.faq = r.entry_id if r.answered else "decline"
                    return r

            dialogue.faq = Faq()


class ChatSession:
    """One typed call with a plan."""

    def __init__(self, plan_file: str, settings, customer: dict[str, str] | None = None) -> None:
        from voicebot.dialogue.factory import PlanDialogueFactory

        settings.dialogue.plan = plan_file
        settings.dialogue.agent_check = "always"  # no SIP OPTIONS pings from a terminal
        self.factory = PlanDialogueFactory(settings)
        lp = self.factory.plans[0]
        self.locale = lp.plan.locale
        self.call = CallInfo("chat", "outbound", "sip:chat@localhost", lp.plan.locale,  # type: ignore[arg-type]
                             {"dialplan": lp.plan.name, **(customer or {})})
        self.dialogue = self.factory.new_dialogue(self.call)
        self.recorder = _Recorder(self.dialogue)
        self.clock = 0.0

    def start(self) -> TurnReport:
        return self._report("", "", 0.0, self.dialogue.start(self.call))

    def turn(self, text: str) -> TurnReport:
        self.recorder.result, self.recorder.faq = None, ""
        self.clock += 5.0
        actions = self.dialogue.on_user_turn(UserTurn(text, 1.0, self.clock, self.clock + 1.5))
        r = self.recorder.result
        rec = self.dialogue.record
        intent = rec.intents[-1] if rec is not None and rec.intents else (r.intent if r else "")
        return self._report(text, intent, r.confidence if r else 0.0, actions)

    def _report(self, text: str, intent: str, conf: float, actions: list) -> TurnReport:
        said = [a.text for a in actions if isinstance(a, Say)]
        other = [describe(a) for a in actions if not isinstance(a, Say)]
        d = self.dialogue
        return TurnReport(text, intent, conf, d.state, self.recorder.faq, said, other, d.done or d.transferring)


def format_turn(r: TurnReport) -> str:
    faq = r.faq or "-"
    head = (f"  [state={r.state} intent={r.intent or '-'} confidence={r.confidence:.2f} faq={faq} "
            f"actions={', '.join(r.actions) or '-'}]")
    return "\n".join([head] + [f"bot: {s}" for s in r.said] + (["  (call ended)"] if r.done else []))


def check_expectation(line: ScriptLine, r: TurnReport) -> str:
    """'' when the turn met the line's expectation, else why not."""
    problems = []
    if line.intent:
        if line.intent == "faq:decline":
            ok = r.faq == "decline"
        elif line.intent.startswith("faq:"):
            ok = r.faq == line.intent[4:]
        else:
            ok = r.intent == line.intent
        if not ok:
            got = f"faq:{r.faq}" if r.faq and line.intent.startswith("faq:") else r.intent
            problems.append(f"expected intent {line.intent}, got {got} ({r.confidence:.2f})")
    if line.state:
        ok = r.done if line.state == "end" else r.state == line.state
        if not ok:
            problems.append(f"expected state {line.state}, got {'end' if r.done else r.state}")
    return "; ".join(problems)


def replay(script: Script, make_session: Callable[[dict[str, str]], ChatSession], out: Callable[[str], None]) -> int:
    """Runs the script; prints every turn; returns the number of unmet expectations."""
    session = make_session(script.customer)
    out(format_turn(session.start()))
    failures = 0
    for line in script.lines:
        r = session.turn(line.text)
        out(f"you: {line.text}")
        out(format_turn(r))
        why = check_expectation(line, r)
        if why:
            failures += 1
            out(f"{script.path}:{line.line}: FAILED: {line.text!r}: {why}")
        if r.done and line is not script.lines[-1]:
            failures += 1
            out(f"{script.path}:{line.line}: FAILED: the call ended with script lines left")
            break
    return failures
