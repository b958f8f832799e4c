"""examples/detection: the committed detector, run on 8 test images in float and int8
and decoded by npukit.postprocess, finds the true shapes, and int8 agrees with float."""

from tests.examples._load import example


def test_detection_example(capsys):
    run = example("detection")
    s = run.main(["--images", "8", "--calib", "8"])
    out = capsys.readouterr().out
    assert "int8 detections matching a float one" in out
    assert s.truths >= 15
    assert s.recall(s.float_hits) >= 0.85, out
    assert s.float_hits / max(s.float_dets, 1) >= 0.85, out      # precision
    assert s.recall(s.int8_hits) >= s.recall(s.float_hits) - 0.1, out
    assert s.agree >= 0.9 * max(s.int8_dets, s.float_dets), out  # IoU ≥ 0.5, same class
