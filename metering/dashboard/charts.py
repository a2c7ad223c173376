"""Chart pieces shared by the dashboard's pages: round axis ticks and stacked bars that
take the page's width.

Horizontal positions are percentages of the SVG's width (``width="100%"``), vertical
ones pixels, so a chart fills whatever width the page has while its text keeps its size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

LEFT = 7.0  # % of the width kept for the axis labels
RIGHT = 98.5  # % where the plot ends
MAX_BAR = 6.0  # % of the width: a chart of two bars is not two slabs


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top``: steps of 1, 2, 2.5 or 5 times a power
    of ten (0, 0.25, 0.5 ... never 8.4411)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def usd_tick(value: float, step: float) -> str:
    """A dollar tick with as many decimals as its step needs ($0.25, $2, $1,000)."""
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9), 6)
    return f"${value:,.{decimals}f}"


def token_tick(value: float, step: float = 1.0) -> str:
    """1,500 -> 1.5k, 2,000,000 -> 2M."""
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            text = f"{value / size:.2f}".rstrip("0").rstrip(".")
            return text + unit
    return f"{value:,.0f}"


def x_pct(i: float, n: int) -> float:
    """The left edge of slot i of n across the plot, in %."""
    return LEFT + (RIGHT - LEFT) * i / max(1, n)


def axis(ticks: Sequence[float], y: Callable[[float], float], label: Callable[[float], str]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return "".join(
        f'<line x1="{LEFT}%" x2="{RIGHT}%" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
        f'<text x="{LEFT - 0.5}%" y="{y(v) + 4:.1f}" text-anchor="end">'
        f"{escape(label(v) if label is not token_tick else token_tick(v, step))}</text>"
        for v in ticks
    )


def stacked_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float]]],
    *,
    height: int = 220,
    money: bool = False,
    aria: str = "chart",
    every: int = 1,
) -> str:
    """Bars for each label, stacked by series (name, color, values); y axis round ticks."""
    n = len(labels)
    totals = [sum(s[2][i] for s in series) for i in range(n)]
    ticks = nice_ticks(max([*totals, 0.0]))
    top = ticks[-1] or 1.0
    plot_top, plot_h = 12, height - 40

    def y(v: float) -> float:
        return plot_top + plot_h - v / top * plot_h

    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    label = (lambda v: usd_tick(v, step)) if money else (lambda v: token_tick(v, step))
    parts = [
        f'<svg width="100%" height="{height}" role="img" aria-label="{escape(aria)}">',
        axis(ticks, y, label),
    ]
    slot = (RIGHT - LEFT) / max(1, n)
    width = min(slot * 0.8, MAX_BAR)
    for i, name in enumerate(labels):
        base = plot_top + plot_h
        for series_name, color, values in series:
            v = values[i]
            if v <= 0:
                continue
            h = v / top * plot_h
            base -= h
            shown = usd_tick(v, 0.0001) if money else f"{v:,.0f}"
            parts.append(
                f'<rect x="{x_pct(i + 0.5, n) - width / 2:.2f}%" y="{base:.1f}"'
                f' width="{width:.2f}%" height="{h:.1f}" fill="{color}">'
                f"<title>{escape(name)} {escape(series_name)}: {shown}</title></rect>"
            )
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text x="{x_pct(i + 0.5, n):.2f}%" y="{height - 10}" text-anchor="middle">'
                f"{escape(name)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def legend(items: Sequence[tuple[str, str]]) -> str:
    return "".join(
        f'<span class="key"><i style="background:{color}"></i>{text}</span>'
        for text, color in items
    )
