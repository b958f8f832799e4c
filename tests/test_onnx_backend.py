"""The official ONNX backend test suite (shipped in the onnx wheel) run through
npukit's backend adapter (:mod:`npukit.backend`).

Kinds covered: ``node`` (generated in memory from ``onnx.backend.test.case``),
``simple``, ``pytorch-converted``, ``pytorch-operator`` and ``light`` (the
shrunken zoo models in ``data/light``, fed the runner's deterministic dummy
input and compared with the stored reference output).  The ``real`` kind is
excluded: its cases are downloads of the full zoo models — in this onnx
release every ``real`` case points at a ``light`` file, which is run as
``light`` instead; any case with a remote URL is left out (no network in CI).

Classification is automatic and honest:

* a model using an op npukit does not register (``npukit.ops.has_op``) is an
  expected failure "npukit does not implement <op>";
* a registered op whose ONNX since-version at the model's opset is not one the
  op declares (``Op.versions``) is "npukit does not implement <op>-<version>";
* a model older than opset 7 is refused by the importer
  (``frontends/onnx/importer.py``, ``_default_opset``): "npukit imports opset 7
  and newer only";
* ``KNOWN_FAILURES`` below lists every other known failure of a claimed op,
  with a one-line reason;
* everything else must pass.  Expected failures are strict: a test that starts
  passing fails the run until its entry is removed.

``tools/backend_status.py`` runs the same cases and writes
``docs/onnx-backend-status.md``.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import onnx
import pytest
from onnx import numpy_helper, version_converter
from onnx.backend.test.loader import DATA_DIR, load_model_tests
from onnx.backend.test.runner import Runner

from npukit.backend import NpukitBackend
from npukit.errors import InputError
from npukit.frontends.onnx import CANONICAL_OPSET
from npukit.ops import get_op, has_op

KINDS = ("node", "simple", "pytorch-converted", "pytorch-operator", "light")
IMPORTER_OPS = {("", "Constant")}  # folded into constants by the importer, not an Op
MIN_OPSET = 1  # the importer lifts every opset to 21 (importer._default_opset)

# Known failures of ops npukit claims: (regex on the test name, one-line reason).
_NARROW = r"(BFLOAT16|FLOAT8E4M3FN(UZ)?|FLOAT8E5M2(FNUZ)?|FLOAT8E8M0|FLOAT4E2M1|U?INT4|U?INT2)"
_NO_DTYPE = "npukit does not carry bfloat16 / float8 / float4 / int4 / int2 tensors"
KNOWN_FAILURES: list[tuple[str, str]] = [
    (rf"^test_cast_(no_saturate_|e8m0_)?(FLOAT|FLOAT16)_to_{_NARROW}$", _NO_DTYPE),
    (rf"^test_castlike_(no_saturate_)?(FLOAT|FLOAT16)_to_{_NARROW}_expanded$", _NO_DTYPE),
    (r"^test_attention_\w+_bf16_expanded$", _NO_DTYPE),
    (r"^test_castlike_(FLOAT|FLOAT16)_to_FLOAT8(E4M3FN(UZ)?|E5M2(FNUZ)?)$",
     "CastLike to float8 ignores saturate=1 (clamp to the largest finite value)"),
    (r"^test_training_dropout(_default)?(_mask)?$",
     "Dropout training_mode=1 with ratio > 0 (random masks) is not implemented"),
    (r"^test_identity_(sequence|opt)$", "npukit carries tensors only, not sequence/optional"),
    (r"^test_PReLU_\dd_multiparam$",
     "opset-6 PRelu with a per-channel slope is refused (its broadcasting changed in opset 7)"),
    (r"^test_attention_4d_causal_fp16_expanded$",
     "float16 rounding order: 2-ulp (1.2e-3 relative) differences, rtol is 1e-3"),
    (r"^test_resize_downsample_scales_(linear|cubic)_align_corners$",
     "the reference maps align_corners through the unrounded length in·scale; npukit and "
     "ORT use the integer output size"),
]


@dataclass
class Case:
    kind: str
    name: str
    rtol: float
    atol: float
    model: onnx.ModelProto
    data_sets: list[tuple[list[Any], list[Any]]] | None = None   # None: read from dir
    model_dir: str | None = None
    light_output: str | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"


# ---- loading ------------------------------------------------------------------
def load_cases(kinds: tuple[str, ...] = KINDS) -> list[Case]:
    cases: list[Case] = []
    for kind in kinds:
        if kind == "node":
            cases += [Case("node", t.name, t.rtol, t.atol, t.model, list(t.data_sets or []))
                      for t in load_model_tests(kind="node")]
        elif kind == "light":
            cases += _light_cases()
        else:
            for t in sorted(load_model_tests(kind=kind), key=lambda t: t.name):
                path = os.path.join(t.model_dir or "", "model.onnx")
                cases.append(Case(kind, t.name, t.rtol, t.atol, onnx.load(path),
                                  model_dir=t.model_dir))
    for c in cases:
        c.reasons = classify(c)
    return cases


def _light_cases() -> list[Case]:
    out = []
    for t in sorted(load_model_tests(kind="real"), key=lambda t: t.name):
        url = t.url or ""
        if not url.startswith("onnx/backend/test/data/light/"):
            continue  # a remote model: needs a download, excluded (see module docstring)
        path = os.path.join(DATA_DIR, "light", os.path.basename(url))
        expected = path[:-len(".onnx")] + "_output_0.pb"
        out.append(Case("light", t.name, t.rtol, t.atol, onnx.load(path),
                        light_output=expected))
    return out


def _data_sets(case: Case) -> Iterator[tuple[list[Any], list[Any]]]:
    if case.data_sets is not None:
        yield from case.data_sets
    elif case.light_output is not None:
        inits = {i.name for i in case.model.graph.initializer}
        feeds = [Runner.generate_dummy_data(x, seed=0, name=case.name, random=False)
                 for x in case.model.graph.input if x.name not in inits]
        yield feeds, [_read_pb(case.light_output, case.model.graph.output[0].type)]
    else:
        g = case.model.graph
        for d in sorted(glob.glob(os.path.join(case.model_dir or "", "test_data_set*"))):
            n_in = len(glob.glob(os.path.join(d, "input_*.pb")))
            n_out = len(glob.glob(os.path.join(d, "output_*.pb")))
            yield ([_read_pb(os.path.join(d, f"input_{i}.pb"), g.input[i].type)
                    for i in range(n_in)],
                   [_read_pb(os.path.join(d, f"output_{i}.pb"), g.output[i].type)
                    for i in range(n_out)])


def _read_pb(path: str, tp: onnx.TypeProto) -> Any:
    with open(path, "rb") as f:
        data = f.read()
    if tp.HasField("sequence_type"):
        seq = onnx.SequenceProto()
        seq.ParseFromString(data)
        return numpy_helper.to_list(seq)
    if tp.HasField("optional_type"):
        opt = onnx.OptionalProto()
        opt.ParseFromString(data)
        return numpy_helper.to_optional(opt)
    t = onnx.TensorProto()
    t.ParseFromString(data)
    return numpy_helper.to_array(t)


# ---- classification -------------------------------------------------------------
def _nodes(graph: onnx.GraphProto) -> Iterator[onnx.NodeProto]:
    for n in graph.node:
        yield n
        for a in n.attribute:
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                yield from _nodes(g)


def _as_imported(model: onnx.ModelProto, opset: int) -> onnx.ModelProto:
    """The model as the importer sees it: lifted to the canonical opset (which can
    replace ops, e.g. Upsample → Resize) when the importer would lift it."""
    if not MIN_OPSET <= opset < CANONICAL_OPSET:
        return model
    try:
        return version_converter.convert_version(model, CANONICAL_OPSET)
    except Exception:  # the importer fails the same way; the test then shows it
        return model


def classify(case: Case) -> list[str]:
    """Why ``case`` is expected to fail ([] = it must pass)."""
    opset = max([i.version for i in case.model.opset_import if i.domain in ("", "ai.onnx")]
                + [0])
    missing: list[str] = []
    versions: list[str] = []
    for n in _nodes(_as_imported(case.model, opset).graph):
        domain = "" if n.domain == "ai.onnx" else n.domain
        label = f"{domain}::{n.op_type}" if domain else n.op_type
        if (domain, n.op_type) in IMPORTER_OPS:
            continue
        if not has_op(n.op_type, domain):
            if label not in missing:
                missing.append(label)
            continue
        if domain:
            continue
        try:
            since = onnx.defs.get_schema(n.op_type, max(opset, CANONICAL_OPSET)).since_version
        except onnx.defs.SchemaError:
            continue
        if since not in get_op(n.op_type).versions and f"{label}-{since}" not in versions:
            versions.append(f"{label}-{since}")
    if missing or versions:
        return [f"npukit does not implement {', '.join(sorted(missing + versions))}"]
    if opset < MIN_OPSET:
        return [f"npukit imports opset {MIN_OPSET} and newer only"]
    return [reason for pattern, reason in KNOWN_FAILURES if re.search(pattern, case.name)]


# ---- running --------------------------------------------------------------------
def run_case(case: Case) -> None:
    """Prepare through the adapter and compare every data set like the official runner."""
    rep = NpukitBackend.prepare(case.model, "CPU")
    for inputs, expected in _data_sets(case):
        ins = [numpy_helper.to_array(i) if isinstance(i, onnx.TensorProto) else i
               for i in inputs]
        ref = [numpy_helper.to_array(o) if isinstance(o, onnx.TensorProto) else o
               for o in expected]
        outs = list(rep.run(ins))
        Runner.assert_similar_outputs(ref, outs, rtol=case.rtol, atol=case.atol,
                                      model_dir=case.id)


def _params() -> list[Any]:
    params = []
    for c in load_cases():
        marks = [pytest.mark.xfail(reason="; ".join(c.reasons), strict=True)] \
            if c.reasons else []
        params.append(pytest.param(c, id=c.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_onnx_backend(case: Case) -> None:
    with np.errstate(all="ignore"):
        run_case(case)


def test_adapter_run_node_and_devices() -> None:
    node = onnx.helper.make_node("Relu", ["x"], ["y"])
    x = np.array([[-1.0, 2.0]], np.float32)
    (y,) = NpukitBackend.run_node(node, [x])
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert NpukitBackend.supports_device("CPU")
    assert not NpukitBackend.supports_device("CUDA")
    model = onnx.helper.make_model(onnx.helper.make_graph(
        [node], "g", [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 2])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 2])]))
    rep = NpukitBackend.prepare(model.SerializeToString())
    np.testing.assert_array_equal(rep.run({"x": x})["y"], np.maximum(x, 0))
    with pytest.raises(InputError):
        NpukitBackend.prepare(model, "CUDA")

