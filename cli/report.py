"""``trimline report``: usage by team, model, session, day or five-hour block.

The daily, session and block views are ccusage's (what Claude Code users know:
input, output, cache create, cache read, total tokens, cost), with Trimline's
savings beside them: tokens compression removed and what that saved in dollars.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import UTC, datetime
from typing import Any

import click
from rich import box
from trimline.cli.common import console, db_option, emit_json, read_store, working
from trimline.cli.errors import UserError
from trimline.cli.tables import Col, cell, show
from trimline.metering.billing_blocks import blocks
from trimline.metering.queries import BadQuery, breakdown, parse_time, rows, sessions, where
from trimline.metering.store import Connection

BY = ("team", "model", "session", "day", "block")
_TOKENS = (
    ("input_tokens", "Input"),
    ("output_tokens", "Output"),
    ("cache_creation_input_tokens", "Cache Create"),
    ("cache_read_input_tokens", "Cache Read"),
    ("total_tokens", "Total Tokens"),
    ("cost_usd", "Cost (USD)"),
    ("tokens_saved", "Saved Tokens"),
    ("saved_usd", "Saved (USD)"),
)
_SUMMED = ("requests", *(k for k, _ in _TOKENS))


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _models(
    conn: Connection, column: str, since: float | None, until: float | None
) -> dict[Any, list[str]]:
    cond, params = where(since, until)
    found: dict[Any, list[str]] = {}
    for r in rows(
        conn,
        f"SELECT {column} AS key, model FROM calls WHERE {cond}"
        f" GROUP BY {column}, model ORDER BY model",
        params,
    ):
        found.setdefault(r["key"], []).append(r["model"])
    return found


def report(
    conn: Connection,
    by: str,
    since: float | None = None,
    until: float | None = None,
    now: float | None = None,
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Columns (field, heading) and rows, oldest first for day and block."""
    if by == "block":
        out = blocks(conn, since, until, now)
        for b in out:
            b["block_start"] = _when(b["start"])
            b["status"] = "ACTIVE" if b["active"] else f"{(b['last_ts'] - b['start']) / 3600:.1f}h"
        head = [("block_start", "Block Start (UTC)"), ("status", "Status"), ("models", "Models")]
        return [*head, ("requests", "Calls"), *_TOKENS], out
    out = breakdown(conn, by, since, until)
    if by == "day":
        models = _models(conn, "FLOOR(ts / 86400)", since, until)
        by_day = {
            datetime.fromtimestamp(int(k) * 86400, UTC).strftime("%Y-%m-%d"): v
            for k, v in models.items()
        }
        for r in out:
            r["models"] = by_day.get(r["key"], [])
    elif by in ("team", "session"):
        models = _models(conn, by, since, until)
        for r in out:
            r["models"] = models.get(r["key"], [])
    for r in out:
        r[by] = r.pop("key")
        r["total_tokens"] = sum(
            r[k]
            for k in (
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            )
        )
    if by == "session":
        last = {s["session"]: s["last_ts"] for s in sessions(conn, since, until, len(out) + 1)}
        out.sort(key=lambda r: last.get(r["session"], 0.0), reverse=True)
        for r in out:
            r["last_activity"] = _when(last[r["session"]]) if r["session"] in last else None
    heading = {"team": "Team", "model": "Model", "session": "Session", "day": "Date"}[by]
    columns = [(by, heading)]
    if by != "model":
        columns.append(("models", "Models"))
    columns += [("requests", "Calls"), *_TOKENS]
    if by == "session":
        columns.append(("last_activity", "Last Activity (UTC)"))
    return columns, out


def totals(out: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: sum(r.get(k) or 0 for r in out) for k in _SUMMED}


