"""``voicebot chat PLAN [--script FILE]`` and ``voicebot faq ask PLAN "question"`` (voicebot/dialogue/chat.py)."""

from __future__ import annotations

import argparse
import sys

from voicebot.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("chat", help="a typed conversation with a dialplan (state, intent, confidence, FAQ, actions per turn)")
    c.add_argument("plan", help="dialplan file")
    c.add_argument("--script", help="replay this conversation script; exit 1 when an expectation is not met")
    c.add_argument("--customer", action="append", default=[], metavar="KEY=VALUE",
                   help="customer field for the call (segment=vip, name=王先生); repeatable")
    c.set_defaults(func=cmd_chat)
    p = sub.add_parser("faq", help="knowledge-base (FAQ) tools")
    fsub = p.add_subparsers(dest="faq_command", required=True)
    a = fsub.add_parser("ask", help="the plan's answer to a question, or its decline and why")
    a.add_argument("plan", help="dialplan file")
    a.add_argument("question")
    a.set_defaults(func=cmd_faq_ask)


def _quiet() -> None:
    # The chat prints its own lines; training and calibration logs would drown them.
    from voicebot.logs import configure_logging

    configure_logging("WARNING")


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.chat import ChatSession, format_turn, read_script, replay
    from voicebot.dialogue.plan import DialplanError
    from voicebot.errors import VoicebotError

    _quiet()
    customer = {}
    for pair in args.customer:
        if "=" not in pair:
            print(f"--customer: expected KEY=VALUE, got {pair!r}", file=sys.stderr)
            return 2
        k, v = pair.split("=", 1)
        customer[k] = v
    try:
        if args.script:
            script = read_script(args.script)
            failures = replay(script, lambda c: ChatSession(args.plan, settings, {**c, **customer}), print)
            print(f"{args.script}: {len(script.lines)} turns, {failures} unmet expectations")
            return 1 if failures else 0
        session = ChatSession(args.plan, settings, customer)
    except (DialplanError, VoicebotError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"{args.plan}: type what the customer says; an empty line or Ctrl-D ends the call.")
    print(format_turn(session.start()))
    for line in sys.stdin:
        text = line.strip()
        if not text:
            break
        r = session.turn(text)
        print(format_turn(r), flush=True)
        if r.done:
            break
    return 0


def cmd_faq_ask(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.faq import STATEMENT_MARGIN, looks_like_question, make_faq_responder
    from voicebot.dialogue.nlu import FAQ_INTENT, OUT_OF_SCOPE, make_intent_classifier
    from voicebot.dialogue.plan import DialplanError, load_dialplan

    _quiet()
    try:
        plan = load_dialplan(args.plan)
    except DialplanError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    faq = make_faq_responder(plan, settings)
    if faq is None:
        print(f"{args.plan}: the plan has no FAQ (add 'faq: faq/<file>.yaml')", file=sys.stderr)
        return 1
    r = make_intent_classifier(plan, settings).parse(args.question)
    if r.intent not in (OUT_OF_SCOPE, FAQ_INTENT):
        print(f"not asked of the FAQ: the plan's intent {r.intent!r} ({r.confidence:.2f}) handles this turn")
        return 0
    reply = faq.reply(args.question, r.intent)
    statement = r.intent == OUT_OF_SCOPE and not looks_like_question(args.question, plan.locale)
    if reply is not None and reply.answered:
        c = faq.retriever.best(args.question)
        print(f"answer (entry {reply.entry_id}, score {c.score:.2f}): {reply.text}")
        return 0
    why = faq.retriever.why_declined(args.question, STATEMENT_MARGIN if statement else 0.0)
    if reply is None:
        print(f"no answer, no decline: a statement, not a question ({why or 'not close enough to an entry'}); "
              f"the plan's no-match reply is said")
        return 0
    print(f"declined: {reply.text}\nreason: {why or 'not answered'}")
    return 0
