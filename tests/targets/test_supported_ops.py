"""docs/supported-ops.md is what tools/gen_supported_ops.py makes from the registry now."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from npukit.targets import load_target
from npukit.targets.supported_ops import render, supported_ops_markdown

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "supported-ops.md"


def test_committed_doc_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == supported_ops_markdown(), (
        "docs/supported-ops.md is out of date: run python tools/gen_supported_ops.py")


def test_generator_check_mode(tmp_path):
    spec = importlib.util.spec_from_file_location("gen", ROOT / "tools" / "gen_supported_ops.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    out = tmp_path / "ops.md"
    assert gen.main(["--check", "-o", str(out)]) == 1
    assert gen.main(["-o", str(out)]) == 0
    assert gen.main(["--check", "-o", str(out)]) == 0


def test_render_reads_profiles_and_constraints():
    rk, nv = load_target("rk3588"), load_target("nvdla-small")
    text = render(["Conv", "TopK", "Transpose", "Softmax", "acme::Magic"], [rk, nv])
    assert "| `TopK` | CPU | in `ops.unsupported` |" in text
    assert "| `Transpose` | NPU | H×W ≤ 8192 |" in text
    assert "| `Softmax` | CPU | not in `ops.supported` |" in text  # nvdla allow-list
    assert "kernel ≤ 31" in text and "`constraint_kernel_size`" in text
    assert "custom domain `acme`" in text
    assert "`GatherND`" in text  # profile-listed, not yet implemented by npukit
