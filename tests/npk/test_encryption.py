"""AES-256-GCM envelope: round trip, keys and key specs, tampering, missing dependency."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from npukit.npk import (
    NpkDecryptError,
    NpkDependencyError,
    NpkError,
    NpkKeyError,
    NpkVersionError,
    generate_key,
    key_fingerprint,
    load_key,
    read_npk,
    write_npk,
)
from npukit.npk.crypto import MAGIC

from .helpers import MANIFEST, flip_offsets, sample_tensors

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


@pytest.fixture
def enc_path(tmp_path: Path) -> Path:
    return write_npk(tmp_path / "enc.npk", MANIFEST, sample_tensors(), key=KEY,
                     reproducible=True)


def test_round_trip(enc_path: Path) -> None:
    npk = read_npk(enc_path, key=KEY)
    assert npk.encrypted and npk.target == "rk3588" and npk.format_version == 1
    for name, want in sample_tensors().items():
        got = npk.tensors[name]
        np.testing.assert_array_equal(got, want)
        assert not isinstance(got, np.memmap) and not got.flags.writeable


def test_layout_and_nothing_leaks(enc_path: Path) -> None:
    blob = enc_path.read_bytes()
    assert blob.startswith(MAGIC)
    n = int.from_bytes(blob[8:12], "little")
    header = json.loads(blob[12:12 + n])
    assert header["cipher"] == "AES-256-GCM"
    assert header["key_fingerprint"] == key_fingerprint(KEY) == hashlib.sha256(KEY).hexdigest()[:16]
    assert KEY.hex() not in blob.decode("latin-1") and KEY not in blob
    assert b"rk3588" not in blob and b"conv.weights" not in blob
    assert sample_tensors()["conv.weights"].tobytes() not in blob
    assert len(blob) == 12 + n + 12 + len(
        write_npk(enc_path.with_name("p.npk"), MANIFEST, sample_tensors(),
                  reproducible=True).read_bytes()) + 16


def test_wrong_key(enc_path: Path) -> None:
    with pytest.raises(NpkKeyError, match="wrong key") as e:
        read_npk(enc_path, key=OTHER)
    msg = str(e.value)
    assert f"fingerprint {key_fingerprint(KEY)} expected, {key_fingerprint(OTHER)} given" in msg


def test_missing_key_says_encrypted_and_how(enc_path: Path) -> None:
    with pytest.raises(NpkKeyError, match="is encrypted") as e:
        read_npk(enc_path)
    assert "NPUKIT_KEY" in str(e.value) and "file:PATH" in str(e.value)


def test_default_env_key(enc_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPUKIT_KEY", KEY.hex().upper())
    assert read_npk(enc_path).encrypted


def test_key_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, hexfile = tmp_path / "k.bin", tmp_path / "k.hex"
    raw.write_bytes(KEY)
    hexfile.write_text(KEY.hex() + "\n")
    monkeypatch.setenv("MY_KEY", f"  {KEY.hex()}  ")
    monkeypatch.setenv("NPUKIT_KEY", KEY.hex())
    for spec in (KEY, bytearray(KEY), raw, str(raw), f"file:{raw}", f"file:{hexfile}",
                 hexfile, "env:MY_KEY", "env:"):
        assert load_key(spec) == KEY, spec
    enc = write_npk(tmp_path / "e.npk", MANIFEST, {}, key=f"file:{hexfile}")
    assert read_npk(enc, key="env:MY_KEY").encrypted


@pytest.mark.parametrize("spec, words", [
    (b"short", "32 bytes, got 5"),
    ("env:NOT_SET_ANYWHERE", "NOT_SET_ANYWHERE is not set"),
    ("env:BAD_HEX", "64-hex-digit"),
    ("file:{tmp}/nope.key", "cannot read key file"),
    ("{tmp}/ten.key", "32 raw bytes or 64 hex digits"),
    ("{tmp}/text.key", "64-hex-digit"),
    (12345, "cannot use a int"),
    (KEY.hex(), "not repeated here"),
])
def test_bad_key_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec, words) -> None:
    monkeypatch.setenv("BAD_HEX", "zz" * 32)
    (tmp_path / "ten.key").write_bytes(b"\xff" * 10)
    (tmp_path / "text.key").write_text("not a key")
    if isinstance(spec, str):
        spec = spec.format(tmp=tmp_path)
    with pytest.raises(NpkKeyError, match=words) as e:
        load_key(spec)
    assert KEY.hex() not in str(e.value)


def test_key_is_ignored_for_a_plain_file(npk_path: Path) -> None:
    assert not read_npk(npk_path, key=OTHER).encrypted


def test_generate_key() -> None:
    a, b = generate_key(), generate_key()
    assert len(a) == 32 and a != b


def test_every_flipped_byte_is_an_error(enc_path: Path) -> None:
    """Header, length, fingerprint, nonce, ciphertext, tag: always an error, never data.

    Every envelope byte and the tag, plus a sample of the ciphertext (NPK_FLIP_ALL=1: all).
    """
    blob = enc_path.read_bytes()
    envelope = 12 + int.from_bytes(blob[8:12], "little") + 12
    must = [*range(envelope + 8), *range(len(blob) - 24, len(blob))]
    bad = enc_path.with_name("bad.npk")
    for offset in flip_offsets(len(blob), must, k=150):
        flipped = bytearray(blob)
        flipped[offset] ^= 0x01 if offset % 2 else 0xFF
        bad.write_bytes(bytes(flipped))
        with pytest.raises(NpkError):
            read_npk(bad, key=KEY)
            pytest.fail(f"flip at byte {offset} was not detected")


def test_tampered_ciphertext_and_tag(enc_path: Path) -> None:
    blob = enc_path.read_bytes()
    for offset in (len(blob) // 2, len(blob) - 1):  # ciphertext, tag
        flipped = bytearray(blob)
        flipped[offset] ^= 0x40
        enc_path.write_bytes(bytes(flipped))
        with pytest.raises(NpkDecryptError, match="authentication failed"):
            read_npk(enc_path, key=KEY)


def test_truncated_encrypted_file(enc_path: Path) -> None:
    blob = enc_path.read_bytes()
    for size in (9, 20, len(blob) - 1):
        enc_path.write_bytes(blob[:size])
        with pytest.raises(NpkError):
            read_npk(enc_path, key=KEY)


def test_future_envelope_version(enc_path: Path) -> None:
    blob = enc_path.read_bytes()
    n = int.from_bytes(blob[8:12], "little")
    header = blob[12:12 + n].replace(b'"envelope_version":1', b'"envelope_version":9')
    enc_path.write_bytes(blob[:12] + header + blob[12 + n:])
    with pytest.raises(NpkVersionError, match="upgrade npukit"):
        read_npk(enc_path, key=KEY)


def test_cryptography_missing(enc_path: Path, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(NpkDependencyError, match="pip install cryptography"):
        read_npk(enc_path, key=KEY)
    with pytest.raises(NpkDependencyError, match="pip install cryptography"):
        write_npk(tmp_path / "x.npk", MANIFEST, {}, key=KEY)
    assert not (tmp_path / "x.npk").exists()


def test_imports_stay_numpy_only(npk_path: Path, enc_path: Path) -> None:
    code = f"""
import sys
from npukit.npk import read_npk
read_npk({str(npk_path)!r})
assert "cryptography" not in sys.modules and "safetensors" not in sys.modules
read_npk({str(enc_path)!r}, key=bytes(range(32)))
assert "cryptography" in sys.modules and "safetensors" not in sys.modules
assert "onnx" not in sys.modules and "torch" not in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], check=True)
