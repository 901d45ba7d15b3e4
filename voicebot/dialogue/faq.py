"""Knowledge-base answers (知识库问答): a dialplan's FAQ file, retrieval over it, and the reply.

A dialplan points to an FAQ file (``faq: faq_zh.yaml``, relative to the plan). Each entry has an id,
several question phrasings and one answer. When a callee turn is none of the plan's intents, the
retriever compares it (same sentence encoder as the intents, plus character n-grams) with every
phrasing; a confident match is answered and the script resumes (the state's question is asked
again); otherwise the bot says politely that it cannot answer, the question is kept for the
operator (per campaign, faq_misses.py), and the script goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sklearn.feature_extraction.text import TfidfVectorizer

from voicebot.dialogue.faq_decision import Candidates, FaqDecision, calibrate_decision
from voicebot.dialogue.nlu.base import FAQ_INTENT, OUT_OF_SCOPE
from voicebot.dialogue.nlu.encoder import CachedEncoder
from voicebot.dialogue.nlu.normalize import normalize
from voicebot.dialogue.plan.loader import DialplanError, LineMap, read_yaml
from voicebot.locales import is_chinese, locale_info
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.faq")

# Weight of the character n-gram cosine next to the embedding cosine in the match score.
NGRAM_WEIGHT = 0.3
# Phrasings per entry the intent classifier trains its faq_question class on (see classifier_questions).
CLASSIFIER_PHRASINGS_PER_ENTRY = 8


class FaqEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    questions: list[str] = Field(min_length=2)
    answer: str = Field(min_length=1)


class FaqSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    locale: str
    # Said when a question is not in the FAQ (then the state's question is asked again).
    decline: str
    # Questions that sound like FAQ questions but are not answered by it (teach the retriever "no").
    not_answered_examples: list[str] = Field(default_factory=list)
    entries: list[FaqEntry] = Field(min_length=1)


@dataclass
class Faq:
    spec: FaqSpec
    path: str
    lines: LineMap = field(repr=False, default_factory=LineMap)

    def all_questions(self) -> list[str]:
        return [q for e in self.spec.entries for q in e.questions]

    def classifier_questions(self, per_entry: int = CLASSIFIER_PHRASINGS_PER_ENTRY) -> list[str]:
        """The first phrasings of each entry: what the intent classifier learns "an FAQ question" from."""
        return [q for e in self.spec.entries for q in e.questions[:per_entry]]

    def entry(self, entry_id: str) -> FaqEntry:
        return next(e for e in self.spec.entries if e.id == entry_id)


def load_faq(path: str | Path, locale: str | None = None) -> Faq:
    """Reads and validates an FAQ file; DialplanError lists file:line: reason for each problem."""
    file = str(path)
    data, lines = read_yaml(path)
    try:
        spec = FaqSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            problems.append((lines.line(loc), f"{'.'.join(map(str, loc)) or '(top level)'}: {err['msg']}"))
        raise DialplanError(file, problems) from None
    problems = []
    if locale is not None and spec.locale != locale:
        problems.append((lines.line(("locale",)), f"locale: the FAQ is {spec.locale}, the dialplan {locale}"))
    seen_ids: set[str] = set()
    owners: dict[str, str] = {}
    for i, e in enumerate(spec.entries):
        if e.id in seen_ids:
            problems.append((lines.line(("entries", i, "id")), f"entries.{i}.id: duplicate id {e.id!r}"))
        seen_ids.add(e.id)
        for j, q in enumerate(e.questions):
            key = normalize(q, spec.locale)
            if key in owners and owners[key] != e.id:
                problems.append((lines.line(("entries", i, "questions", j)),
                                 f"question {q!r} is also a question of entry {owners[key]!r}"))
            owners.setdefault(key, e.id)
    if problems:
        raise DialplanError(file, problems)
    return Faq(spec, file, lines)


_ZH_QUESTION = re.compile(r"(?<!没)(?![不没])([\u4e00-\u9fff])[不没]\1|[吗嘛么呢？?]\s*$"
                          r"|什么|怎么|怎样|多少|多大|多久|多长|几|哪|是否|能不能|可不可以|会不会|有没有|是不是|要不要")
_EN_QUESTION = re.compile(r"\?\s*$|^(what|how|who|where|when|why|which|can|could|do|does|did|is|are|will|would|should|have|has)\b",
                          re.IGNORECASE)


# Where a question starts inside a longer turn (en: on the normalised text; zh: a clause after a pause mark).
_EN_CLAUSE = re.compile(r"\b(?:does|do|did|will|would|is|are|can|could|should|how|what|when|where|who|which)\s+"
                        r"(?:it|i|you|we|they|this|that|there|the|one|my)\b")
_ZH_CLAUSE_BREAK = re.compile(r"[，,。.！!？?；;、\s]+")


def question_clauses(text: str, locale: str) -> list[str]:
    """The question part of a turn that carries more than a question (empty when it is all one clause)."""
    if is_chinese(locale):
        parts = [p for p in _ZH_CLAUSE_BREAK.split(text.strip()) if p]
        return [parts[-1]] if len(parts) > 1 and len(parts[-1]) >= 3 else []
    t = normalize(text, locale)
    m = next((m for m in _EN_CLAUSE.finditer(t) if m.start() > 0), None)
    return [t[m.start():]] if m is not None and len(t[m.start():].split()) >= 3 else []


STATEMENT_MARGIN = 0.1  # on the retriever's score scale (cosine + 0.3 x n-gram cosine)


def looks_like_question(text: str, locale: str) -> bool:
    """A question the FAQ could not answer deserves "I can't answer that", not "I didn't catch that"."""
    t = text.strip()
    if is_chinese(locale):
        return bool(_ZH_QUESTION.search(t))
    # "my wife is a light sleeper will it keep her up": a question after the scene-setting
    return bool(_EN_QUESTION.search(t) or _EN_CLAUSE.search(normalize(t, locale)))


@dataclass(frozen=True)
class FaqMatch:
    entry_id: str  # "" = no confident match
    score: float
    answer: str = ""


class FaqRetriever:
    """Nearest phrasing by embedding cosine + weighted char n-gram cosine. Whether to answer is
    faq_decision.FaqDecision: a score threshold plus margins over the nearest not-answered question
    and over the next entry, calibrated by leave-one-out (see calibrate())."""

    def __init__(self, faq: Faq, encoder: CachedEncoder | None, negatives: list[str] = ()) -> None:
        self.faq, self.encoder = faq, encoder
        self.locale = faq.spec.locale
        self._ids = [e.id for e in faq.spec.entries for _ in e.questions]
        # Phrasings are stored entry by entry: an entry's best score is a max over its slice.
        sizes = [len(e.questions) for e in faq.spec.entries]
        self._starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        self._entry_of = np.repeat(np.arange(len(sizes)), sizes)
        questions = faq.all_questions()
        # Near-miss questions the FAQ does not answer compete with its entries at match time; the
        # plan's out-of-scope examples (mostly chit-chat statements) only count in calibration.
        self.negatives = list(faq.spec.not_answered_examples)
        own = {normalize(t, self.locale) for t in self.negatives}
        self.calibration_outside = [t for t in negatives if normalize(t, self.locale) not in own]
        # Spaced words: n-grams within words; unspaced text: n-grams of the characters themselves.
        spaced = locale_info(self.locale).spaced_words
        self._ngrams = TfidfVectorizer(analyzer="char_wb" if spaced else "char",
                                       ngram_range=(2, 4) if spaced else (1, 3), sublinear_tf=True)
        self._q_ngram = self._ngrams.fit_transform([normalize(q, self.locale) for q in questions])
        self._n_ngram = self._ngrams.transform([normalize(q, self.locale) for q in self.negatives]) if self.negatives else None
        self._q_emb = encoder.encode(self._normalized(questions)) if encoder is not None else None
        self._n_emb = (encoder.encode(self._normalized(self.negatives)) if encoder is not None and self.negatives
                       else None)
        self.decision = self.calibrate()
        self.min_score = self.decision.min_score
        if encoder is not None:
            encoder.save()

    def _normalized(self, texts: list[str]) -> list[str]:
        return [normalize(t, self.locale) or t for t in texts]

    def _scores(self, texts: list[str], emb: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(n texts, n phrasings) and (n texts, n not-answered questions) similarities."""
        x = self._ngrams.transform([normalize(t, self.locale) for t in texts])
        ng = (x @ self._q_ngram.T).toarray()
        ng_neg = (x @ self._n_ngram.T).toarray() if self._n_ngram is not None else np.zeros((len(texts), 0))
        if self._q_emb is None:
            return ng, ng_neg
        if emb is None:
            emb = self.encoder.encode(self._normalized(texts), remember=False)
        neg = emb @ self._n_emb.T + NGRAM_WEIGHT * ng_neg if self._n_emb is not None else ng_neg
        return emb @ self._q_emb.T + NGRAM_WEIGHT * ng, neg

    def _candidates(self, rows: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per row: best phrasing index, its score, the nearest not-answered score, the next entry's score."""
        per_entry = np.maximum.reduceat(rows, self._starts, axis=1)
        j = np.argmax(rows, axis=1)
        score = rows[np.arange(len(rows)), j]
        masked = per_entry.copy()
        masked[np.arange(len(rows)), self._entry_of[j]] = -np.inf
        second = masked.max(axis=1) if masked.shape[1] > 1 else np.full(len(rows), -np.inf)
        negative = neg.max(axis=1) if neg.shape[1] else np.full(len(rows), -np.inf)
        return j, score, negative, second

    def calibrate(self) -> FaqDecision:
        """Leave-one-out: each phrasing matched against the others should find its own entry; each
        not-answered question, against the other ones, should be declined (faq_decision)."""
        questions = self.faq.all_questions()
        own, own_neg = self._scores(questions, self._q_emb)
        np.fill_diagonal(own, -np.inf)
        j, s, n, sec = self._candidates(own, own_neg)
        inside = Candidates(s, self._entry_of[j] == self._entry_of, n, sec)
        s = n = sec = np.zeros(0)
        if self.negatives:
            out, out_neg = self._scores(self.negatives, self._n_emb)
            np.fill_diagonal(out_neg, -np.inf)
            _, s, n, sec = self._candidates(out, out_neg)
        if self.calibration_outside:
            _, s2, n2, sec2 = self._candidates(*self._scores(self.calibration_outside, None))
            s, n, sec = np.concatenate([s, s2]), np.concatenate([n, n2]), np.concatenate([sec, sec2])
        decision = calibrate_decision(inside, Candidates(s, np.zeros(len(s), bool), n, sec))
        log.info("faq_calibrated", file=self.faq.path, min_score=decision.min_score,
                 over_negative=decision.over_negative, over_second=decision.over_second,
                 loo_cost=round(decision.cost, 3))
        return decision

    def best(self, text: str, emb: np.ndarray | None = None) -> FaqCandidate:
        """The nearest entry with the three figures the decision looks at (no decision taken)."""
        # A caller often sets the scene before asking ("my kid has asthma, does it take out fine
        # dust"): the question clause alone is matched too, and the closer of the two counts.
        variants = [text] + question_clauses(text, self.locale)
        rows, neg = self._scores(variants, None if emb is None else
                                 np.vstack([emb[None, :], self.encoder.encode(self._normalized(variants[1:]), remember=False)])
                                 if len(variants) > 1 and self.encoder is not None else emb[None, :])
        j, score, negative, second = self._candidates(rows, neg)
        k = int(np.argmax(score))
        return FaqCandidate(self._ids[int(j[k])], float(score[k]), float(negative[k]), float(second[k]))

    def match(self, text: str, emb: np.ndarray | None = None, margin: float = 0.0) -> FaqMatch:
        c = self.best(text, emb)
        if not self.decision.accepts(c.score, c.negative, c.second, margin):
            return FaqMatch("", c.score)
        return FaqMatch(c.entry_id, c.score, self.faq.entry(c.entry_id).answer)

    def why_declined(self, text: str, margin: float = 0.0) -> str:
        """Which rule turned the nearest entry away ("" when it would be answered): for `faq ask`."""
        c, d = self.best(text), self.decision
        reasons = []
        if c.score < d.min_score + margin:
            reasons.append(f"nearest entry {c.entry_id!r} scores {c.score:.2f}, under the calibrated minimum "
                           f"{d.min_score + margin:.2f}")
        if c.score - c.negative < d.over_negative:
            reasons.append(f"a not-answered example is as near ({c.negative:.2f}; margin needed {d.over_negative:.2f})")
        if c.score - c.second < d.over_second:
            reasons.append(f"the next entry is as near ({c.second:.2f}; margin needed {d.over_second:.2f})")
        return "; ".join(reasons)


@dataclass(frozen=True)
class FaqCandidate:
    entry_id: str
    score: float
    negative: float  # nearest not-answered question
    second: float  # next entry


@dataclass(frozen=True)
class FaqReply:
    answered: bool  # an FAQ answer; False = politely declined (a question the FAQ does not know)
    text: str  # what to say before the state's question is asked again
    entry_id: str = ""
    question: str = ""


class FaqResponder:
    """What the dialogue runtime asks when a turn is not one of the script's intents."""

    def __init__(self, retriever: FaqRetriever) -> None:
        self.retriever = retriever
        self.locale = retriever.locale

    def reply(self, text: str, intent: str) -> FaqReply | None:
        """None = not a question for the FAQ (the plan's no-match handling applies)."""
        if intent not in (OUT_OF_SCOPE, FAQ_INTENT) or not text.strip():
            return None
        # A statement the classifier put out of scope ("my car is in the shop", 我在商场) answered from
        # the FAQ is nearly always a word match (store, 商场), not a question: it needs a clearer match.
        statement = intent == OUT_OF_SCOPE and not looks_like_question(text, self.locale)
        m = self.retriever.match(text, margin=STATEMENT_MARGIN if statement else 0.0)
        if m.entry_id:
            log.info("faq_answered", entry=m.entry_id, score=round(m.score, 3), text=text)
            return FaqReply(True, m.answer, m.entry_id, text)
        if intent == FAQ_INTENT or looks_like_question(text, self.locale):
            log.info("faq_declined", score=round(m.score, 3), text=text)
            return FaqReply(False, self.retriever.faq.spec.decline, "", text)
        return None


def make_faq_responder(plan, settings) -> FaqResponder | None:
    """The plan's FAQ with the shared encoder (None when the plan has no FAQ)."""
    if getattr(plan, "faq", None) is None:
        return None
    from voicebot.dialogue.nlu import plan_encoder

    negatives = list(getattr(plan, "out_of_scope_examples", []))
    return FaqResponder(FaqRetriever(plan.faq, plan_encoder(settings), negatives))
