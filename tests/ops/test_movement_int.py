"""Integer data movement: codes move exactly (fast == reference == float op on the
dequantized codes); Concat rescales each input to its own output params."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qhelpers import quantize_by_hand, run_both

from npukit.ir import QuantParams, parse_graph
from npukit.numerics.quantize import dequantize
from npukit.numerics.saturate import qrange
from npukit.ops import infer_graph
from npukit.sim import FloatExecutor

ROUNDINGS = ["half_away_from_zero", "half_to_even", "half_up"]

# (input shape, extra constant lines, node text, outputs)
CASES = {
    "reshape": ((2, 3, 4), "const s: i64[2] = [4, -1]", "Reshape(x, s)", "y"),
    "flatten": ((2, 3, 4), "", "Flatten(x) {axis=2}", "y"),
    "transpose": ((2, 3, 4), "", "Transpose(x) {perm=[2, 0, 1]}", "y"),
    "squeeze": ((2, 1, 4), "const a: i64[1] = [1]", "Squeeze(x, a)", "y"),
    "unsqueeze": ((2, 3), "const a: i64[2] = [0, 3]", "Unsqueeze(x, a)", "y"),
    "identity": ((3, 5), "", "Identity(x)", "y"),
    "dropout": ((3, 5), "", "Dropout(x)", "y"),
    "slice": ((5, 6), "const b: i64[2] = [4, 0]\n const e: i64[2] = [0, 6]\n"
              " const a: i64[2] = [0, 1]\n const st: i64[2] = [-2, 2]",
              "Slice(x, b, e, a, st)", "y"),
    "split": ((2, 6), "const sp: i64[2] = [2, 4]", "Split(x, sp) {axis=1}", "y, z"),
    "pad_constant": ((3, 4), "const p: i64[4] = [0, 1, 2, 0]", "Pad(x, p)", "y"),
    "pad_value": ((3, 4), "const p: i64[4] = [1, 0, 0, 2]\n const v: f32[] = [0.0]",
                  "Pad(x, p, v)", "y"),
    "pad_reflect": ((3, 4), "const p: i64[4] = [1, 2, 1, 1]", 'Pad(x, p) {mode="reflect"}',
                    "y"),
    "pad_edge": ((3, 4), "const p: i64[4] = [2, 1, 0, 1]", 'Pad(x, p) {mode="edge"}', "y"),
    "d2s_dcr": ((1, 8, 2, 3), "", 'DepthToSpace(x) {blocksize=2, mode="DCR"}', "y"),
    "d2s_crd": ((1, 8, 2, 3), "", 'DepthToSpace(x) {blocksize=2, mode="CRD"}', "y"),
    "s2d": ((1, 2, 4, 6), "", "SpaceToDepth(x) {blocksize=2}", "y"),
    "gather": ((5, 4), "const i: i64[2,2] = [0, 3, -1, 2]", "Gather(x, i) {axis=0}", "y"),
    "gather_axis1": ((2, 5), "const i: i64[3] = [4, 0, 4]", "Gather(x, i) {axis=1}", "y"),
    "expand": ((3, 1), "const s: i64[3] = [2, 3, 4]", "Expand(x, s)", "y"),
    "tile": ((2, 3), "const r: i64[2] = [2, 3]", "Tile(x, r)", "y"),
}


def case_graph(case):
    shape, consts, call, outs = CASES[case]
    op, rest = call.split("(", 1)
    args, attrs = rest.split(")", 1)
    outputs = ", ".join(f"{o.strip()}: ?" for o in outs.split(","))
    g = parse_graph(f'''graph m opset 21 {{
      input x: f32[{",".join(map(str, shape))}]
      {consts}
      node n = {op}({args}) -> ({outputs}) {attrs.strip() or "{}"}
      {"".join(f"output {o.strip()} " for o in outs.split(","))}
    }}''')
    infer_graph(g)
    return g, [o.strip() for o in outs.split(",")]


def params(dtype, scale, zp):
    lo, _ = qrange(dtype)
    return QuantParams.per_tensor(dtype, scale, 0 if dtype == "int16" else
                                  zp + 128 if lo == 0 else zp)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=st.sampled_from(sorted(CASES)), dtype=st.sampled_from(["int8", "uint8", "int16"]),
       zp=st.integers(-60, 60), same=st.booleans(),
       s_out=st.sampled_from([0.1, 0.05, 0.2, 0.07]), rounding=st.sampled_from(ROUNDINGS),
       seed=st.integers(0, 999))
def test_fast_equals_reference(case, dtype, zp, same, s_out, rounding, seed):
    g, outs = case_graph(case)
    qx = params(dtype, 0.1, zp)
    g.values["x"].quant = qx
    for o in outs:
        g.values[o].quant = qx if same else params(dtype, s_out, zp // 3)
    lo, hi = qrange(dtype)
    codes = np.random.default_rng(seed).integers(lo, hi + 1, g.values["x"].shape)
    x = dequantize(codes, qx.scale, qx.zero_point)
    prog, fast, ref = run_both(g, {"x": x}, rounding)
    assert prog.records[1].kernel == "Move"
    want = FloatExecutor(g).run({"x": x})
    for o in outs:
        assert fast[o + "@q"].dtype == ref[o + "@q"].dtype
        np.testing.assert_array_equal(fast[o + "@q"], ref[o + "@q"])
        if same:   # moving codes is moving reals
            np.testing.assert_array_equal(fast[o], want[o])


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_op_moves_codes_exactly(case):
    g, outs = case_graph(case)
    qx = params("int8", 0.25, -7)
    for v in ["x"] + outs:
        g.values[v].quant = qx
    x = dequantize(np.random.default_rng(1).integers(-128, 128, g.values["x"].shape),
                   qx.scale, qx.zero_point)
    prog, fast, ref = run_both(g, {"x": x})
    assert prog.records[1].engine == "npu"
    want = FloatExecutor(g).run({"x": x})
    for o in outs:
        np.testing.assert_array_equal(fast[o], want[o])
        np.testing.assert_array_equal(ref[o + "@q"], fast[o + "@q"])


def concat_graph(const):
    c = "const c: f32[2,1] = [-9.0, 4.5]" if const else "input c: f32[2,1]"
    g = parse_graph(f'''graph c opset 21 {{
      input a: f32[2,3]
      input b: f32[2,2]
      {c}
      node n = Concat(a, b, c) -> (y: ?) {{axis=-1}}
      output y
    }}''')
    infer_graph(g)
    return g


@settings(max_examples=40, deadline=None, derandomize=True)
@given(const=st.booleans(), dtype=st.sampled_from(["int8", "uint8", "int16"]),
       rounding=st.sampled_from(ROUNDINGS), seed=st.integers(0, 999),
       scales=st.tuples(st.floats(0.1, 10), st.floats(0.1, 10), st.floats(0.1, 10)))
def test_concat_fast_equals_reference_and_float(const, dtype, rounding, seed, scales):
    g = concat_graph(const)
    rng = np.random.default_rng(seed)
    feeds = {n: (rng.standard_normal(g.values[n].shape) * s).astype(np.float32)
             for n, s in zip("abc", scales) if g.values[n].const is None}
    q = quantize_by_hand(g, feeds, dtype=dtype, symmetric=dtype == "int16")
    q.values["a"].quant = q.values["y"].quant       # one input already in output params
    prog, fast, ref = run_both(q, feeds, rounding)
    assert prog.records[-2].kernel == "Concat"
    assert prog.records[-2].attrs["rescale"][0] is None      # exact passthrough
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    xs = [dequantize(fast[n + "@q"], q.values[n].quant.scale, q.values[n].quant.zero_point)
          for n in feeds]
    want = np.concatenate(xs + ([g.values["c"].const] if const else []), axis=-1)
    qy = q.values["y"].quant
    step, zp = float(qy.scale[0]), int(qy.zero_point[0])
    want = np.clip(want, step * (qy.qmin - zp), step * (qy.qmax - zp))   # saturation
    assert np.max(np.abs(fast["y"] - want)) <= 0.51 * step


def test_concat_mixes_dtypes():
    """An int16 input and an int8 input joined into int8 output params."""
    g = concat_graph(const=False)
    g.values["a"].quant = QuantParams.per_tensor("int16", 2.0**-10, 0)
    g.values["b"].quant = QuantParams.per_tensor("int8", 0.05, 3)
    g.values["c"].quant = QuantParams.per_tensor("uint8", 0.02, 128)
    g.values["y"].quant = QuantParams.per_tensor("int8", 0.04, -2)
    rng = np.random.default_rng(3)
    feeds = {n: rng.uniform(-2, 2, g.values[n].shape).astype(np.float32) for n in "abc"}
    _, fast, ref = run_both(g, feeds, "half_to_even")
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    assert fast["y@q"].dtype == np.int8
    xs = [dequantize(fast[n + "@q"], g.values[n].quant.scale, g.values[n].quant.zero_point)
          for n in "abc"]
    assert np.max(np.abs(fast["y"] - np.concatenate(xs, axis=-1))) <= 0.02 + 1e-6
