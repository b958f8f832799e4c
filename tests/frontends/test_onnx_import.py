"""ONNX import: opsets, names, shapes, external data and every bad-input case."""

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper
from ortcheck import assert_matches_ort

from npukit.errors import ModelLoadError, ShapeError, UnsupportedOpError
from npukit.frontends.onnx import CANONICAL_OPSET, import_model


def conv_relu_model(opset: int = 13, dims=(1, 3, 8, 8), name_nodes: bool = True):
    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((4, 3, 3, 3))
                                .astype(np.float32), "conv.weight")
    nodes = [helper.make_node("Conv", ["data", "conv.weight"], ["c"], name="conv1" if
                              name_nodes else "", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["prob"], name="relu1" if name_nodes else "")]
    g = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("data", 1, list(dims))],
                          [helper.make_tensor_value_info("prob", 1, None)], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


@pytest.mark.parametrize("opset", [6, 7, 9, 11, 13, 17, CANONICAL_OPSET, 22])
def test_opsets_import_and_run(opset):
    m = conv_relu_model(opset)
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    g = assert_matches_ort(m, {"data": x}, rtol=1e-4, atol=1e-5)
    assert g.opset == max(opset, CANONICAL_OPSET)


def test_user_names_are_kept_and_nameless_nodes_named():
    g = import_model(conv_relu_model())
    assert [n.name for n in g.nodes] == ["conv1", "relu1"]
    assert g.inputs == ["data"] and g.outputs == ["prob"] and "conv.weight" in g.values
    g2 = import_model(conv_relu_model(name_nodes=False))
    assert [n.name for n in g2.nodes] == ["Conv_0", "Relu_1"]


def test_dynamic_dims_import_and_can_be_fixed():
    m = conv_relu_model(dims=("N", 3, "H", "W"))
    g = import_model(m)
    assert g.values["data"].shape == ("N", 3, "H", "W")
    g = import_model(m, input_shapes={"data": [2, 3, 16, 16]})
    assert g.values["prob"].shape == (2, 4, 16, 16)


def test_input_shape_errors_name_the_input():
    m = conv_relu_model()
    with pytest.raises(ShapeError, match=r"inputs are \['data'\]"):
        import_model(m, input_shapes={"image": [1, 3, 8, 8]})
    with pytest.raises(ShapeError, match="rank 4"):
        import_model(m, input_shapes={"data": [1, 3, 8]})
    with pytest.raises(ShapeError, match="dim 2 is fixed at 8"):
        import_model(m, input_shapes={"data": [1, 3, 9, 8]})


def test_not_onnx_and_truncated_files(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a model\x00\xff" * 10)
    with pytest.raises(ModelLoadError, match="junk.onnx"):
        import_model(junk)
    good = tmp_path / "m.onnx"
    onnx.save(conv_relu_model(), good)
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ModelLoadError, match="cut.onnx"):
        import_model(cut)
    with pytest.raises(ModelLoadError, match="does not exist"):
        import_model(tmp_path / "missing.onnx")
    with pytest.raises(ModelLoadError, match="folder"):
        import_model(tmp_path)


def test_unsupported_op_names_op_node_and_opset():
    m = conv_relu_model()
    m.graph.node.append(helper.make_node("Det", ["prob"], ["d"], name="the_det"))
    with pytest.raises(UnsupportedOpError) as e:
        import_model(m)
    msg = str(e.value)
    assert "'Det'" in msg and "'the_det'" in msg and "opset" in msg


def test_unknown_domain_is_unsupported():
    m = conv_relu_model()
    m.graph.node.append(helper.make_node("Foo", ["prob"], ["d"], name="custom", domain="acme"))
    m.opset_import.append(helper.make_opsetid("acme", 1))
    with pytest.raises(UnsupportedOpError, match="'Foo'.*'custom'"):
        import_model(m)


def test_old_prelu_per_channel_slope_is_refused():
    g = helper.make_graph([helper.make_node("PRelu", ["x", "s"], ["y"], name="pr")], "g",
                          [helper.make_tensor_value_info("x", 1, [1, 3, 4, 4])],
                          [helper.make_tensor_value_info("y", 1, None)],
                          [numpy_helper.from_array(np.ones(3, np.float32), "s")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 6)])
    m.ir_version = 3
    with pytest.raises(UnsupportedOpError, match="'pr'.*broadcasting rule changed"):
        import_model(m)


def test_future_opset_is_refused():
    m = conv_relu_model()
    m.opset_import[0].version = onnx.defs.onnx_opset_version() + 1
    with pytest.raises(UnsupportedOpError, match="upgrade the onnx package"):
        import_model(m)


def test_external_data_loads(tmp_path):
    m = conv_relu_model()
    want = numpy_helper.to_array(m.graph.initializer[0]).copy()
    path = tmp_path / "ext.onnx"
    onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.weights", size_threshold=0)
    assert (tmp_path / "ext.weights").exists()
    g = import_model(path)
    np.testing.assert_array_equal(g.const("conv.weight"), want)
    (tmp_path / "ext.weights").unlink()
    with pytest.raises(ModelLoadError, match="external weight data"):
        import_model(path)
