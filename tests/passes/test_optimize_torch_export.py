"""O3 on a PyTorch export: the patterns the TorchScript exporter writes all optimise away.

Conv+BN (unfolded: ``do_constant_folding=False``), ReLU6 as Clip, hard-swish
as ``x · HardSigmoid(x)`` (opset 13), SiLU as ``x · Sigmoid(x)``, Dropout,
``view(size(0), -1)`` as a Shape/Constant/Concat chain, Linear+BatchNorm1d,
``matmul + bias``; with a static and with a dynamic batch.  The legacy
TorchScript exporter is used on purpose: it writes these patterns unfused.
"""

import io

import numpy as np
import onnx
import pytest
from ortcheck import ort_run

from npukit.frontends.onnx import export_model, import_model
from npukit.passes import optimize

torch = pytest.importorskip("torch")
nn = torch.nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.c2, self.b2 = nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8)
        self.c3, self.b3 = nn.Conv2d(8, 16, 1), nn.BatchNorm2d(16)
        self.fc, self.bn = nn.Linear(16 * 4 * 4, 10), nn.BatchNorm1d(10)
        self.w, self.bias = nn.Parameter(torch.randn(10, 5)), nn.Parameter(torch.randn(5))

    def forward(self, x):
        x = nn.functional.relu6(self.b1(self.c1(x)))
        x = nn.functional.hardswish(self.b2(self.c2(x)))
        x = nn.functional.max_pool2d(nn.functional.silu(self.b3(self.c3(x))), 2)
        x = x.view(x.size(0), -1)
        x = nn.functional.dropout(torch.relu(self.bn(self.fc(x))), 0.3, self.training)
        return torch.matmul(x, self.w) + self.bias


def _export(dynamic: bool) -> onnx.ModelProto:
    torch.manual_seed(0)
    net = Net().eval()
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    buf = io.BytesIO()
    axes = {"x": {0: "N"}, "y": {0: "N"}} if dynamic else None
    with torch.no_grad():
        torch.onnx.export(net, torch.randn(2, 3, 8, 8), buf, opset_version=13, dynamo=False,
                          do_constant_folding=False, input_names=["x"], output_names=["y"],
                          dynamic_axes=axes)
    return onnx.load_from_string(buf.getvalue())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # legacy exporter, see above
@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic-batch"])
def test_o3_on_a_torch_export(dynamic):
    model = _export(dynamic)
    g = import_model(model, name="net")
    opt, report = optimize(g, level="O3")
    ops = report.ops_after
    assert {"Conv": 3, "Gemm": 2, "MaxPool": 1, "Reshape": 1, "Swish": 1} == {
        k: v for k, v in ops.items() if k not in ("Shape", "Gather", "Unsqueeze", "Concat")}
    assert [n.attr("activation") for n in opt if n.op_type == "Conv"] == [
        "Clip", "HardSwish", None]
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(ort_run(export_model(opt), {"x": x})[0],
                               ort_run(model, {"x": x})[0], rtol=1e-4, atol=1e-5)
