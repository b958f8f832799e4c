"""Train the keyword-spotting example: 8 words + "unknown", spoken by espeak-ng.

Needs torch and espeak-ng (``apt-get install espeak-ng``; ``pip install -e
'.[torch]'``).  Seeded.  Every clip is synthesised with a random English accent,
voice variant, speed and pitch, resampled to 16 kHz, shifted in time and mixed
with noise (white, brown or hum) at 0–30 dB SNR; features come from
``features.py``.  Voice variants are split: the held-out set is spoken only by
variants never heard in training.  Writes ``data/kws.onnx``, ``data/kws.json``
(labels, feature normalisation), ``data/heldout.npz`` (uint8-coded features) and a
few ``data/*.wav`` clips::

    python examples/keyword_spotting/train.py
"""

from __future__ import annotations

import json
import subprocess
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import numpy as np
import torch
from features import CLIP, RATE, fit_clip, log_mel, write_wav
from torch import nn

DATA = Path(__file__).resolve().parent / "data"
SEED = 20261124
WORDS = ("yes", "no", "up", "down", "left", "right", "stop", "go")
UNKNOWN = ("bed", "bird", "cat", "dog", "house", "tree", "wow", "happy", "zero", "one",
           "two", "three", "four", "five", "six", "seven", "eight", "nine", "learn",
           "follow", "forward", "visual", "sheila", "marvin", "on", "off", "upper", "note")
LABELS = (*WORDS, "unknown")
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-us-nyc")
TRAIN_VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "klatt", "klatt3",
                  "whisper", "croak")
HELD_VARIANTS = ("m6", "m7", "f4", "f5", "klatt2")
#: log-mel normalisation (fixed: the model input is (feature − MEAN) / STD)
MEAN, STD = -4.0, 4.0
#: held-out features are stored as uint8: value = code · CODE_SCALE + CODE_MIN
CODE_MIN, CODE_SCALE = -14.0, 0.1


