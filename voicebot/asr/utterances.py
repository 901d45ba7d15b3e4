"""A fixed English utterance set for recognition checks (packing, batching, WER under load).

Two kinds, fixed before any packing was measured: short phone turns rendered with the Piper
voice and passed through the phone path (16 kHz -> 8 kHz -> G.711 mu-law -> 16 kHz), and the
real LibriVox recordings of Debian's ``pocketsphinx-testdata`` (read speech, 3-7 s).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicebot.audio.pcm import read_wav, resample

PHONE_TURNS = (
    "What are your opening hours?",
    "How much does the basic plan cost?",
    "When do you close on Friday?",
    "And what is the price of the plan again?",
    "Okay, thank you. Goodbye.",
    "Yes, that's right.",
    "No, I'm not interested.",
    "Can you call me back tomorrow morning?",
    "I'd like to speak to a person, please.",
    "How much is the delivery?",
    "Sorry, what did you say?",
    "I already paid the bill last week.",
    "Please send me the details by email.",
    "Okay, sounds good.",
)
LIBRIVOX_DIR = Path("/usr/share/pocketsphinx/test/data/librivox")


@dataclass(frozen=True)
class Utterance:
    name: str
    reference: str
    pcm: np.ndarray  # int16, 16 kHz


def through_phone(pcm16k: np.ndarray) -> np.ndarray:
    """What a G.711 mu-law line does to 16 kHz audio: band limit to 8 kHz and 8-bit companding."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

    narrow = resample(pcm16k, 16000, 8000)
    coded = audioop.ulaw2lin(audioop.lin2ulaw(narrow.astype("<i2").tobytes(), 2), 2)
    return resample(np.frombuffer(coded, dtype="<i2").astype(np.int16), 8000, 16000)


def phone_turns(settings, texts: tuple[str, ...] = PHONE_TURNS) -> list[Utterance]:
    from voicebot.tts.renderer import SpeechRenderer

    renderer = SpeechRenderer(settings, 16000)
    return [Utterance(f"piper-{i:02d}", t, through_phone(renderer.render(t, "en-US"))) for i, t in enumerate(texts)]


def librivox() -> list[Utterance]:
    """The LibriVox files of pocketsphinx-testdata with their transcripts (Debian package)."""
    refs = {}
    for line in (LIBRIVOX_DIR / "transcription").read_text().splitlines():
        if "(" in line:
            text, name = line.rsplit("(", 1)
            refs[name.strip(" )")] = text.replace("<s>", "").replace("</s>", "").strip()
    out = []
    for wav in sorted(LIBRIVOX_DIR.glob("*.wav")):
        pcm, _ = read_wav(wav, 16000)
        out.append(Utterance(wav.stem, refs.get(wav.stem, ""), pcm))
    return out


def normalise(text: str) -> list[str]:
    import re

    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference words)."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)], len(ref)
