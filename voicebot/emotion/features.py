"""Prosodic features of one callee turn (or a 1 s window of it), robust to 8 kHz G.711 phone audio.

Everything is computed at 8 kHz on the 300-3400 Hz band, so 8 and 16 kHz calls give comparable
numbers. One STFT and one YIN pass per turn give frame tracks; turn and window summaries are
aggregates of those tracks (so rolling windows cost almost nothing extra).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import librosa
import numpy as np

from voicebot.audio.pcm import resample, to_float32

RATE = 8000
N_FFT = 256  # 32 ms
HOP = 80  # 10 ms frames
FRAME_S = HOP / RATE
YIN_FRAME = 512  # 64 ms: two periods of the lowest pitch we track
FMIN, FMAX = 65.0, 450.0
BAND = (300.0, 3400.0)
SPLIT_HZ = 1000.0  # tilt = energy above vs below this, inside the phone band


@dataclass(frozen=True)
class ProsodyFeatures:
    duration_s: float
    speech_s: float  # frames above the speech-energy gate
    voiced_ratio: float  # voiced frames / speech frames
    pitch_median_st: float  # semitones re 100 Hz (NaN-free: 0.0 when nothing was voiced)
    pitch_range_st: float  # p90 - p10 of voiced pitch, semitones
    pitch_std_st: float
    energy_mean_db: float  # mean RMS dBFS over speech frames
    energy_std_db: float
    energy_slope_db_s: float  # linear trend of speech-frame energy over the turn
    speech_rate_hz: float  # articulation rate: syllable nuclei per second, pauses >= 250 ms excluded
    pause_ratio: float  # pauses >= 250 ms inside the speech span / span
    centroid_hz: float
    tilt_db: float  # high-band minus low-band energy (dB); effortful/loud speech is flatter (higher)

    @property
    def pitch_median_hz(self) -> float:
        return float(100.0 * 2.0 ** (self.pitch_median_st / 12.0))

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class FrameTracks:
    """Per-10 ms frame measurements of one turn at 8 kHz."""

    rms_db: np.ndarray
    speech: np.ndarray  # bool: energy gate
    voiced: np.ndarray  # bool: speech and a plausible, continuous pitch
    pitch_st: np.ndarray  # semitones re 100 Hz; meaningful where voiced
    centroid_hz: np.ndarray
    tilt_db: np.ndarray
    nuclei: np.ndarray  # frame indices of syllable nuclei


def _band_limit_8k(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    x = to_float32(pcm).astype(np.float32)
    if sample_rate != RATE:
        x = resample(x, sample_rate, RATE)
    return x - float(np.mean(x)) if len(x) else x


def frame_tracks(pcm: np.ndarray, sample_rate: int) -> FrameTracks:
    x = _band_limit_8k(pcm, sample_rate)
    if len(x) < YIN_FRAME:
        x = np.pad(x, (0, YIN_FRAME - len(x)))
    spec = np.abs(librosa.stft(x, n_fft=N_FFT, hop_length=HOP, center=True)) ** 2
    freqs = librosa.fft_frequencies(sr=RATE, n_fft=N_FFT)
    in_band = (freqs >= BAND[0]) & (freqs <= BAND[1])
    low = in_band & (freqs < SPLIT_HZ)
    high = in_band & (freqs >= SPLIT_HZ)
    # Loudness over everything but DC/hum: a 200 Hz fundamental on wideband audio is the speaker too.
    full = freqs >= 60.0
    band_power = spec[in_band].sum(axis=0)
    # Parseval: mean square of the windowed frame, scaled so a full-scale sine reads about -3 dBFS.
    rms_db = 10.0 * np.log10(spec[full].sum(axis=0) * 2.0 / (N_FFT * np.sum(np.hanning(N_FFT) ** 2)) + 1e-10)
    centroid = (freqs[in_band, None] * spec[in_band]).sum(axis=0) / (band_power + 1e-12)
    tilt = 10.0 * np.log10((spec[high].sum(axis=0) + 1e-12) / (spec[low].sum(axis=0) + 1e-12))
    # Voicing cue over the whole band: vowels put most energy below 1 kHz, fricatives and noise above.
    below = full & (freqs < SPLIT_HZ)
    voicing_tilt = 10.0 * np.log10((spec[high].sum(axis=0) + 1e-12) / (spec[below].sum(axis=0) + 1e-12))

    # Speech gate relative to the turn's own loudest frames and noise floor (level-independent).
    peak = np.percentile(rms_db, 95)
    floor = np.percentile(rms_db, 10)
    gate = max(peak - 30.0, min(floor + 0.35 * (peak - floor), peak - 6.0), -65.0)
    speech = rms_db > gate

    f0 = librosa.yin(x, fmin=FMIN, fmax=FMAX, sr=RATE, frame_length=YIN_FRAME, hop_length=HOP, center=True)
    n = min(len(f0), len(rms_db))
    f0, rms_db, speech, centroid, tilt, voicing_tilt = (a[:n] for a in (f0, rms_db, speech, centroid, tilt, voicing_tilt))
    pitch_st = 12.0 * np.log2(np.maximum(f0, 1.0) / 100.0)
    # YIN has no voicing decision: keep speech frames with a low-band-dominated spectrum (vowels),
    # an in-range estimate, and agreement with their neighbours (octave jumps and noise are erratic).
    smooth = _median3(pitch_st)
    voiced = (
        speech
        & (f0 > FMIN * 1.05)
        & (f0 < FMAX * 0.95)
        & (np.abs(pitch_st - smooth) < 1.5)
        & (voicing_tilt < 0.0)
        & (rms_db > gate + 3.0)
    )
    pitch_st = _fold_octaves(pitch_st, voiced)
    nuclei = _syllable_nuclei(rms_db, voiced)
    return FrameTracks(rms_db, speech, voiced, pitch_st, centroid, tilt, nuclei)


def _fold_octaves(pitch_st: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """Undo YIN octave jumps (common once the phone band removes the fundamental): move each voiced
    frame by whole octaves towards the turn's median pitch. Real intonation rarely leaves +-6 st."""
    if voiced.sum() < 3:
        return pitch_st
    center = float(np.median(pitch_st[voiced]))
    folded = pitch_st.copy()
    folded[voiced] = center + (pitch_st[voiced] - center + 6.0) % 12.0 - 6.0
    # Keep genuine excursions up to +-9 st when the unfolded value was within an octave jump of nothing.
    near = voiced & (np.abs(pitch_st - center) <= 9.0)
    folded[near] = pitch_st[near]
    return folded


