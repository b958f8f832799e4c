"""Round trips, manifest, interop with the safetensors package, overwrite, atomicity, mmap."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from npukit.npk import (
    FORMAT,
    FORMAT_VERSION,
    NpkExistsError,
    NpkForeignError,
    NpkWriteError,
    read_npk,
    versions,
    write_npk,
    writer,
)
from npukit.npk.manifest import canonical_json, valid_created
from npukit.npk.safetensors_format import DTYPES as DTYPE_CODES

from .helpers import MANIFEST, header_of, sample_tensors

DTYPES = [np.float32, np.float16, np.float64, np.int8, np.int16, np.int32, np.int64,
          np.uint8, np.uint16, np.uint32, np.uint64, np.bool_]
SHAPES = [(), (0,), (1,), (7,), (2, 3), (2, 0, 4), (1, 2, 3, 4)]


def _all_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    out = {}
    for dt in DTYPES:
        for shape in SHAPES:
            name = f"{np.dtype(dt).name}/{'x'.join(map(str, shape)) or 'scalar'}"
            if dt is np.bool_:
                out[name] = rng.integers(0, 2, shape).astype(bool)
            elif np.issubdtype(dt, np.integer):
                info = np.iinfo(dt)
                out[name] = rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
            else:
                out[name] = rng.standard_normal(shape).astype(dt)
    return out


def test_round_trip_every_dtype_and_shape(tmp_path: Path) -> None:
    tensors = _all_tensors()
    npk = read_npk(write_npk(tmp_path / "all.npk", MANIFEST, tensors))
    assert sorted(npk.tensors) == sorted(tensors)
    for name, want in tensors.items():
        got = npk.tensors[name]
        assert got.dtype == want.dtype and got.shape == want.shape, name
        np.testing.assert_array_equal(got, want, err_msg=name)
        assert not got.flags.writeable
        assert npk.tensors.dtype(name) == want.dtype and npk.tensors.shape(name) == want.shape
    assert npk.tensors.nbytes == sum(a.nbytes for a in tensors.values())


def test_manifest_fields(tmp_path: Path) -> None:
    npk = read_npk(write_npk(tmp_path / "m.npk", {**MANIFEST, "pair": (1, 2)}, {}))
    m = npk.manifest
    assert m["format"] == FORMAT == "npukit-npk" and m["format_version"] == FORMAT_VERSION == 1
    assert npk.format_version == 1 and npk.target == "rk3588" and not npk.encrypted
    assert npk.npukit_version == m["npukit_version"] and isinstance(m["npukit_version"], str)
    assert valid_created(npk.created)
    assert m["program"] == MANIFEST["program"] and m["io"] == MANIFEST["io"]
    assert m["pair"] == [1, 2]  # the JSON round trip, as it will be read back
    assert set(m["checksum"]) == {"algorithm", "manifest", "tensors"}
    assert m["checksum"]["algorithm"] == "sha256"


def test_checksum_ignores_created_and_reproducible_is_byte_identical(tmp_path: Path) -> None:
    a = write_npk(tmp_path / "a.npk", MANIFEST, sample_tensors())
    b = write_npk(tmp_path / "b.npk", MANIFEST, sample_tensors(), reproducible=True)
    c = write_npk(tmp_path / "c.npk", MANIFEST, sample_tensors(), reproducible=True)
    assert b.read_bytes() == c.read_bytes()
    ma, mb = read_npk(a).manifest, read_npk(b).manifest
    assert "created" in ma and "created" not in mb
    assert ma["checksum"] == mb["checksum"]


def test_header_layout_is_aligned(npk_path: Path) -> None:
    blob = npk_path.read_bytes()
    n = int.from_bytes(blob[:8], "little")
    assert n % 8 == 0
    header, _ = header_of(npk_path)
    manifest = json.loads(header.pop("__metadata__")["npk"])
    assert canonical_json(manifest).decode() == header_of(npk_path)[0]["__metadata__"]["npk"]
    for spec in header.values():
        itemsize = DTYPE_CODES[spec["dtype"]].itemsize
        assert (8 + n + spec["data_offsets"][0]) % itemsize == 0


def test_input_arrays_are_normalised(tmp_path: Path) -> None:
    big_endian = np.arange(6, dtype=">i4").reshape(2, 3)
    strided = np.arange(20, dtype=np.float32).reshape(4, 5)[:, ::2]
    npk = read_npk(write_npk(tmp_path / "n.npk", MANIFEST,
                             {"be": big_endian, "st": strided, "list": [[1.5, 2.5]]}))
    np.testing.assert_array_equal(npk.tensors["be"], big_endian)
    assert npk.tensors["be"].dtype == np.dtype("<i4")
    np.testing.assert_array_equal(npk.tensors["st"], strided)
    assert npk.tensors["list"].dtype == np.float64


def _nested(depth: int) -> list:
    x: list = []
    for _ in range(depth):
        x = [x]
    return x


@pytest.mark.parametrize("manifest, tensors, words", [
    ({**MANIFEST, "checksum": "x"}, {}, "set by the writer"),
    ({**MANIFEST, "format_version": 3}, {}, "set by the writer"),
    ({"program": {}}, {}, "needs 'target'"),
    ({**MANIFEST, "q": {"scale": np.float32(1.0)}}, {}, "not JSON-serialisable"),
    ({**MANIFEST, "q": float("nan")}, {}, "not JSON-serialisable"),
    ({**MANIFEST, 3: "x"}, {}, "keys must be strings"),
    ({**MANIFEST, "deep": _nested(150)}, {}, "nested deeper"),
    ({**MANIFEST, "deeper": _nested(5000)}, {}, "not JSON-serialisable"),
    (MANIFEST, {"c": np.zeros(2, np.complex64)}, "cannot store"),
    (MANIFEST, {"s": np.array(["a"])}, "cannot store"),
    (MANIFEST, {"__metadata__": np.zeros(2)}, "invalid tensor name"),
    (MANIFEST, {"": np.zeros(2)}, "invalid tensor name"),
    (MANIFEST, [np.zeros(2)], "mapping"),
])
def test_writer_rejects_bad_input(tmp_path: Path, manifest, tensors, words: str) -> None:
    with pytest.raises(NpkWriteError, match=words):
        write_npk(tmp_path / "bad.npk", manifest, tensors)
    assert list(tmp_path.iterdir()) == []


def test_interop_our_file_read_by_safetensors(tmp_path: Path) -> None:
    tensors = _all_tensors()
    path = write_npk(tmp_path / "ours.npk", MANIFEST, tensors)
    theirs = load_file(path)
    assert sorted(theirs) == sorted(tensors)
    for name, want in tensors.items():
        np.testing.assert_array_equal(theirs[name], want, err_msg=name)
        assert theirs[name].dtype == want.dtype and theirs[name].shape == want.shape


def test_interop_safetensors_file_with_our_manifest_reads_and_verifies(tmp_path: Path) -> None:
    tensors = {k: np.asarray(v) for k, v in sample_tensors().items()}
    manifest = read_npk(write_npk(tmp_path / "ours.npk", MANIFEST, tensors)).manifest
    path = tmp_path / "theirs.safetensors"
    save_file(tensors, path, metadata={"npk": json.dumps(manifest)})
    npk = read_npk(path)  # checksum does not depend on layout or JSON spacing
    for name, want in tensors.items():
        np.testing.assert_array_equal(npk.tensors[name], want)


def test_interop_plain_safetensors_file_is_foreign(tmp_path: Path) -> None:
    path = tmp_path / "plain.safetensors"
    save_file({"w": np.ones(3, np.float32)}, path, metadata={"producer": "elsewhere"})
    with pytest.raises(NpkForeignError,
                       match="foreign file: a safetensors file not written by npukit"):
        read_npk(path)


def test_no_overwrite_without_force(npk_path: Path) -> None:
    before = npk_path.read_bytes()
    with pytest.raises(NpkExistsError, match="--force") as e:
        write_npk(npk_path, {**MANIFEST, "target": "other"}, {})
    assert str(npk_path) in str(e.value)
    assert npk_path.read_bytes() == before
    write_npk(npk_path, {**MANIFEST, "target": "other"}, {}, force=True)
    assert read_npk(npk_path).target == "other"
    assert [p.name for p in npk_path.parent.iterdir()] == [npk_path.name]


def test_folder_destination_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(NpkWriteError, match="is a folder"):
        write_npk(tmp_path, MANIFEST, {}, force=True)
    with pytest.raises(NpkWriteError, match="cannot write"):
        write_npk(tmp_path / "no" / "such" / "m.npk", MANIFEST, {})


def _exploding_raw(calls: list[int]):
    real = writer._raw

    def raw(a: np.ndarray) -> np.ndarray:
        calls.append(1)
        if len(calls) > 12:  # after hashing every tensor, partway through writing
            raise OSError(28, "No space left on device")
        return real(a)
    return raw


def test_failed_write_leaves_no_file_and_no_temp(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "_raw", _exploding_raw([]))
    with pytest.raises(NpkWriteError, match="No space left"):
        write_npk(tmp_path / "m.npk", MANIFEST, sample_tensors() | {"x": np.ones(9)})
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_the_old_file(npk_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    before = npk_path.read_bytes()
    monkeypatch.setattr(writer, "_raw", _exploding_raw([]))
    with pytest.raises(NpkWriteError):
        write_npk(npk_path, MANIFEST, sample_tensors() | {"x": np.ones(9)}, force=True)
    assert npk_path.read_bytes() == before
    assert [p.name for p in npk_path.parent.iterdir()] == [npk_path.name]


def test_publish_race_never_clobbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "m.npk"
    real_link = os.link

    def link(src: str, dst: str) -> None:  # another process wins the race
        Path(dst).write_bytes(b"theirs")
        real_link(src, dst)
    monkeypatch.setattr(os, "link", link)
    with pytest.raises(NpkExistsError):
        write_npk(dest, MANIFEST, {})
    assert dest.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["m.npk"]


def test_tensors_are_lazy_read_only_memmaps(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    weights = np.arange(1 << 20, dtype=np.float32)  # 4 MB
    path = write_npk(tmp_path / "big.npk", MANIFEST, {"w": weights, "b": np.ones(3, np.int8)})

    def no_hashing(*args: object, **kw: object) -> str:
        raise AssertionError("verify=False must not read tensor bytes")
    monkeypatch.setattr(versions, "tensors_digest", no_hashing)
    npk = read_npk(path, verify=False)
    assert npk.tensors._cache == {}  # nothing materialised at open
    w = npk.tensors["w"]
    assert isinstance(w, np.memmap) and not w.flags.writeable
    assert np.shares_memory(w, npk.tensors._container.buffer)
    assert npk.tensors["w"] is w
    np.testing.assert_array_equal(w[-5:], weights[-5:])
    with pytest.raises(ValueError):
        w[0] = 1.0
    with pytest.raises(AssertionError, match="must not read"):
        npk.verify()
