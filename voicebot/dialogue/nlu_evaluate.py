"""``voicebot nlu evaluate``: how well a dialplan's classifier (and FAQ) does, per intent.

With a test file: the classifier as deployed (trained on all examples, thresholds calibrated on
them) labels every line. Without one: leave-one-out over the training examples (one fit per
example, embeddings computed once; the out-of-scope thresholds are those calibrated on all data).
A turn the FAQ answers is labelled ``faq:<entry id>``; one it declines counts as out_of_scope.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from voicebot.config import Settings
from voicebot.dialogue.nlu.base import FAQ_INTENT, OUT_OF_SCOPE
from voicebot.errors import VoicebotError


def read_tsv(path: str | Path, intents: set[str]) -> list[tuple[str, str]]:
    """(text, label) rows of a TSV written either text<TAB>label or label<TAB>text (the label column is
    the one holding known intent names, out_of_scope, faq:<id> or none); '#' lines are comments."""
    rows: list[tuple[str, str]] = []
    raw = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise VoicebotError(f"{path}:{n}: expected two tab-separated columns (text, intent), got {line!r}")
        raw.append((n, parts[0].strip(), parts[1].strip()))
    known = intents | {OUT_OF_SCOPE}
    first_is_label = sum(a in known for _, a, _ in raw) > sum(b in known for _, _, b in raw)
    for n, a, b in raw:
        text, label = (b, a) if first_is_label else (a, b)
        if label not in known and not label.startswith("faq:"):
            raise VoicebotError(f"{path}:{n}: unknown intent {label!r} (intents: {', '.join(sorted(known))})")
        rows.append((text, label))
    return rows


@dataclass
class EvaluationReport:
    mode: str  # "test file" | "leave-one-out"
    n: int
    accuracy: float
    in_scope_accuracy: float
    oos_false_accept: float  # out-of-scope lines taken as an intent (or answered from the FAQ)
    oos_false_reject: float  # in-scope lines turned away as out of scope
    per_intent: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (text, gold, predicted)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


class DeployedLabeler:
    """The classifier plus the FAQ, exactly as a call uses them."""

    def __init__(self, plan, settings: Settings) -> None:
        from voicebot.dialogue.faq import make_faq_responder
        from voicebot.dialogue.nlu import make_intent_classifier

        self.nlu = make_intent_classifier(plan, settings)
        self.faq = make_faq_responder(plan, settings)

    def label(self, text: str) -> str:
        r = self.nlu.parse(text)
        if r.intent in (OUT_OF_SCOPE, FAQ_INTENT):
            reply = self.faq.reply(text, r.intent) if self.faq is not None else None
            return f"faq:{reply.entry_id}" if reply is not None and reply.answered else OUT_OF_SCOPE
        return r.intent


def _leave_one_out(plan, settings: Settings) -> list[tuple[str, str, str]]:
    from voicebot.dialogue.nlu import make_intent_classifier
    from voicebot.dialogue.nlu.linear_model import LinearIntentModel
    from voicebot.dialogue.nlu.normalize import normalize

    full = make_intent_classifier(plan, settings)
    raw, labels = [], []
    for intent, exs in plan.examples.items():
        raw += exs
        labels += [intent] * len(exs)
    raw += plan.out_of_scope_examples
    labels += [OUT_OF_SCOPE] * len(plan.out_of_scope_examples)
    texts = [normalize(t, plan.locale) for t in raw]
    emb = full.encoder.encode([n or r for n, r in zip(texts, raw)]) if getattr(full, "encoder", None) is not None else None
    lab = np.array(labels)
    # Only the plan's own examples are left out in turn: the inherited everyday library is measured
    # on its own held-out sets (benchmarks/nlu.py), and a fit per library example would take minutes.
    inherited = getattr(plan, "inheritance", None)
    own = [i for i in range(len(raw)) if not _from_library(plan, inherited, labels[i], raw, i)] if inherited else range(len(raw))
    out = []
    for i in own:
        keep = np.arange(len(raw)) != i
        model = LinearIntentModel([t for k, t in enumerate(texts) if k != i], list(lab[keep]), plan.locale,
                                  emb[keep] if emb is not None else None)
        p = model.probabilities([texts[i]], emb[i:i + 1] if emb is not None else None)[0]
        j = int(np.argmax(p))
        pred = model.classes[j]
        if pred != OUT_OF_SCOPE:
            own = np.flatnonzero(keep & (lab == pred))
            sim = 1.0 if emb is None else float((emb[own] @ emb[i]).max()) if len(own) else 0.0
            if not full.thresholds.accepts(float(p[j]), sim):
                pred = OUT_OF_SCOPE
        out.append((raw[i], labels[i], pred))
    return out


def _from_library(plan, inherited, label: str, raw: list[str], i: int) -> bool:
    if label == OUT_OF_SCOPE:
        k = i - sum(len(v) for v in plan.examples.values())
        o = inherited.oos_origins
        return k < len(o) and o[k] is not None
    start = 0
    for name, exs in plan.examples.items():  # the same order the rows were built in
        if name == label and start <= i < start + len(exs):
            o = inherited.origins.get(name, [])
            return i - start < len(o) and o[i - start] is not None
        start += len(exs)
    return False


def score(triples: list[tuple[str, str, str]], mode: str, seconds: float = 0.0) -> EvaluationReport:
    """(text, expected, predicted) triples into the report's figures."""
    labels = sorted({g for _, g, _ in triples} | {p for _, _, p in triples})
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for _, g, p in triples:
        confusion[g][p] += 1
    oos = [p for _, g, p in triples if g == OUT_OF_SCOPE]
    ins = [(g, p) for _, g, p in triples if g != OUT_OF_SCOPE]
    return EvaluationReport(
        mode, len(triples),
        _share([g == p for _, g, p in triples]),
        _share([g == p for g, p in ins]),
        _share([p != OUT_OF_SCOPE for p in oos]),  # false accept: an outside question taken as an intent
        _share([p == OUT_OF_SCOPE for _, p in ins]),  # false reject
        {lab: _intent_figures(confusion, lab) for lab in labels}, confusion,
        [t for t in triples if t[1] != t[2]], round(seconds, 2))


