"""int4 weights two per byte: pack/unpack round trip; int4 models compile and run bit-exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from compiler.models import demo_inputs, demo_model
from npukit.compiler import compile_model
from npukit.npk import read_npk
from npukit.program.packing import pack_int4, unpack_int4
from npukit.runtime import Runtime
from npukit.sim.program_executor import ProgramExecutor


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.int8, hnp.array_shapes(min_dims=1, max_dims=4, max_side=7),
                  elements=st.integers(-8, 7)))
def test_pack_unpack_round_trip(a):
    packed = pack_int4(a)
    assert packed.dtype == np.uint8 and packed.size == (a.size + 1) // 2
    back = unpack_int4(packed, a.shape)
    assert back.dtype == np.int8 and np.array_equal(back, a)


def test_nibble_order_low_first():
    assert pack_int4(np.array([1, -1, 7], np.int8)).tolist() == [0xF1, 0x07]


def test_out_of_range_refused():
    import pytest
    with pytest.raises(ValueError):
        pack_int4(np.array([8], np.int8))


def test_int4_model_packed_and_bit_exact(tmp_path):
    qm = demo_model("int4")
    res = compile_model(qm, "rk3588", tmp_path / "m.npk")
    npk = read_npk(res.path)
    packing = npk.manifest["packing"]
    convs = [r for r in res.program.records if r.kernel == "Conv"]
    assert convs and all(f"{r.name}/weights" in packing for r in convs)
    for r in convs:
        stored = npk.tensors[f"{r.name}/weights"]
        assert stored.dtype == np.uint8 and stored.size == (r.tensors["weights"].size + 1) // 2
    ex = ProgramExecutor(res.program)
    with Runtime(res.path) as rt:
        for x in demo_inputs(3):
            want = ex.run({"image": x})["logits"]
            assert np.array_equal(rt.run({"image": x})["logits"], want)
