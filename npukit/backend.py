"""ONNX backend adapter: npukit's float executor behind ``onnx.backend.base.Backend``.

This is what lets the official ONNX backend test suite (``onnx.backend.test``)
run against npukit: ``prepare`` imports the model with the normal ONNX
frontend (opset up-conversion, shape inference, op/version checks) and the
returned rep runs it with :class:`npukit.sim.FloatExecutor`.

    >>> from npukit.backend import NpukitBackend
    >>> rep = NpukitBackend.prepare(onnx.load("model.onnx"))
    >>> outputs = rep.run([x])
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import onnx
from onnx import helper
from onnx.backend.base import Backend, BackendRep, Device, DeviceType, namedtupledict

from npukit.errors import InputError
from npukit.frontends.onnx import CANONICAL_OPSET, import_model
from npukit.ir import Graph
from npukit.sim import FloatExecutor


class NpukitRep(BackendRep):
    """A prepared model: the imported IR graph and its float executor."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.executor = FloatExecutor(graph)

    def run(self, inputs: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Run on ``inputs``: a mapping by name, a list in graph-input order, or one array."""
        out = self.executor.run(self._feeds(inputs))
        names = self.graph.outputs
        return namedtupledict("Outputs", names)(*[np.asarray(out[o]) for o in names])

    def _feeds(self, inputs: Any) -> dict[str, np.ndarray]:
        if isinstance(inputs, Mapping):
            return dict(inputs)
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        inputs = list(inputs)
        names = self.graph.inputs
        if len(inputs) > len(names):
            raise InputError(f"model {self.graph.name!r} takes {len(names)} input(s) "
                             f"{names}, {len(inputs)} were given")
        return dict(zip(names, inputs))


class NpukitBackend(Backend):
    """ONNX backend running models on npukit's NumPy float executor (CPU only)."""

    @classmethod
    def is_compatible(cls, model: onnx.ModelProto, device: str = "CPU",
                      **kwargs: Any) -> bool:
        return cls.supports_device(device)

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU",
                **kwargs: Any) -> NpukitRep:
        """Import ``model`` (a ModelProto, or serialized bytes) into npukit's IR."""
        if isinstance(model, (bytes, bytearray)):
            model = onnx.load_model_from_string(bytes(model))
        if not cls.supports_device(device):
            raise InputError(f"npukit's ONNX backend runs on CPU only, not {device!r}")
        return NpukitRep(import_model(model))

    @classmethod
    def run_model(cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU",
                  **kwargs: Any) -> tuple[Any, ...]:
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node: onnx.NodeProto, inputs: Any, device: str = "CPU",
                 outputs_info: Sequence[tuple[np.dtype, tuple[int, ...]]] | None = None,
                 **kwargs: Any) -> tuple[Any, ...]:
        """Run one node: wrap it in a one-node model (opset ``opset_version``, default
        the canonical import opset) whose inputs are the given arrays."""
        opset = int(kwargs.get("opset_version", CANONICAL_OPSET))
        model = node_to_model(node, list(inputs), outputs_info, opset)
        return cls.prepare(model, device).run(
            [np.asarray(a) for n, a in zip(node.input, inputs) if n])

    @classmethod
    def supports_device(cls, device: str) -> bool:
        try:
            return Device(device).type == DeviceType.CPU
        except (AttributeError, ValueError):
            return False


def node_to_model(node: onnx.NodeProto, inputs: Sequence[Any],
                  outputs_info: Sequence[tuple[np.dtype, tuple[int, ...]]] | None,
                  opset: int) -> onnx.ModelProto:
    """A one-node model whose graph inputs are ``node``'s named inputs."""
    g_in = [helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(
        np.asarray(a).dtype), list(np.asarray(a).shape))
        for name, a in zip(node.input, inputs) if name]
    if outputs_info:
        g_out = [helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(
            np.dtype(dt)), list(shape)) for name, (dt, shape) in zip(node.output, outputs_info)]
    else:
        g_out = [helper.make_empty_tensor_value_info(name) for name in node.output if name]
    graph = helper.make_graph([node], "run_node", g_in, g_out)
    domain = node.domain if node.domain not in ("", "ai.onnx") else ""
    opsets = [helper.make_opsetid("", opset)]
    if domain:
        opsets.append(helper.make_opsetid(domain, 1))
    return helper.make_model(graph, opset_imports=opsets)


prepare = NpukitBackend.prepare
run_model = NpukitBackend.run_model
run_node = NpukitBackend.run_node
supports_device = NpukitBackend.supports_device

__all__ = ["NpukitBackend", "NpukitRep", "node_to_model", "prepare", "run_model", "run_node",
           "supports_device"]
