"""Charts drawn on the server as SVG (no CDN, no script in the browser): grouped bars with
Chinese labels in the page's own CJK font, every value written on its bar and given as a
``<title>`` for screen readers. The numbers are the tables' own; a chart never shows a figure
the table beside it does not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', sans-serif"
COLOURS = ("#1f5fa8", "#3a9a5b", "#c0392b", "#8e6bb8", "#d98c1f")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[Decimal | int | None]


def bars(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "", width: int = 720
) -> str:
    """A grouped bar chart: one group of bars per label, one bar per series."""
    height, top, bottom, left = 280, 36, 64, 48
    plot_h = height - top - bottom
    numbers = [float(v) for s in series for v in s.values if v is not None]
    peak = max(numbers, default=0.0) or 1.0
    group_w = (width - left - 16) / max(len(labels), 1)
    bar_w = max(min(group_w / (len(series) + 1), 40), 3)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#888"/>',
    ]
    for i, label in enumerate(labels):
        x0 = left + i * group_w + bar_w / 2
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            if value is None:
                continue
            h = plot_h * float(value) / peak
            x, y = x0 + j * bar_w, top + plot_h - h
            shown = f"{value}{unit}"
            colour = COLOURS[j % len(COLOURS)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(label)} {escape(s.name)}：{escape(shown)}</title></rect>"
            )
            centre = x + (bar_w - 2) / 2
            parts.append(
                f'<text x="{centre:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10">'
                f"{escape(shown)}</text>"
            )
        parts.append(
            f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(label[:12])}</text>"
        )
    for j, s in enumerate(series):  # the legend
        x = left + j * 130
        parts.append(
            f'<rect x="{x}" y="{height - 22}" width="12" height="12" fill="{COLOURS[j % len(COLOURS)]}"/>'
        )
        parts.append(f'<text x="{x + 16}" y="{height - 12}">{escape(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
