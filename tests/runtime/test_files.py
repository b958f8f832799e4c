"""Opening .npk files: encrypted round trip, wrong key, corrupt, foreign, not compiled."""

from __future__ import annotations

import numpy as np
import pytest
from compiler.models import demo_inputs, demo_model
from safetensors.numpy import save_file

from npukit.compiler import compile_model
from npukit.npk import (
    NpkChecksumError,
    NpkFormatError,
    NpkKeyError,
    NpkNotFoundError,
    generate_key,
    write_npk,
)
from npukit.runtime import Runtime
from npukit.sim.program_executor import ProgramExecutor


def test_encrypted_round_trip_and_wrong_key(tmp_path):
    key, other = generate_key(), generate_key()
    res = compile_model(demo_model(), "rk3588", tmp_path / "enc.npk", key=key)
    x = demo_inputs(1)[0]
    want = ProgramExecutor(res.program).run({"image": x})["logits"]
    with Runtime(res.path, key=key) as rt:
        assert np.array_equal(rt.run({"image": x})["logits"], want)
    with pytest.raises(NpkKeyError):
        Runtime(res.path, key=other)
    with pytest.raises(NpkKeyError):
        Runtime(res.path)


def test_corrupt_file(tmp_path, demo_npk):
    data = bytearray(demo_npk.path.read_bytes())
    data[-7] ^= 0xFF                                   # a weight byte
    bad = tmp_path / "bad.npk"
    bad.write_bytes(bytes(data))
    with pytest.raises(NpkChecksumError):
        Runtime(bad)
    trunc = tmp_path / "trunc.npk"
    trunc.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(NpkFormatError):
        Runtime(trunc)


def test_foreign_and_missing(tmp_path):
    st = tmp_path / "foreign.npk"
    save_file({"w": np.zeros(3, np.float32)}, str(st))
    with pytest.raises(NpkFormatError, match="foreign"):
        Runtime(st)
    with pytest.raises(NpkNotFoundError):
        Runtime(tmp_path / "absent.npk")


def test_container_without_compiled_model(tmp_path):
    p = write_npk(tmp_path / "empty.npk", {"target": "rk3588"}, {})
    with pytest.raises(NpkFormatError, match="no compiled model"):
        Runtime(p)
