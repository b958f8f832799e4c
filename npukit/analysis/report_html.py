"""A self-contained HTML accuracy report: per-layer error plot (inline SVG) and table."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

W, H, PAD = 900, 260, 40


def _err(cos: float) -> float:
    """Plot 1 − cosine on a log scale (1e-7 … 1)."""
    return max(1.0 - cos, 1e-7)


def _svg(rows: list[dict[str, Any]]) -> str:
    n = max(len(rows), 1)
    step = (W - 2 * PAD) / n

    def y(v: float) -> float:
        return PAD + (H - 2 * PAD) * (-math.log10(v) / 7.0)   # 1 at the top, 1e-7 at the axis

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
             'font-family="sans-serif" font-size="10">']
    for k in range(0, 8):
        yy = y(10.0 ** -k)
        parts.append(f'<line x1="{PAD}" x2="{W - PAD}" y1="{yy:.1f}" y2="{yy:.1f}" '
                     'stroke="#ddd"/><text x="2" y="{:.1f}">1e-{}</text>'.format(yy + 3, k))
    for kind, color, dx in (("accumulated", "#d62728", 0.15), ("single", "#1f77b4", 0.55)):
        for i, r in enumerate(rows):
            v = _err(r[kind]["cosine"])
            x = PAD + (i + dx) * step
            top = y(v)
            parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{step * 0.35:.1f}" '
                         f'height="{max(H - PAD - top, 0.5):.1f}" fill="{color}">'
                         f'<title>{html.escape(r["node"])} {kind}: 1−cos = {v:.2e}</title>'
                         '</rect>')
    parts.append(f'<text x="{PAD}" y="14">1 − cosine per layer (log): '
                 '<tspan fill="#d62728">accumulated</tspan> vs '
                 '<tspan fill="#1f77b4">single (golden inputs)</tspan></text></svg>')
    return "".join(parts)


def write_html(report: Any, out_dir: Path, title: str = "npukit accuracy report") -> Path:
    """Write ``out_dir/accuracy.html`` for an AccuracyReport; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = report.rows
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p>{report.samples} input(s); golden = {html.escape(report.golden)}; "
            f"npukit float vs golden max |diff| {report.crosscheck_max_abs:.2e}</p>",
            _svg(rows), "<h2>Outputs</h2><ul>"]
    for name, o in report.outputs.items():
        body.append(f"<li>{html.escape(name)}: mean cosine {o['mean_cosine']:.5f}, min "
                    f"{o['min_cosine']:.5f}, top-1 agreement {o['top1_agreement']:.2%}</li>")
    body.append("</ul><h2>Layers</h2><table><tr><th>node</th><th>op</th><th>engine</th>"
                "<th>acc cos</th><th>acc SNR dB</th><th>single cos</th><th>single SNR dB</th>"
                "</tr>")
    for r in rows:
        a, s = r["accumulated"], r["single"]
        body.append(f"<tr><td>{html.escape(r['node'])}</td><td>{html.escape(r['op'])}</td>"
                    f"<td>{r['engine']}</td><td>{a['cosine']:.6f}</td>"
                    f"<td>{a['snr_db']:.1f}</td><td>{s['cosine']:.6f}</td>"
                    f"<td>{s['snr_db']:.1f}</td></tr>")
    body.append("</table>")
    style = ("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}</style>")
    path = out_dir / "accuracy.html"
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>"
                    f"{html.escape(title)}</title>{style}</head><body>{''.join(body)}"
                    "</body></html>\n", encoding="utf-8")
    return path
