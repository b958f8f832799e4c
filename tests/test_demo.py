"""The demo pipeline on a reduced held-out set: real numbers, int8 within 1 point of float."""

import json

from npukit.analysis.demo import run_demo


def test_demo_pipeline_reduced(tmp_path):
    lines: list[str] = []
    assert run_demo(out=str(tmp_path), echo=lines.append, heldout=200) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["float_accuracy"] > 0.9
    assert abs(s["int8_accuracy"] - s["float_accuracy"]) <= 0.01
    assert s["top1_agreement"] >= 0.98 and s["output_cosine"] > 0.999
    assert (tmp_path / "accuracy.html").exists()
    text = "\n".join(lines)
    assert "per-layer accuracy" in text and "placement" in text
    # the --mixed auto step met its budget, raised something, and kept the accuracy
    m = s["mixed"]
    assert m is not None and m["changed"] and m["reached"]["cosine"] >= 0.99999
    assert m["accuracy"] >= s["int8_accuracy"] - 0.01
    assert "mixed precision: --mixed auto" in text
