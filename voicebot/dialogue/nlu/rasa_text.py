"""The one text preparation applied to Rasa training examples AND to every text sent to Rasa.

First the embedded classifier's normalisation (fillers, contractions, numbers, full-width forms:
what ASR output varies in but meaning does not), chosen by script so it needs no locale. Then, because
Rasa's WhitespaceTokenizer splits on spaces only and Chinese has none, a space around every CJK
character: each character becomes a token, and the pipeline's word bigrams become character bigrams.
Both sides must use this same function, or training and run-time features would differ.
"""

from __future__ import annotations

import re
import unicodedata

from voicebot.dialogue.nlu.normalize import normalize_en, normalize_zh

_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af])")
_SPACES = re.compile(r"\s+")


def rasa_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = normalize_zh(text) if _CJK.search(text) else normalize_en(text)
    text = "".join(" " if unicodedata.category(ch).startswith("P") and ch not in "'-" else ch for ch in text)
    text = _CJK.sub(r" \1 ", text)
    return _SPACES.sub(" ", text).strip().lower()
