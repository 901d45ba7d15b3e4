"""The one text normalisation applied to Rasa training examples AND to every text sent to ``/model/parse``.

Rasa's WhitespaceTokenizer splits on spaces only, so Chinese (no spaces) would be one token per clause.
Putting a space around every CJK character turns each character into a token; with word uni+bigrams in the
light pipeline that gives the character bigrams a Chinese classifier needs. Latin words stay whole.
Punctuation becomes a space (ASR output is inconsistent about it). Both sides must use this same function,
or the features seen at training and at run time would differ.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af])")
_SPACES = re.compile(r"\s+")


def rasa_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch).startswith("P") and ch not in "'-" else ch for ch in text)
    text = _CJK.sub(r" \1 ", text)
    return _SPACES.sub(" ", text).strip().lower()
