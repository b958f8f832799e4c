"""A lowered Program (hand-built: Quantize → Conv → Dequantize) as cost layers."""

from __future__ import annotations

import numpy as np
from costkit import small_program, toy_profile

from npukit.cost import estimate, program_layers
from npukit.cost.from_graph import graph_layers


def test_records_become_layers():
    conv, = [x for x in program_layers(small_program()) if x.engine == "npu"]
    assert conv.kind == "conv" and conv.user_name == "user_conv"
    assert conv.macs == 16 * 16 * 8 * 9
    assert conv.weight_bytes == 16 * 8 * 9 + 3 * 16 * 4
    assert conv.geom.cin == 8 and conv.geom.cout == 16 and conv.geom.out_pixels == 16
    q, _, dq = program_layers(small_program())
    assert q.kind == dq.kind == "convert" and q.io and dq.io


def test_program_estimate_names_user_nodes(toy):
    rep = estimate(small_program(), toy)
    assert [r.node for r in rep.rows] == ["x@q", "user_conv", "y@dq"]
    assert rep.totals["io_ms"] > 0 and rep.totals["inference_ms"] < rep.totals["latency_ms"]
    # activation peak at the last step: y@q (256 B int8) + y (1024 B float)
    assert rep.memory["activation_bytes"] == 256 + 1024


def test_conv_transpose_record_is_a_conv_layer_with_the_ops_mac_count():
    """An integer ConvTranspose record costs as a conv: every input pixel × kernel
    (the op's own count, as the graph path uses), not 0 MACs as elementwise."""
    from npukit.ir import parse_graph
    from npukit.ops import infer_graph
    from npukit.quant.quantizer import quantize
    g = parse_graph('''graph d opset 21 {
      input x: f32[1,4,5,5]
      const w: f32[4,3,3,3] = randn
      node up = ConvTranspose(x, w) -> (y: ?) {strides=[2, 2], pads=[1, 1, 1, 1]}
      output y
    }''')
    infer_graph(g)
    x = np.random.default_rng(0).standard_normal((4, 1, 4, 5, 5)).astype(np.float32)
    qm = quantize(g, [{"x": v} for v in x], show_progress=False)
    up, = [la for la in program_layers(qm.program) if la.engine == "npu"]
    assert up.kind == "conv" and up.op == "ConvTranspose"
    assert up.macs == 4 * 5 * 5 * 3 * 3 * 3
    graph_up, = [la for la in graph_layers(qm.float_graph, toy_profile()) if la.op ==
                 "ConvTranspose"]
    assert graph_up.macs == up.macs