MIN_PAUSE_FRAMES = 25  # 250 ms: shorter gaps are stop closures and syllable boundaries, not pauses


def _long_silence_frames(speech: np.ndarray) -> int:
    """Frames in silent runs of at least MIN_PAUSE_FRAMES."""
    padded = np.r_[1, speech.astype(np.int8), 1]
    edges = np.flatnonzero(np.diff(padded))
    runs = edges[1::2] - edges[::2]  # lengths of the zero runs
    return int(runs[runs >= MIN_PAUSE_FRAMES].sum())


def _median3(v: np.ndarray) -> np.ndarray:
    if len(v) < 3:
        return v.copy()
    stacked = np.stack([np.r_[v[0], v[:-1]], v, np.r_[v[1:], v[-1]]])
    return np.median(stacked, axis=0)


def _syllable_nuclei(rms_db: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """Energy-envelope peaks in voiced speech, >= 3 dB above the dips either side, >= 80 ms apart."""
    if len(rms_db) < 5:
        return np.zeros(0, dtype=int)
    env = np.convolve(rms_db, np.ones(5) / 5.0, mode="same")  # 50 ms smoothing
    candidates = np.flatnonzero((env[1:-1] > env[:-2]) & (env[1:-1] >= env[2:])) + 1
    nuclei: list[int] = []
    for i in candidates:
        if not voiced[i]:
            continue
        left = env[max(0, i - 15) : i + 1].min()
        right = env[i : i + 16].min()
        if env[i] - max(left, right) < 3.0:
            continue
        if nuclei and i - nuclei[-1] < 8:
            if env[i] > env[nuclei[-1]]:
                nuclei[-1] = i
            continue
        nuclei.append(int(i))
    return np.asarray(nuclei, dtype=int)


def summarize(tracks: FrameTracks, start: int = 0, stop: int | None = None) -> ProsodyFeatures:
    """Aggregate frames [start, stop) into turn-level features."""
    stop = len(tracks.rms_db) if stop is None else min(stop, len(tracks.rms_db))
    sl = slice(start, stop)
    rms, speech, voiced = tracks.rms_db[sl], tracks.speech[sl], tracks.voiced[sl]
    n_frames = max(stop - start, 0)
    n_speech = int(speech.sum())
    duration = n_frames * FRAME_S
    if n_speech < 3:
        return ProsodyFeatures(duration, 0.0, 0.0, 0.0, 0.0, 0.0, float(np.median(rms)) if n_frames else -100.0,
                               0.0, 0.0, 0.0, 1.0, 0.0, 0.0)  # fmt: skip
    pitch = tracks.pitch_st[sl][voiced]
    if len(pitch) >= 3:
        p10, p50, p90 = np.percentile(pitch, [10, 50, 90])
        pitch_std = float(np.std(pitch))
    else:
        p10 = p50 = p90 = 0.0
        pitch_std = 0.0
    e = rms[speech]
    t = np.flatnonzero(speech) * FRAME_S
    slope = float(np.polyfit(t, e, 1)[0]) if t[-1] - t[0] > 0.3 else 0.0
    idx = np.flatnonzero(speech)
    inside = speech[idx[0] : idx[-1] + 1]
    span = len(inside)
    long_pause = _long_silence_frames(inside)
    nuclei = tracks.nuclei[(tracks.nuclei >= start) & (tracks.nuclei < stop)]
    speech_s = n_speech * FRAME_S
    articulation_s = max((span - long_pause) * FRAME_S, FRAME_S)
    # Weighting centroid/tilt by speech frames only: silence is line noise, not the speaker.
    return ProsodyFeatures(
        duration_s=duration,
        speech_s=speech_s,
        voiced_ratio=float(voiced.sum() / n_speech),
        pitch_median_st=float(p50),
        pitch_range_st=float(p90 - p10),
        pitch_std_st=pitch_std,
        energy_mean_db=float(np.mean(e)),
        energy_std_db=float(np.std(e)),
        energy_slope_db_s=slope,
        speech_rate_hz=float(len(nuclei) / articulation_s),
        pause_ratio=float(long_pause / span),
        centroid_hz=float(np.mean(tracks.centroid_hz[sl][speech])),
        tilt_db=float(np.mean(tracks.tilt_db[sl][speech])),
    )


def extract_features(pcm: np.ndarray, sample_rate: int) -> ProsodyFeatures:
    return summarize(frame_tracks(pcm, sample_rate))


def window_features(
    pcm: np.ndarray, sample_rate: int, window_s: float = 1.0, hop_s: float = 0.5
) -> list[tuple[float, ProsodyFeatures]]:
    """(start time, features) per rolling window; windows with no speech are left out."""
    tracks = frame_tracks(pcm, sample_rate)
    win, hop = round(window_s / FRAME_S), round(hop_s / FRAME_S)
    out = []
    n = len(tracks.rms_db)
    for start in range(0, max(n - win, 0) + 1, hop):
        feats = summarize(tracks, start, start + win)
        if feats.speech_s >= 0.2:
            out.append((start * FRAME_S, feats))
    return out


def warm_up() -> None:
    """Run the librosa paths once so the first real turn pays no import/JIT/FFT-plan cost."""
    t = np.arange(RATE // 2) / RATE
    extract_features((0.3 * np.sin(2 * np.pi * 150.0 * t) * 32767).astype(np.int16), RATE)
