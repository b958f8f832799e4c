"""A lowered Program (hand-built: Quantize → Conv → Dequantize) as cost layers."""

from __future__ import annotations

from costkit import small_program

from npukit.cost import estimate, program_layers


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