def speak(word: str, accent: str, variant: str, speed: int, pitch: int) -> np.ndarray:
    voice = accent + (f"+{variant}" if variant else "")
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                          "--stdout", word], check=True, capture_output=True).stdout
    with wave.open(BytesIO(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    t = np.arange(int(len(x) * RATE / rate)) / RATE            # linear resampling
    x = np.interp(t, np.arange(len(x)) / rate, x).astype(np.float32)
    nz = np.nonzero(np.abs(x) > 0.01)[0]                         # trim silence
    return x[nz[0]:nz[-1] + 1] if len(nz) else x


def synthesise(n_per_word: int, n_unknown: int, variants: tuple[str, ...],
               rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    jobs = [(w, k) for k, w in enumerate(WORDS) for _ in range(n_per_word)]
    jobs += [(str(rng.choice(UNKNOWN)), len(WORDS)) for _ in range(n_unknown)]
    args = [(w, str(rng.choice(ACCENTS)), str(rng.choice(variants)),
             int(rng.integers(110, 230)), int(rng.integers(20, 80))) for w, _ in jobs]
    with ThreadPoolExecutor(4) as pool:
        audio = list(pool.map(lambda a: speak(*a), args))
    return audio, np.array([k for _, k in jobs], np.int64)


def augment(clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random gain, offset in the second, and noise at 0–30 dB SNR."""
    x = clip * rng.uniform(0.3, 1.0)
    x = fit_clip(x, int(rng.integers(0, max(1, CLIP - len(x)))))
    kind = rng.integers(3)
    if kind == 0:
        noise = rng.normal(0, 1, CLIP)
    elif kind == 1:
        noise = np.cumsum(rng.normal(0, 1, CLIP))
        noise -= np.convolve(noise, np.ones(400) / 400, "same")
    else:
        noise = np.sin(2 * np.pi * rng.uniform(50, 400) * np.arange(CLIP) / RATE)
        noise += rng.normal(0, 0.3, CLIP)
    snr = rng.uniform(0, 30)
    p_sig = np.mean(x[np.abs(x) > 0] ** 2) if np.any(x) else 1e-4
    noise *= np.sqrt(p_sig / 10 ** (snr / 10) / np.mean(noise ** 2))
    return (x + noise).astype(np.float32)


def featurise(audio: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    return np.stack([log_mel(augment(a, rng)) for a in audio])


class KwsNet(nn.Module):
    def __init__(self, n: int = len(LABELS)) -> None:
        super().__init__()

        def block(cin: int, cout: int, stride: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU())

        self.body = nn.Sequential(block(1, 16, 2), block(16, 32, 2), block(32, 32, 1),
                                  block(32, 48, 2), block(48, 48, 1), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(48, n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.body(x), 1))


def to_input(feats: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(((feats - MEAN) / STD)[:, None].astype(np.float32))


def main() -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    t0 = time.time()
    train_audio, y_train = synthesise(110, 300, TRAIN_VARIANTS, rng)
    held_audio, y_held = synthesise(24, 48, HELD_VARIANTS, rng)
    print(f"synthesised {len(train_audio)} + {len(held_audio)} clips in "
          f"{time.time() - t0:.0f} s", flush=True)
    x_held = featurise(held_audio, rng)
    model = KwsNet()
    epochs, bs = 30, 32
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    steps = epochs * (len(train_audio) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps)
    yt = torch.from_numpy(y_train)
    for epoch in range(epochs):
        x = to_input(featurise(train_audio, rng))                # fresh augmentation
        model.train()
        perm = torch.from_numpy(rng.permutation(len(yt)))
        for k in range(0, len(yt) - bs + 1, bs):
            idx = perm[k:k + bs]
            loss = nn.functional.cross_entropy(model(x[idx]), yt[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc = evaluate(model, x_held, y_held)
        print(f"epoch {epoch + 1:2d}  loss {loss.item():.3f}  held-out {acc:.2%}  "
              f"{time.time() - t0:.0f} s", flush=True)
    export(model, x_held, y_held, held_audio, rng, len(train_audio))


@torch.no_grad()
def evaluate(model: nn.Module, feats: np.ndarray, labels: np.ndarray) -> float:
    model.eval()
    return float((model(to_input(feats)).argmax(1).numpy() == labels).mean())


def export(model: nn.Module, x_held: np.ndarray, y_held: np.ndarray,
           held_audio: list[np.ndarray], rng: np.random.Generator, n_train: int) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    model.eval()
    torch.onnx.export(model, (to_input(x_held[:1]),), str(DATA / "kws.onnx"),
                      input_names=["features"], output_names=["logits"], opset_version=17,
                      dynamo=False)
    codes = np.clip(np.round((x_held - CODE_MIN) / CODE_SCALE), 0, 255).astype(np.uint8)
    calib_audio, _ = synthesise(6, 12, TRAIN_VARIANTS, rng)
    calib = featurise(calib_audio, rng)
    calib_codes = np.clip(np.round((calib - CODE_MIN) / CODE_SCALE), 0, 255).astype(np.uint8)
    np.savez_compressed(DATA / "heldout.npz", codes=codes, labels=y_held,
                        calib_codes=calib_codes)
    for k in (0, 3, 6):                           # "yes", "down", "stop" (held-out voices)
        i = int(np.nonzero(y_held == k)[0][0])
        write_wav(DATA / f"{LABELS[k]}.wav", augment(held_audio[i], rng))
    decoded = codes.astype(np.float32) * CODE_SCALE + CODE_MIN
    meta = {"seed": SEED, "labels": list(LABELS), "mean": MEAN, "std": STD,
            "code_min": CODE_MIN, "code_scale": CODE_SCALE, "train": n_train,
            "heldout": len(y_held),
            "train_variants": list(TRAIN_VARIANTS), "heldout_variants": list(HELD_VARIANTS),
            "float_heldout_accuracy": evaluate(model, decoded, y_held)}
    (DATA / "kws.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
