"""examples/segmentation: the committed segmenter on 8 test images — mean IoU against
the true masks, and int8 against float."""

from tests.examples._load import example


def test_segmentation_example(capsys):
    run = example("segmentation")
    s = run.main(["--images", "8", "--calib", "8"])
    out = capsys.readouterr().out
    assert "mean IoU" in out
    assert s.float_miou >= 0.7, out
    assert s.int8_miou >= s.float_miou - 0.05, out
    assert s.agreement_miou >= 0.9, out
