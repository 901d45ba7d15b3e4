"""Training-data lint for ``voicebot dialplan check``: what the schema cannot see but the classifier
will suffer from. Every finding names file:line.

- an example nearer to another intent than to its own (a sentence pasted under the wrong intent);
- the same or a near-same example in two intents (or in an intent and the out-of-scope list);
- intents with fewer than MIN_EXAMPLES examples;
- intents no state or global transition handles (trained, never used);
- FAQ phrasings that are near-same as an intent example (the FAQ would never be asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.encoder import CachedEncoder
from voicebot.dialogue.nlu.normalize import normalize
from voicebot.locales import locale_info

if TYPE_CHECKING:
    from voicebot.dialogue.nlu.classifier_cache import ClassifierCache

MIN_EXAMPLES = 15
NEAR_SAME_EMBEDDING = 0.93  # cosine of two sentence embeddings
NEAR_SAME_NGRAMS = 0.9  # cosine of character n-gram TF-IDF
MISPLACED_MARGIN = 0.15 # another intent's centroid (and nearest example) must be this much nearer
MISPLACED_PROBABILITY = 0.8  # and a model that never saw the example is this sure of the other intent


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    severity: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


@dataclass
class _Lint:
    """The plan under check and the findings so far; every check adds to ``out``."""
    plan: Any
    out: list[Finding] = field(default_factory=list)

    @property
    def spec(self) -> Any:
        return self.plan.spec

    @property
    def file(self) -> str:
        return self.plan.path

    def at(self, path: tuple, severity: str, message: str, where_file: str | None = None, where_lines=None) -> None:
        lines = self.plan.lines if where_lines is None else where_lines
        self.out.append(Finding(self.file if where_file is None else where_file, lines.line(path), severity, message))

    def at_loc(self, where: tuple[str, int], severity: str, message: str) -> None:
        self.out.append(Finding(where[0], where[1], severity, message))


@dataclass
class _Examples:
    """Every example with its label and (file, line); OOS examples count as their own "intent" here."""
    items: list[tuple[str, str, tuple[str, int]]]  # (text, label, (file, line))
    own: np.ndarray  # written in the plan itself, not inherited from the library
    texts: list[str]  # normalised
    labels: np.ndarray
    sim_ng: np.ndarray  # character n-gram similarity
    emb: np.ndarray | None  # sentence embeddings, when there is an encoder
    sim: np.ndarray  # embedding similarity, else the n-gram one


def lint_plan(plan, encoder: CachedEncoder | None, cache: ClassifierCache | None = None) -> list[Finding]:
    """``cache``: where the misplaced-example check keeps its cross-validation, so a second check of an
    unchanged plan does not refit."""
    lint = _Lint(plan)
    _check_intents(lint)
    examples = _examples(plan, encoder)
    reported = _check_near_same(lint, examples)
    _check_misplaced(lint, examples, reported, encoder, cache)
    _check_faq(lint, examples, encoder)
    return sorted(lint.out, key=lambda f: (f.file, f.line))


def _handled_intents(spec) -> set[str]:
    handled = set(spec.global_) | {i for st in spec.states.values() for i in st.on}
    if spec.escalation.request_human:
        handled.add("request_human")  # the escalation rules hand these to a person
    if spec.escalation.complex_in_a_row:
        handled |= {name for name, i in spec.intents.items() if i.complex}
    return handled


def _check_intents(lint: _Lint) -> None:
    """Intents with too few examples, and intents nothing handles."""
    spec = lint.spec
    handled = _handled_intents(spec)
    origins = getattr(getattr(lint.plan, "inheritance", None), "origins", {})
    library_only = {n for n, o in origins.items() if all(x is not None for x in o)}
    for intent, ispec in spec.intents.items():
        if intent in library_only:
            continue  # listed by `dialplan check` as inherited (handled or not)
        if len(ispec.examples) < MIN_EXAMPLES:
            lint.at(("intents", intent), "warning",
                    f"intent {intent!r} has {len(ispec.examples)} examples; under {MIN_EXAMPLES} it generalises poorly")
        if intent not in handled:
            lint.at(("intents", intent), "warning",
                    f"intent {intent!r} is trained but no state or global transition handles it")


def _examples(plan, encoder: CachedEncoder | None) -> _Examples:
    # Examples inherited from the everyday library carry the library's file:line; pairs of two
    # library examples are the library's business (checked where it is written), not the plan's.
    spec, lines, file = plan.spec, plan.lines, plan.path
    inherited = plan.inheritance if hasattr(plan, "inheritance") else None
    loc = plan.example_location if inherited is not None else (lambda n, i: (file, lines.line(("intents", n, "examples", i))))
    oloc = plan.oos_location if inherited is not None else (lambda i: (file, lines.line(("out_of_scope_examples", i))))
    items = [(ex, intent, loc(intent, i)) for intent, ispec in spec.intents.items() for i, ex in enumerate(ispec.examples)]
    items += [(ex, OUT_OF_SCOPE, oloc(i)) for i, ex in enumerate(spec.out_of_scope_examples)]
    own = np.array([loc_[0] == file for _, _, loc_ in items])
    texts = [normalize(t, spec.locale) for t, _, _ in items]
    labels = np.array([lab for _, lab, _ in items], dtype=object)
    ngram = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(texts)
    sim_ng = (ngram @ ngram.T).toarray()
    emb = encoder.encode([n or t for n, (t, _, _) in zip(texts, items)]) if encoder is not None else None
    sim = emb @ emb.T if emb is not None else sim_ng
    return _Examples(items, own, texts, labels, sim_ng, emb, sim)


def _check_near_same(lint: _Lint, ex: _Examples) -> set[tuple[int, int]]:
    """The same or a near-same example under two labels; the (i, j) pairs reported."""
    reported: set[tuple[int, int]] = set()
    # Candidate pairs first (vectorised: a plan with the library has ~2000 examples).
    close = ex.sim_ng >= NEAR_SAME_NGRAMS
    if ex.emb is not None:
        close |= ex.sim >= NEAR_SAME_EMBEDDING
    close &= ex.labels[:, None] != ex.labels[None, :]
    close &= ex.own[:, None] & ex.own[None, :]  # the plan's own examples (library texts it relabels are dropped)
    items, labels = ex.items, ex.labels
    for i, j in zip(*np.nonzero(np.triu(close, 1))):
        i, j = int(i), int(j)
        same = ex.texts[i] == ex.texts[j]
        reported.add((i, j))
        k, m = (j, i) if ex.own[j] else (i, j)  # report at the plan's own example
        other = items[m][2][1] if items[m][2][0] == lint.file else f"{items[m][2][0]}:{items[m][2][1]}"
        lint.at_loc(items[k][2], "warning" if not same else "error",
                    f"example {items[k][0]!r} ({labels[k]}) is {'the same as' if same else 'near-same as'} "
                    f"{items[m][0]!r} ({labels[m]}, line {other})")
    return reported


def _check_misplaced(lint: _Lint, ex: _Examples, reported: set[tuple[int, int]],
                     encoder: CachedEncoder | None, cache: ClassifierCache | None) -> None:
    """Misplaced: nearer (centroid and nearest neighbour) to another intent than to its own, and a
    cross-validated classifier that never saw it puts it in that other intent too, and is sure of it."""
    from voicebot.dialogue.nlu.oos import cross_val_predictions

    spec = lint.spec
    str_labels = [str(x) for x in ex.labels]
    cv = (cache.cross_val_predictions(ex.texts, str_labels, spec.locale, ex.emb, encoder) if cache is not None
          else cross_val_predictions(ex.texts, str_labels, spec.locale, ex.emb))
    spaced = locale_info(spec.locale).spaced_words
    for i in range(len(ex.items)):
        if ex.labels[i] == OUT_OF_SCOPE or not ex.own[i] or cv[i].predicted == ex.labels[i]:
            continue
        # Short answers (没毛病, 啊, no use) sit near everything: their similarities say little.
        short = len(ex.texts[i].split()) <= 2 if spaced else len(ex.texts[i]) <= 3
        if not short and cv[i].probability >= MISPLACED_PROBABILITY:
            _misplaced_at(lint, ex, i, cv[i].predicted, reported)


def _misplaced_at(lint: _Lint, ex: _Examples, i: int, other_label: str, reported: set[tuple[int, int]]) -> None:
    """Example i, which the classifier puts in ``other_label``: flagged when its similarities agree."""
    own_label = ex.labels[i]
    own_mask = (ex.labels == own_label)
    own_mask[i] = False
    other_mask = ex.labels == other_label
    if not own_mask.any() or not other_mask.any():
        return
    own_c, own_nn = float(ex.sim[i, own_mask].mean()), float(ex.sim[i, own_mask].max())
    other_c, other_nn = float(ex.sim[i, other_mask].mean()), float(ex.sim[i, other_mask].max())
    if other_c <= own_c + MISPLACED_MARGIN or other_nn <= own_nn:
        return
    if any((min(i, k), max(i, k)) in reported for k in np.flatnonzero(other_mask)):
        return  # already reported as near-same
    other = "out-of-scope examples" if other_label == OUT_OF_SCOPE else f"intent {other_label!r}"
    lint.at_loc(ex.items[i][2], "warning",
                f"example {ex.items[i][0]!r} of intent {own_label!r} is nearer to {other} (mean similarity "
                f"{other_c:.2f} vs {own_c:.2f}): misplaced?")


def _check_faq(lint: _Lint, ex: _Examples, encoder: CachedEncoder | None) -> None:
    """FAQ phrasings near-same as an intent example: the FAQ would never be asked."""
    faq = getattr(lint.plan, "faq", None)
    if faq is None or ex.emb is None:
        return
    fq = [(q, e.id, ("entries", k, "questions", m)) for k, e in enumerate(faq.spec.entries)
          for m, q in enumerate(e.questions)]
    femb = encoder.encode([normalize(q, lint.spec.locale) or q for q, _, _ in fq])
    cross = femb @ ex.emb.T
    items, labels = ex.items, ex.labels
    for a, (q, eid, path) in enumerate(fq):
        b = int(np.argmax(cross[a]))
        if cross[a, b] >= NEAR_SAME_EMBEDDING and labels[b] != OUT_OF_SCOPE:
            lint.at(path, "warning", f"FAQ question {q!r} ({eid}) is near-same as example {items[b][0]!r} of intent "
                    f"{labels[b]!r} ({items[b][2][0]}:{items[b][2][1]}): the intent will win", faq.path, faq.lines)