def _share(hits: list[bool]) -> float:
    return round(sum(hits) / len(hits), 4) if hits else 0.0


def _intent_figures(confusion: dict[str, dict[str, int]], lab: str) -> dict[str, float | int]:
    tp = confusion[lab][lab]
    pred_n = sum(row[lab] for row in confusion.values())
    gold_n = sum(confusion[lab].values())
    return {"precision": round(tp / pred_n, 4) if pred_n else 0.0,
            "recall": round(tp / gold_n, 4) if gold_n else 0.0, "support": gold_n}


def evaluate_plan(plan, settings: Settings, rows: list[tuple[str, str]] | None = None) -> EvaluationReport:
    t0 = time.perf_counter()
    if rows is None:
        return score(_leave_one_out(plan, settings), "leave-one-out", time.perf_counter() - t0)
    labeler = DeployedLabeler(plan, settings)
    triples = [(text, gold, labeler.label(text)) for text, gold in rows]
    return score(triples, "test file", time.perf_counter() - t0)


def format_report(r: EvaluationReport) -> str:
    lines = [f"{r.mode}: {r.n} utterances, top-1 {r.accuracy:.1%}, in-scope {r.in_scope_accuracy:.1%}, "
             f"out-of-scope false-accept {r.oos_false_accept:.1%}, false-reject {r.oos_false_reject:.1%} "
             f"({r.seconds:.1f} s)", "", f"{'intent':<22} {'precision':>9} {'recall':>7} {'n':>4}"]
    for lab, m in r.per_intent.items():
        lines.append(f"{lab:<22} {m['precision']:>9.2f} {m['recall']:>7.2f} {m['support']:>4}")
    labels = list(r.confusion)
    lines += ["", "confusion matrix (rows: expected, columns: predicted, by number):"]
    lines.append(" " * 26 + "".join(f"{k:>4}" for k in range(len(labels))))
    for k, g in enumerate(labels):
        lines.append(f"{k:>2} {g:<22} " + "".join(f"{r.confusion[g][p] or '.':>4}" for p in labels))
    if r.errors:
        lines += ["", "errors (text | expected -> predicted):"]
        lines += [f"  {t} | {g} -> {p}" for t, g, p in r.errors]
    return "\n".join(lines)
