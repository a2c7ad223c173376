"""Rich tables that fit the terminal: columns that do not fit are left out, least useful first,
and a note says which (``--json`` has them all). Numbers are never wrapped or cut."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    numeric: bool = False
    # Higher stays longer when the terminal is narrow; the first column always stays.
    keep: int = 5
    # Text narrower than this is never folded (names people copy: models, sessions).
    whole: int = 12
    # False: one line a row, the text cut with an ellipsis where it does not fit.
    fold: bool = True
    fmt: Callable[[Any], str] | None = None


def cell(value: Any, key: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key.endswith("_usd"):
        return f"${value:,.2f}" if value >= 100 else f"${value:,.4f}"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _build(
    cols: Sequence[Col],
    rows: Sequence[dict[str, Any]],
    footer: dict[str, Any] | None,
    title: str | None,
    style: box.Box,
    stacked: bool,
    room: int,
) -> Table:
    """``room``: the console's width, which one-line columns may fill and not pass."""
    need = sum(_width(c, rows, footer, stacked) + 3 for c in cols) + 1
    table = Table(box=style, title=title, title_justify="left", header_style="bold", pad_edge=True)
    for c in cols:
        table.add_column(
            _header(c, stacked),
            justify="right" if c.numeric else "left",
            no_wrap=c.numeric or not c.fold,
            overflow="fold" if c.fold else "ellipsis",
            min_width=_width(c, rows, footer, stacked),
            max_width=None if c.fold else room - need + _width(c, rows, footer, stacked),
        )
    for r in rows:
        table.add_row(*[_text(c, r.get(c.key)) for c in cols])
    if footer is not None:
        table.add_section()
        table.add_row(*[_text(c, footer[c.key]) if c.key in footer else "" for c in cols])
    return table


def _header(c: Col, stacked: bool) -> str:
    # Stacked: one word a line, so a number's column is no wider than its numbers.
    return "\n".join(c.header.split()) if stacked else c.header


def _text(c: Col, value: Any) -> str:
    return (c.fmt or (lambda v: cell(v, c.key)))(value)


def _width(
    c: Col, rows: Sequence[dict[str, Any]], footer: dict[str, Any] | None, stacked: bool
) -> int:
    """What the column needs: numbers whole; text may fold, down to a dozen characters."""
    cells = [len(_text(c, r.get(c.key))) for r in rows]
    if footer and c.key in footer:
        cells.append(len(_text(c, footer[c.key])))
    widest = max(cells, default=0)
    head = max((len(w) for w in _header(c, stacked).splitlines()), default=0)
    return max(widest if c.numeric else min(widest, c.whole), head)


def fit(
    console: Console,
    cols: Sequence[Col],
    rows: Sequence[dict[str, Any]],
    *,
    footer: dict[str, Any] | None = None,
    title: str | None = None,
    style: box.Box = box.SIMPLE_HEAD,
) -> tuple[Table, list[Col]]:
    """The table with as many columns as fit ``console.width``, and those left out."""
    shown = list(cols)
    hidden: list[Col] = []
    for stacked in (False, True):
        need = sum(_width(c, rows, footer, stacked) + 3 for c in shown) + 1
        if need <= console.width:
            return _build(shown, rows, footer, title, style, stacked, console.width), hidden
    while len(shown) > 1 and need > console.width:
        victim = min(shown[1:], key=lambda c: (c.keep, -shown.index(c)))
        shown.remove(victim)
        hidden.insert(0, victim)
        need = sum(_width(c, rows, footer, True) + 3 for c in shown) + 1
    return _build(shown, rows, footer, title, style, True, console.width), hidden


def show(
    console: Console,
    cols: Sequence[Col],
    rows: Sequence[dict[str, Any]],
    *,
    footer: dict[str, Any] | None = None,
    title: str | None = None,
    style: box.Box = box.SIMPLE_HEAD,
) -> None:
    table, hidden = fit(console, cols, rows, footer=footer, title=title, style=style)
    console.print(table)
    if hidden:
        names = ", ".join(c.header for c in hidden)
        console.print(f"  (hidden at this width: {names}; see --json)")
