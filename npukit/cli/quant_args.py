"""Arguments shared by the verbs that quantize (quantize, analyze, convert)."""

from __future__ import annotations

import argparse

from npukit.errors import NpukitError


def add_quant_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--calib", required=True, metavar="PATH",
                   help="calibration data: image folder, .npy/.npz, or a .txt list of paths")
    p.add_argument("--algo", default=None, choices=["minmax", "percentile", "kl", "mse"],
                   help="activation range algorithm (default: QuantConfig's, mse)")
    p.add_argument("--dtype", default="int8", choices=["int8", "uint8", "int16"],
                   help="activation type (default: int8)")
    p.add_argument("--weights", default="int8", choices=["int8", "int4"])
    p.add_argument("--weight-algo", default=None, choices=["minmax", "mse"],
                   help="per-channel weight range: min/max or MSE-searched clipping "
                   "(default: QuantConfig's, mse)")
    p.add_argument("--per-tensor", action="store_true",
                   help="one weight scale per tensor (some NPUs require it)")
    p.add_argument("--adaround", action="store_true",
                   help="AdaRound: learn each weight's rounding (up or down) from the layer "
                        "outputs on calibration samples (slower build)")
    p.add_argument("--adaround-samples", type=int, default=None, metavar="N",
                   help="AdaRound: calibration samples it fits on (default: QuantConfig's, 16)")
    p.add_argument("--adaround-iters", type=int, default=None, metavar="N",
                   help="AdaRound: optimisation steps per layer (default: QuantConfig's, 500)")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME:D0,D1,…",
                   help="fix a dynamic input shape (repeatable)")
    p.add_argument("--mean", default="0", help="per-channel mean in 0-255 units, e.g. 123,117,104")
    p.add_argument("--std", default="1", help="per-channel std in 0-255 units, e.g. 58,57,57")
    p.add_argument("--color", default="RGB", choices=["RGB", "BGR"])
    p.add_argument("--layout", default="NCHW", choices=["NCHW", "NHWC"])
    p.add_argument("--limit", type=int, default=None, help="use at most N calibration samples")
    p.add_argument("--mixed", metavar="auto|FILE",
                   help="mixed precision: an override file (TOML/YAML: node name or op type → "
                        "int8/uint8/int16/float/int4), or 'auto' (quantize only) to raise the "
                        "fewest layers until --budget-cosine / --budget-top1 holds")
    p.add_argument("--budget-cosine", type=float, help="auto mixed: output cosine to reach")
    p.add_argument("--budget-top1", type=float, help="auto mixed: top-1 agreement to reach")
    p.add_argument("--mixed-inputs", metavar="PATH",
                   help="auto mixed: inputs the budget is checked on (default: --calib; "
                        "held-out inputs give an honest budget)")


def _floats(text: str, flag: str) -> list[float] | float:
    try:
        vals = [float(v) for v in text.split(",")]
    except ValueError:
        raise NpukitError(f"{flag} {text!r} is not a comma-separated list of numbers") from None
    return vals[0] if len(vals) == 1 else vals


def _adaround_fields(args: argparse.Namespace) -> dict:
    given = {f: getattr(args, f) for f in ("adaround_samples", "adaround_iters")
             if getattr(args, f) is not None}
    if given and not args.adaround:
        flag = "--" + next(iter(given)).replace("_", "-")
        raise NpukitError(f"{flag} tunes AdaRound, which is off", hint="add --adaround")
    return {"adaround": args.adaround, **given}


def quant_setup(args: argparse.Namespace, rounding: str = "half_away_from_zero"):  # noqa: ANN201
    """(model graph, QuantConfig, CalibConfig) from parsed arguments."""
    from npukit.api import load
    from npukit.cli.common import parse_input_shapes
    from npukit.quant.calib_data import CalibConfig
    from npukit.quant.config import QuantConfig
    model = load(args.model, input_shapes=parse_input_shapes(args.input_shape))
    cfg = QuantConfig(activations=args.dtype, weights=args.weights,
                      algo=args.algo or QuantConfig.algo,
                      weight_algo=args.weight_algo or QuantConfig.weight_algo,
                      per_channel=not args.per_tensor,
                      rounding=rounding, **_adaround_fields(args))
    ccfg = CalibConfig(mean=_floats(args.mean, "--mean"), std=_floats(args.std, "--std"),
                       color=args.color, layout=args.layout, limit=args.limit)
    if args.mixed and args.mixed != "auto":
        from npukit.quant.mixed import with_overrides
        cfg = with_overrides(cfg, args.mixed)
    return model, cfg, ccfg


def auto_mixed_from_args(qm: object, args: argparse.Namespace, ccfg: object) -> object:
    """``--mixed auto``: raise layers until ``--budget-*`` holds on ``--mixed-inputs``
    (default: the calibration data), printing what changed (quantize and convert)."""
    from npukit.errors import NpukitError
    from npukit.quant.calib_data import CalibrationSource
    from npukit.quant.config import Budget
    from npukit.quant.mixed import auto_mixed
    if args.budget_cosine is None and args.budget_top1 is None:
        raise NpukitError("--mixed auto needs a budget",
                          hint="for example --budget-cosine 0.999 or --budget-top1 0.99")
    inputs = list(CalibrationSource(args.mixed_inputs or args.calib,
                                    qm.float_graph, ccfg))  # type: ignore[attr-defined]
    qm, report = auto_mixed(qm, inputs, Budget(args.budget_cosine, args.budget_top1))
    if not args.json:
        print(f"auto mixed precision: raised {len(report.changed)} layer(s) to reach "
              f"{report.reached} (from {report.start}):")
        for node, prec in report.changed.items():
            print(f"  {node}: {prec}")
    return qm
