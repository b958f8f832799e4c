"""Time per layer, coloured by what bounds it: self-contained HTML (inline SVG) or PNG.

One bar per layer that takes time, in execution order; one panel per report
(``--compare`` draws several targets of one model).  PNG needs matplotlib.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Sequence

from npukit.cost.params import CostError
from npukit.cost.report import PerfReport

COLOURS = {"compute": "#3b75af", "memory": "#d9534f", "overhead": "#f0ad4e",
           "cpu": "#5cb85c", "transfer": "#8e6bb8"}
WIDTH, PANEL_H, TOP = 960, 180, 30


def _bars(rep: PerfReport) -> list[tuple[str, str, float]]:
    bars = [(r.node, r.bound, r.time_us) for r in rep.rows if r.time_us > 0]
    bars += [(f"⇄ {b.value}", "transfer", b.time_us) for b in rep.boundaries]
    return bars


def _panel(rep: PerfReport, y0: float) -> list[str]:
    bars = _bars(rep)
    peak = max((b[2] for b in bars), default=1.0) or 1.0
    w = (WIDTH - 60) / max(len(bars), 1)
    out = [f'<text x="50" y="{y0 - 8:.0f}" font-size="13">{escape(rep.model)} on '
           f'{escape(rep.target)}: {rep.totals["inference_ms"]:.3f} ms '
           f'({rep.totals["fps"]:.1f} FPS)</text>',
           f'<text x="4" y="{y0 + 10:.0f}" font-size="10">{peak:.0f} µs</text>']
    for i, (name, bound, us) in enumerate(bars):
        h = (PANEL_H - 20) * us / peak
        x, y = 50 + i * w, y0 + PANEL_H - 20 - h
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w - 1, 0.5):.1f}" '
                   f'height="{h:.1f}" fill="{COLOURS.get(bound, "#999")}"><title>'
                   f'{escape(name)}: {us:.1f} µs, {bound}</title></rect>')
    return out


def svg(reports: Sequence[PerfReport]) -> str:
    """An SVG of one panel per report, with a legend."""
    height = TOP + len(reports) * (PANEL_H + TOP) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             'font-family="sans-serif">']
    for k, (bound, colour) in enumerate(COLOURS.items()):
        parts.append(f'<rect x="{50 + 110 * k}" y="6" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{66 + 110 * k}" y="16" font-size="12">{bound}-bound</text>')
    for i, rep in enumerate(reports):
        parts.extend(_panel(rep, TOP + 20 + i * (PANEL_H + TOP)))
    parts.append("</svg>")
    return "\n".join(parts)


def html(reports: Sequence[PerfReport]) -> str:
    """A self-contained HTML page around :func:`svg` (hover a bar for its layer)."""
    title = escape(", ".join(f"{r.model} on {r.target}" for r in reports))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>npukit perf: {title}"
            f"</title></head><body><h3>Time per layer (hover for the layer)</h3>"
            f"{svg(reports)}</body></html>\n")


def write_chart(reports: Sequence[PerfReport], path: str | Path) -> Path:
    """Write ``.html`` (inline SVG), ``.svg`` or ``.png`` (matplotlib) by the suffix."""
    p = Path(path)
    if p.suffix.lower() in (".html", ".htm"):
        p.write_text(html(reports), encoding="utf-8")
    elif p.suffix.lower() == ".svg":
        p.write_text(svg(reports), encoding="utf-8")
    elif p.suffix.lower() == ".png":
        _png(reports, p)
    else:
        raise CostError(f"chart {str(p)!r}: unknown format {p.suffix!r}",
                        hint="use a .html, .svg or .png file name")
    return p


def _png(reports: Sequence[PerfReport], p: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CostError("a .png chart needs matplotlib", hint="pip install matplotlib, "
                        "or write an .html chart") from None
    fig, axes = plt.subplots(len(reports), 1, figsize=(12, 2.6 * len(reports)), squeeze=False)
    for ax, rep in zip(axes[:, 0], reports):
        bars = _bars(rep)
        ax.bar(range(len(bars)), [b[2] for b in bars],
               color=[COLOURS.get(b[1], "#999") for b in bars], width=1.0)
        ax.set_title(f"{rep.model} on {rep.target}: {rep.totals['inference_ms']:.3f} ms")
        ax.set_ylabel("µs")
    fig.tight_layout()
    fig.savefig(p)
    plt.close(fig)
