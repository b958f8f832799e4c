"""Log-mel features for keyword spotting, in NumPy: framing, Hann window, power
spectrum, an HTK-style triangular mel filterbank, log.

16 kHz audio, 30 ms frames every 20 ms, 512-point FFT, 40 mel bands from 20 Hz
to 7.6 kHz: one second of audio → 49 frames × 40 bands.

    feats = log_mel(audio)          # float32 [49, 40]
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 16_000
FRAME = 480          # 30 ms
HOP = 320            # 20 ms
N_FFT = 512
N_MELS = 40
F_MIN, F_MAX = 20.0, 7600.0
CLIP = RATE          # samples per example (1 s)


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f, np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(m, np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, rate: int = RATE,
                   f_min: float = F_MIN, f_max: float = F_MAX) -> np.ndarray:
    """[n_mels, n_fft // 2 + 1] triangles, equally spaced on the mel scale, each
    rising from its left neighbour's centre to its own and falling to the right one's
    (peak 1, no area normalisation)."""
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    freqs = np.linspace(0, rate / 2, n_fft // 2 + 1)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rise = (freqs[None] - lo) / (mid - lo)
    fall = (hi - freqs[None]) / (hi - mid)
    return np.clip(np.minimum(rise, fall), 0, None).astype(np.float32)


def frames(audio: np.ndarray, frame: int = FRAME, hop: int = HOP) -> np.ndarray:
    """[n_frames, frame] overlapping frames (no padding: the tail that does not fill
    a frame is dropped)."""
    x = np.asarray(audio, np.float32)
    n = 1 + max(0, (len(x) - frame) // hop)
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    return x[idx]


def power_spectrum(audio: np.ndarray) -> np.ndarray:
    """|FFT|² of Hann-windowed frames: [n_frames, N_FFT // 2 + 1]."""
    window = np.hanning(FRAME + 2)[1:-1].astype(np.float32)   # periodic-like, no zero ends
    spec = np.fft.rfft(frames(audio) * window, n=N_FFT)
    return (spec.real ** 2 + spec.imag ** 2).astype(np.float32)


_FBANK = mel_filterbank()


def log_mel(audio: np.ndarray) -> np.ndarray:
    """float32 [n_frames, N_MELS] natural-log mel energies of 16 kHz audio in [-1, 1]."""
    return np.log(power_spectrum(audio) @ _FBANK.T + 1e-6).astype(np.float32)


def fit_clip(audio: np.ndarray, offset: int = 0) -> np.ndarray:
    """Exactly one second: ``audio`` placed at ``offset`` samples in silence (cut if
    it does not fit)."""
    out = np.zeros(CLIP, np.float32)
    a = np.asarray(audio, np.float32)[: max(0, CLIP - offset)]
    out[offset:offset + len(a)] = a
    return out


def read_wav(path: str | Path) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV as float32 in [-1, 1]."""
    with wave.open(str(path)) as w:
        if w.getframerate() != RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(f"{path}: need 16 kHz mono 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return data.astype(np.float32) / 32768.0


def write_wav(path: str | Path, audio: np.ndarray) -> None:
    pcm = np.clip(np.round(np.asarray(audio) * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
