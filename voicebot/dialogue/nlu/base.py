"""What every intent recogniser returns: the embedded classifier and the Rasa client alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

OUT_OF_SCOPE = "out_of_scope"
# A product question the plan's FAQ (knowledge base) may answer: the classifier learns it from the
# FAQ's question phrasings; the runtime then asks the FAQ retriever (voicebot/dialogue/faq.py).
FAQ_INTENT = "faq_question"


@dataclass(frozen=True)
class IntentResult:
    intent: str  # OUT_OF_SCOPE when the best score is under the plan's threshold
    confidence: float
    ranking: tuple[tuple[str, float], ...] = field(default_factory=tuple)  # best first, top few


class IntentClassifier(Protocol):
    """Built once per dialplan at start-up, shared by every call: parse() must be thread-safe."""

    def parse(self, text: str) -> IntentResult: ...