def render(columns: list[tuple[str, str]], out: list[dict[str, Any]], title: str) -> None:
    """A box-drawn table with a Total row, like ccusage's, fitted to the terminal."""
    keep = {"requests": 7, "total_tokens": 6, "cost_usd": 8, "tokens_saved": 7, "saved_usd": 8}
    cols = [
        Col(k, h, numeric=k in _SUMMED, keep=keep.get(k, 9 if i == 0 else 3), fmt=_fmt(k))
        for i, (k, h) in enumerate(columns)
    ]
    foot = {k: v for k, v in totals(out).items() if k in dict(columns)}
    foot[columns[0][0]] = "Total"
    show(console(), cols, out, footer=foot, title=title, style=box.SQUARE)


def _fmt(key: str) -> Any:
    def fmt(value: Any) -> str:
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and not key.endswith("_usd")
        ):
            return f"{value:,.0f}"
        return cell(value, key)

    return fmt


@click.command(
    short_help="Usage and savings by team, model, session, day, block",
    epilog="""\b
Examples:
  trimline report                      (by day)
  trimline report --by session --since 7d
  trimline report --by block           (Claude's five-hour billing blocks)
  trimline report --by model --since 2026-01-01 --until 2026-02-01 --format csv""",
)
@click.option(
    "--by",
    type=click.Choice(BY),
    default="day",
    help="one row per team, model, session, day or 5-hour block",
)
@click.option(
    "--since",
    metavar="WHEN",
    help="from: 7d, 24h, YYYY-MM-DD, YYYYMMDD, ISO time or unix seconds (UTC)",
)
@click.option("--until", metavar="WHEN", help="before this time (same forms)")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "csv", "md", "html")),
    default="table",
    help="output format (md and html: with --weekly)",
)
@click.option("--json", "as_json", is_flag=True, help="the same as --format json")
@click.option(
    "--weekly",
    is_flag=True,
    help="the weekly review (spend and budget variance per team, cost drivers, compression"
    " opportunities, savings) as --format md (default) or html",
)
@click.option(
    "--budgets",
    metavar="FILE",
    help="budgets file for --weekly [default: ~/.trimline/budgets.toml]",
)
@db_option
def report_command(
    by: str,
    since: str | None,
    until: str | None,
    fmt: str,
    as_json: bool,
    weekly: bool,
    budgets: str | None,
    db: str | None,
) -> int:
    """Usage and savings by team, model, session, day or five-hour block."""
    try:
        start = parse_time(since)
        end = parse_time(until)
    except BadQuery as e:
        raise UserError(f"{e}; e.g. --since 7d or --since 2026-01-31", 2) from None
    if weekly:
        return weekly_review(db, fmt, start, end, budgets)
    if fmt in ("md", "html"):
        raise UserError(f"--format {fmt} goes with --weekly; add --weekly, or choose table", 2)
    with read_store(db) as conn, working(f"adding up usage by {by}"):
        columns, out = report(conn, by, start, end)
    if as_json or fmt == "json":
        fields = [k for k, _ in columns]
        emit_json(
            {
                "by": by,
                "since": start,
                "until": end,
                "rows": [{k: r.get(k) for k in fields} for r in out],
                "totals": totals(out),
            }
        )
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([k for k, _ in columns])
        for r in out:
            writer.writerow(
                [";".join(v) if isinstance(v := r.get(k), list) else v for k, _ in columns]
            )
        sys.stdout.write(buf.getvalue())
    else:
        render(
            columns,
            out,
            f"Trimline usage by {by}" + (f" since {_when(start)} UTC" if start else ""),
        )
    return 0


def weekly_review(
    db: str | None, fmt: str, since: float | None, until: float | None, budgets: str | None
) -> int:
    """``--weekly``: the review from ``metering.weekly``; budgets from the usual file."""
    from trimline.cli.serve import budget_file
    from trimline.metering import budgets as budget_config
    from trimline.metering.weekly import render_weekly

    path = budget_file(budgets)
    try:
        config = budget_config.load(path or None)
    except budget_config.BudgetFileError as e:
        raise UserError(f"--budgets {path}: {e}; fix the file", 2) from None
    with read_store(db) as conn, working("writing the weekly review"):
        text = render_weekly(conn, "html" if fmt == "html" else "md", since, until, config)
    sys.stdout.write(text)
    return 0


report_command.name = "report"
COMMANDS = [report_command]
