"""examples/keyword_spotting: held-out accuracy in float and int8 on a class-balanced
subset (voices never heard in training), the WAV clips end to end, and the NumPy
log-mel front end against slow references."""

import numpy as np

from tests.examples._load import example


def test_keyword_spotting_example(capsys):
    run = example("keyword_spotting")
    s = run.main(["--clips", "90", "--calib", "16"])
    out = capsys.readouterr().out
    assert s.n >= 80
    assert s.float_acc >= 0.85, out
    assert s.int8_acc >= s.float_acc - 0.04, out
    assert s.agreement >= 0.9, out
    for wav, (fl, _, ql, _) in s.clips.items():         # yes.wav is "yes", …
        assert fl == ql == wav.removesuffix(".wav"), out


def test_mel_filterbank_triangles():
    feats = example("keyword_spotting", "features.py")
    fb = feats.mel_filterbank()
    assert fb.shape == (feats.N_MELS, feats.N_FFT // 2 + 1)
    assert fb.min() >= 0 and fb.max() <= 1
    freqs = np.linspace(0, feats.RATE / 2, feats.N_FFT // 2 + 1)
    centres = feats.mel_to_hz(np.linspace(feats.hz_to_mel(feats.F_MIN),
                                          feats.hz_to_mel(feats.F_MAX), feats.N_MELS + 2))
    for m in range(feats.N_MELS):                        # written out band by band
        lo, mid, hi = centres[m], centres[m + 1], centres[m + 2]
        for k, f in enumerate(freqs):
            want = (f - lo) / (mid - lo) if lo <= f <= mid else \
                (hi - f) / (hi - mid) if mid < f <= hi else 0.0
            assert abs(fb[m, k] - want) < 1e-5
    np.testing.assert_allclose(feats.mel_to_hz(feats.hz_to_mel(1000.0)), 1000.0)


def test_log_mel_against_a_slow_dft():
    feats = example("keyword_spotting", "features.py")
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.1, feats.FRAME + 2 * feats.HOP).astype(np.float32)
    got = feats.log_mel(audio)
    assert got.shape == (3, feats.N_MELS)
    window = np.hanning(feats.FRAME + 2)[1:-1]
    n = np.arange(feats.N_FFT)
    for t in range(3):
        frame = np.zeros(feats.N_FFT)
        frame[:feats.FRAME] = audio[t * feats.HOP:t * feats.HOP + feats.FRAME] * window
        power = [abs(np.sum(frame * np.exp(-2j * np.pi * k * n / feats.N_FFT))) ** 2
                 for k in range(feats.N_FFT // 2 + 1)]
        want = np.log(feats.mel_filterbank() @ np.array(power) + 1e-6)
        np.testing.assert_allclose(got[t], want, rtol=1e-4, atol=1e-4)
    # a 1 kHz tone peaks in the band whose centre is nearest 1 kHz
    tone = np.sin(2 * np.pi * 1000 * np.arange(feats.CLIP) / feats.RATE).astype(np.float32)
    centres = feats.mel_to_hz(np.linspace(feats.hz_to_mel(feats.F_MIN),
                                          feats.hz_to_mel(feats.F_MAX), feats.N_MELS + 2))[1:-1]
    assert feats.log_mel(tone).mean(0).argmax() == np.abs(centres - 1000).argmin()
