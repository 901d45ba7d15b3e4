"""The traps a plan author falls into, found by ``voicebot dialplan check`` (file:line each):

- the same example twice in one intent (a block pasted twice);
- a question filed under greet or affirm (喂？哪位啊 is "who is calling", not a hello);
- an example that is also in the FAQ's do-not-answer list (the two teach opposite things);
- a hand-set ``nlu.threshold``, which switches the calibrated out-of-scope thresholds off;
- an irreversible intent (the call ends, the number is tagged) trained on too few examples
  (inherited examples count);
- negation pairs built from the plan's own examples (对，我就是车主 / 我不是车主) that the plan's own
  classifier puts in the same intent: it does not hear the negation.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from voicebot.dialogue.everyday import IRREVERSIBLE
from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.lint import Finding
from voicebot.dialogue.nlu.normalize import normalize
from voicebot.locales import is_chinese

MIN_IRREVERSIBLE = 30
# Intents that must not hold questions: the bot would greet back or go on instead of answering.
NO_QUESTIONS = ("greet", "affirm")

# A content question. Line checks (听得到吗, can you hear me) and "how are you" are greetings.
_ZH_Q = re.compile(r"谁|哪|什么|啥|怎么|多少|为什么|干嘛|干啥|几点|吗\s*$|呢\s*$")
_ZH_LINE_CHECK = re.compile(r"听得?到|听得?见|能听|在吗|在不在|有人吗|还在")
_EN_WH = re.compile(r"\b(who|what|where|why|which|how)\b")
_EN_AUX = re.compile(r"^(is|are|do|does|did|can|could|will|would|should|have|has)\b")
_EN_LINE_CHECK = re.compile(r"^why not\b|\bhow are you\b|\bhow you doing\b|\bhow is it going\b|\bcan you hear me\b|\bare you there\b|"
                            r"\bhear me\b|\bwhat is up\b|\bhow do you do\b")


def is_question(text: str, locale: str) -> bool:
    t = normalize(text, locale)
    if is_chinese(locale):
        raw = re.sub(r"[\s，。！,.!]", "", text)
        if _ZH_LINE_CHECK.search(raw):
            return False
        return bool(_ZH_Q.search(raw.rstrip("？?"))) or (raw.endswith(("？", "?")) and len(raw) > 3 and "喂" not in raw)
    if _EN_LINE_CHECK.search(t):
        return False
    return bool(_EN_WH.search(t) or _EN_AUX.search(t))


# Negation pairs are built the way the trap shows itself: an identity answer and its denial
# (对，我就是车主 / 我不是车主; "yes that's me" / "that's not me"). Other negations (我要投诉 / 我不要投诉)
# are not sentences a callee says, and would only raise false alarms.
_ZH_NEG = [
    (re.compile(r"^(?:对|是的|嗯|没错|对对)?[，,\s]*我就是(.{1,8})$"), r"我不是\1"),
    (re.compile(r"^(?:对|是的|嗯|没错|对对)?[，,\s]*我是(.{1,8})$"), r"我不是\1"),
    (re.compile(r"^(?:对|是的|嗯)?[，,\s]*是我(本人)?$"), r"不是我"),
    (re.compile(r"^我不是(.{1,8})$"), r"对，我就是\1"),
    (re.compile(r"^不是我(本人)?$"), r"对，是我"),
]
_EN_NEG = [
    (re.compile(r"^(?:yes |yeah |right )?(?:this is|it is|that is) (me|him|her|he|she)$"), r"no that is not \1"),
    (re.compile(r"^(?:yes |yeah )?i am (?!not )(the .+|mr .+|mrs .+|ms .+|\w+)$"), r"no i am not \1"),
    (re.compile(r"^(?:no )?(?:that|it) is not (me|him|her)$"), r"yes that is \1"),
    (re.compile(r"^(?:no )?i am not (the .+|mr .+|mrs .+|ms .+|\w+)$"), r"yes i am \1"),
]


def negation(text: str, locale: str) -> str | None:
    t = normalize(text, locale) if not is_chinese(locale) else re.sub(r"[。！!？?]+$", "", text.strip())
    for pat, rep in (_ZH_NEG if is_chinese(locale) else _EN_NEG):
        if pat.match(t):
            out = pat.sub(rep, t)
            return out if out != t else None
    return None


def _key(text: str) -> str:
    """Word for word, only case, width, spaces and punctuation aside (not the classifier's normalisation)."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


_AFFIRM_START = re.compile(r"^(?:是|对|嗯|好|行|可以|yes|yeah|yep|sure|okay|ok|right)")


def lint_traps(plan, parse: Callable[[str], object] | None) -> list[Finding]:
    """``parse``: the plan's deployed classifier (None skips the negation probe)."""
    spec = plan.spec
    # Examples the plan writes itself (inherited ones come after them): the traps are the author's.
    own = {n: len(i.examples) - sum(o is not None for o in plan.inheritance.origins.get(n, [])) for n, i in spec.intents.items()}
    out: list[Finding] = []
    for intent in spec.intents:
        out += _duplicates(plan, intent, own[intent])
        if intent in NO_QUESTIONS:
            out += _questions(plan, intent, own[intent])
    for check in (_faq_not_answered, _hand_set_threshold, _confirm_never, _thin_irreversible):
        out += check(plan)
    if parse is not None:
        out += _negation_probe(plan, parse, own)
    return out


def _warning(file: str, line: int, message: str) -> Finding:
    return Finding(file, line, "warning", message)


def _duplicates(plan, intent: str, own: int) -> list[Finding]:
    """The same example twice in one intent (a block pasted twice)."""
    out: list[Finding] = []
    first: dict[str, int] = {}
    for i, ex in enumerate(plan.spec.intents[intent].examples[:own]):
        key = _key(ex)
        if key in first:
            f, line = plan.example_location(intent, i)
            out.append(_warning(f, line, f"example {ex!r} is already an example of {intent!r} "
                                         f"(line {plan.example_location(intent, first[key])[1]}): a duplicate"))
        first.setdefault(key, i)
    return out


def _questions(plan, intent: str, own: int) -> list[Finding]:
    """Questions filed under greet or affirm (a yes that asks on, 是吗, stays an affirm)."""
    out = []
    for i, ex in enumerate(plan.spec.intents[intent].examples[:own]):
        if is_question(ex, plan.spec.locale) and not (intent == "affirm" and _AFFIRM_START.match(_key(ex))):
            f, line = plan.example_location(intent, i)
            out.append(_warning(f, line, f"example {ex!r} of {intent!r} is a question: the bot would not answer it "
                                         f"(who-is-calling questions belong to ask_who_is_calling)"))
    return out


def _faq_not_answered(plan) -> list[Finding]:
    """An intent example that the FAQ also lists as not to be answered: the two teach opposite things."""
    spec, faq = plan.spec, getattr(plan, "faq", None)
    if faq is None or not faq.spec.not_answered_examples:
        return []
    out = []
    where = {normalize(ex, spec.locale): (n, i) for n, ispec in spec.intents.items() for i, ex in enumerate(ispec.examples)}
    for k, q in enumerate(faq.spec.not_answered_examples):
        hit = where.get(normalize(q, spec.locale))
        if hit is not None:
            f, line = plan.example_location(*hit)
            out.append(_warning(faq.path, faq.lines.line(("not_answered_examples", k)),
                                f"{q!r} is in the FAQ's not_answered_examples and is an example of intent {hit[0]!r} "
                                f"({f}:{line}): one of the two is wrong"))
    return out


def _hand_set_threshold(plan) -> list[Finding]:
    threshold = plan.spec.nlu.threshold
    if threshold is None:
        return []
    return [_warning(plan.path, plan.lines.line(("nlu", "threshold")),
                     f"nlu.threshold {threshold} is set by hand: it switches off the out-of-scope thresholds "
                     f"calibrated on the plan's examples (remove it unless measured better)")]


def _confirm_never(plan) -> list[Finding]:
    confirm = plan.spec.confirm
    return [_warning(plan.path, plan.lines.line(("confirm", "intents", intent)),
                     f"confirm.intents.{intent}: never: the engine will not ask back before {intent!r} closes a "
                     f"customer, even on a misheard turn (remove it unless a person checks these calls)")
            for intent, rule in (confirm.intents.items() if confirm else ()) if rule.never]


def _thin_irreversible(plan) -> list[Finding]:
    """Irreversible intents (and those the plan confirms) with too few examples, inherited ones counted."""
    spec = plan.spec
    irreversible = set(IRREVERSIBLE) | (set(spec.confirm.intents) if spec.confirm else set())
    out = []
    for intent in sorted(irreversible & set(spec.intents)):
        n = len(spec.intents[intent].examples)
        if n < MIN_IRREVERSIBLE:
            out.append(_warning(plan.path, plan.lines.line(("intents", intent)),
                                f"intent {intent!r} ends the call or tags the number and has {n} examples (inherited "
                                f"ones counted); an irreversible intent needs at least {MIN_IRREVERSIBLE}"))
    return out


def _negation_probe(plan, parse: Callable[[str], object], own: dict[str, int]) -> list[Finding]:
    spec, out = plan.spec, []
    taken = {normalize(ex, spec.locale) for i in spec.intents.values() for ex in i.examples}
    for intent, ispec in spec.intents.items():
        for i, ex in enumerate(ispec.examples[:own[intent]]):
            neg = negation(ex, spec.locale)
            if not neg or normalize(neg, spec.locale) in taken:
                continue  # no clean negation, or the plan already labels it
            a, b = parse(ex), parse(neg)
            if a.intent == intent and b.intent == intent and intent != OUT_OF_SCOPE:
                f, line = plan.example_location(intent, i)
                out.append(Finding(f, line, "warning",
                                   f"negation probe: {ex!r} and its negation {neg!r} are both classified {intent!r} "
                                   f"({a.confidence:.2f} / {b.confidence:.2f}): add the negation as an example of the "
                                   f"intent it means"))
    return out
