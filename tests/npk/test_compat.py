"""Hostile and damaged files, foreign files, format versions and the reader registry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import save_file

from npukit.errors import NpukitError
from npukit.npk import (
    NpkChecksumError,
    NpkError,
    NpkFile,
    NpkForeignError,
    NpkFormatError,
    NpkNotFoundError,
    NpkTruncatedError,
    NpkVersionError,
    TensorMap,
    read_npk,
    register_reader,
    supported_versions,
    unregister_reader,
)
from npukit.npk.safetensors_format import Container

from .helpers import craft, flip_offsets, header_of


def _rewrite(path: Path, edit) -> Path:
    """Apply ``edit(header, manifest)`` and write the file back with the same data."""
    header, data = header_of(path)
    manifest = json.loads(header["__metadata__"]["npk"])
    edit(header, manifest)
    header["__metadata__"]["npk"] = json.dumps(manifest)
    return craft(path, header, data)


def test_errors_are_npukit_errors() -> None:
    assert issubclass(NpkError, NpukitError)
    assert issubclass(NpkTruncatedError, NpkFormatError)
    assert issubclass(NpkForeignError, NpkFormatError)


def test_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(NpkNotFoundError, match="no such file"):
        read_npk(tmp_path / "missing.npk")
    with pytest.raises(NpkNotFoundError, match="not a regular file"):
        read_npk(tmp_path)


@pytest.mark.parametrize("blob, words", [
    (b"", "too short"),
    (b"\x01\x02\x03", "too short"),
    ((2**62).to_bytes(8, "little") + b"{}", "absurd"),
    ((1).to_bytes(8, "little") + b"{}", "absurd"),
    ((4096).to_bytes(8, "little") + b"{}      ", "only 8 follow"),
    ((8).to_bytes(8, "little") + b"\x89PNG\r\n\x1a\n", "not valid JSON"),
    ((8).to_bytes(8, "little") + b"[1, 2]  ", "not a JSON object"),
    ((8).to_bytes(8, "little") + b'{"a":NaN', "not valid JSON"),
    (b"\x08\x00\x00\x00\x00\x00\x00\x00\xff\xfe\x00{}   ", "not valid JSON"),
])
def test_garbage_files(tmp_path: Path, blob: bytes, words: str) -> None:
    path = tmp_path / "bad.npk"
    path.write_bytes(blob)
    with pytest.raises(NpkFormatError, match=words) as e:
        read_npk(path)
    assert str(path) in str(e.value)


def test_onnx_model_is_not_an_npk(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x07\x12\x07pytorch\x1a\x052.1.0" + bytes(64))
    with pytest.raises(NpkFormatError, match="not an .npk file"):
        read_npk(path)


def _one_tensor(**spec: Any) -> dict:
    entry = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]} | spec
    return {"__metadata__": {"npk": "{}"}, "w": entry}


@pytest.mark.parametrize("header, data, error, words", [
    (_one_tensor(dtype="Q7"), bytes(8), NpkFormatError, "unknown or unsupported dtype 'Q7'"),
    (_one_tensor(dtype="BF16", data_offsets=[0, 4]), bytes(4), NpkFormatError, "'BF16'"),
    (_one_tensor(shape=[-1]), bytes(8), NpkFormatError, "shape"),
    (_one_tensor(shape=[2.0]), bytes(8), NpkFormatError, "shape"),
    (_one_tensor(data_offsets=[8, 0]), bytes(8), NpkFormatError, "data_offsets"),
    (_one_tensor(data_offsets=[0, 2**40]), bytes(8), NpkFormatError, "outside"),
    (_one_tensor(data_offsets=[0, 12]), bytes(12), NpkFormatError, "needs 8"),
    (_one_tensor(data_offsets=[4, 12]), bytes(12), NpkFormatError, "gap"),
    (_one_tensor(), bytes(12), NpkFormatError, "4 unexpected bytes"),
    (_one_tensor(), bytes(5), NpkTruncatedError, "truncated"),
    ({"w": {"dtype": "F32"}}, b"", NpkFormatError, "needs 'dtype', 'shape'"),
    ({"__metadata__": {"npk": 3}}, b"", NpkFormatError, "strings to strings"),
    ({"__metadata__": {"x": "y"}}, b"", NpkForeignError, "foreign file"),
    ({"__metadata__": {"npk": "{bad"}}, b"", NpkFormatError, "manifest is not valid JSON"),
    ({"__metadata__": {"npk": '{"format":"onnx"}'}}, b"", NpkForeignError, "'onnx'"),
    ({"__metadata__": {"npk": '{"format":"npukit-npk","format_version":"1"}'}}, b"",
     NpkFormatError, "not an integer"),
    ({"__metadata__": {"npk": '{"format":"npukit-npk","format_version":1}'}}, b"",
     NpkFormatError, "missing or malformed"),
])
def test_bad_structure(tmp_path: Path, header: dict, data: bytes, error: type,
                       words: str) -> None:
    path = craft(tmp_path / "bad.npk", header, data)
    with pytest.raises(error, match=words) as e:
        read_npk(path)
    assert str(path) in str(e.value) and "hint:" in str(e.value)


@pytest.mark.parametrize("depth", [150, 990, 100_000])
def test_deeply_nested_json_is_refused(tmp_path: Path, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    manifest = '{"format":"npukit-npk","format_version":1,"deep":' + deep + "}"
    with pytest.raises(NpkFormatError, match="manifest is not valid JSON"):
        read_npk(craft(tmp_path / "m.npk", {"__metadata__": {"npk": manifest}}))
    with pytest.raises(NpkFormatError, match="header is not valid JSON"):
        read_npk(_raw_header(tmp_path / "h.npk", '{"a":' + deep + "}"))


def _raw_header(path: Path, text: str) -> Path:
    data = text.encode() + b" " * (-len(text) % 8)
    path.write_bytes(len(data).to_bytes(8, "little") + data)
    return path


def test_overlapping_tensors(tmp_path: Path) -> None:
    header = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
    with pytest.raises(NpkFormatError, match="overlap"):
        read_npk(craft(tmp_path / "o.npk", header, bytes(12)))


def test_duplicate_header_keys(tmp_path: Path) -> None:
    text = b'{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' \
           b'"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'
    path = tmp_path / "dup.npk"
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"\x00")
    with pytest.raises(NpkFormatError, match="duplicate key"):
        read_npk(path)


def test_truncated_real_file(npk_path: Path) -> None:
    npk_path.write_bytes(npk_path.read_bytes()[:-10])
    with pytest.raises(NpkTruncatedError, match="truncated"):
        read_npk(npk_path, verify=False)


def test_tensor_bytes_changed(npk_path: Path) -> None:
    blob = bytearray(npk_path.read_bytes())
    blob[-20] ^= 0x01
    npk_path.write_bytes(bytes(blob))
    with pytest.raises(NpkChecksumError, match="tensor data"):
        read_npk(npk_path)
    npk = read_npk(npk_path, verify=False)  # O(1) open does not read the weights...
    with pytest.raises(NpkChecksumError, match="checksum mismatch"):
        npk.verify()  # ...verify() does


@pytest.mark.parametrize("edit", [
    lambda h, m: m.update(target="hi3519"),
    lambda h, m: m["program"].update(version=2),
    lambda h, m: h["conv.weights"].update(shape=[3, 4, 3, 3]),
    lambda h, m: h.update(renamed=h.pop("conv.bias")),
])
def test_manifest_and_table_edits_fail_at_open(npk_path: Path, edit) -> None:
    _rewrite(npk_path, edit)
    with pytest.raises(NpkChecksumError, match="manifest and tensor table"):
        read_npk(npk_path, verify=False)


def test_flipped_byte_anywhere_is_an_error(npk_path: Path) -> None:
    """Length, header, manifest, tensor data, two flip patterns: never silently wrong data.

    Samples ~300 offsets of a ~6 kB file; NPK_FLIP_ALL=1 flips every byte.
    """
    blob = npk_path.read_bytes()
    n = 8 + int.from_bytes(blob[:8], "little")
    must = [*range(16), *range(n - 16, n + 16), *range(len(blob) - 32, len(blob))]
    bad = npk_path.with_name("flipped.npk")
    for offset in flip_offsets(len(blob), must):
        for mask in (0x01, 0xFF):
            flipped = bytearray(blob)
            flipped[offset] ^= mask
            bad.write_bytes(bytes(flipped))
            with pytest.raises(NpkError):
                read_npk(bad)
                pytest.fail(f"flip {mask:#x} at byte {offset} was not detected")


def test_future_version(npk_path: Path) -> None:
    _rewrite(npk_path, lambda h, m: m.update(format_version=7))
    with pytest.raises(NpkVersionError, match="version 7.*version 1") as e:
        read_npk(npk_path)
    assert "upgrade npukit" in str(e.value)


def test_old_version_without_reader(npk_path: Path) -> None:
    _rewrite(npk_path, lambda h, m: m.update(format_version=0))
    with pytest.raises(NpkVersionError, match=r"version 0.*\[1\]"):
        read_npk(npk_path)


# ------------------------------------------------ an older-version reader plugs in
#
# A made-up "version 0": the target was called "chip", tensors were stored as
# "param:<name>", and the checksum was a bare SHA-256 of the concatenated
# tensor bytes in name order.  Its reader upgrades all three.


def _write_v0(path: Path, tensors: dict[str, np.ndarray]) -> Path:
    digest = hashlib.sha256(b"".join(tensors[k].tobytes() for k in sorted(tensors)))
    manifest = {"format": "npukit-npk", "format_version": 0, "chip": "rk3588",
                "sha256": digest.hexdigest()}
    save_file({f"param:{k}": v for k, v in tensors.items()}, path,
              metadata={"npk": json.dumps(manifest)})
    return path


def _read_v0(container: Container, manifest: dict, *, encrypted: bool) -> NpkFile:
    names = {n.removeprefix("param:"): n for n in container.entries}
    upgraded = {"format": "npukit-npk", "format_version": 1, "npukit_version": "0.0",
                "target": manifest["chip"]}

    def verify() -> None:
        data = b"".join(container.array(names[k]).tobytes() for k in sorted(names))
        if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
            raise NpkChecksumError(f"{container.path}: v0 checksum mismatch")
    return NpkFile(container.path, upgraded, TensorMap(container, names), 0,
                   encrypted=encrypted, verifier=verify)


@pytest.fixture
def v0_reader():
    register_reader(0)(_read_v0)
    yield
    unregister_reader(0)


def test_version_0_reader_plugs_into_the_registry(tmp_path: Path, v0_reader: None) -> None:
    tensors = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2, np.int8)}
    path = _write_v0(tmp_path / "old.npk", tensors)
    assert supported_versions() == [0, 1]
    npk = read_npk(path)
    assert npk.format_version == 0 and npk.manifest["format_version"] == 1
    assert npk.target == "rk3588" and sorted(npk.tensors) == ["b", "w"]
    np.testing.assert_array_equal(npk.tensors["w"], tensors["w"])
    unregister_reader(0)
    with pytest.raises(NpkVersionError):
        read_npk(path)
