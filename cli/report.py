"""``trimline report``: usage by team, model, session, day or five-hour block.

The daily, session and block views are ccusage's (what Claude Code users know:
input, output, cache create, cache read, total tokens, cost), with Trimline's
savings beside them: tokens compression removed and what that saved in dollars.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
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


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(value)
    if key.endswith("_usd"):
        return f"${value:,.2f}" if value >= 100 else f"${value:,.4f}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,.0f}"
    return str(value)


def table(columns: list[tuple[str, str]], out: list[dict[str, Any]], title: str) -> str:
    """A box-drawn table with a Total row, like ccusage's."""
    body = [[_cell(r.get(k), k) for k, _ in columns] for r in out]
    total = totals(out)
    foot = [_cell(total[k], k) if k in total else "" for k, _ in columns]
    foot[0] = "Total"
    heads = [h for _, h in columns]
    widths = [max(len(x) for x in col) for col in zip(heads, *body, foot, strict=True)]
    numeric = [k in _SUMMED for k, _ in columns]

    def line(cells: list[str]) -> str:
        padded = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return "│ " + " │ ".join(padded) + " │"

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    lines = [title, rule("┌", "┬", "┐"), line(heads), rule("├", "┼", "┤")]
    lines += [line(row) for row in body]
    lines += [rule("├", "┼", "┤"), line(foot), rule("└", "┴", "┘")]
    return "\n".join(lines)


def run(args: argparse.Namespace, db: str | Path) -> int:
    from trimline.metering import store

    try:
        since = parse_time(args.since)
        until = parse_time(args.until)
    except BadQuery as e:
        print(f"trimline report: {e}", file=sys.stderr)
        return 2
    if getattr(args, "weekly", False):
        return weekly(args, db, since, until)
    if args.format in ("md", "html"):
        print(f"trimline report: --format {args.format} goes with --weekly", file=sys.stderr)
        return 2
    conn = store.connect(db, readonly=True)
    try:
        columns, out = report(conn, args.by, since, until)
    finally:
        conn.close()
    if args.format == "json":
        fields = [k for k, _ in columns]
        payload = {
            "by": args.by,
            "since": since,
            "until": until,
            "rows": [{k: r.get(k) for k in fields} for r in out],
            "totals": totals(out),
        }
        sys.stdout.buffer.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2) + b"\n")
    elif args.format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([k for k, _ in columns])
        for r in out:
            writer.writerow(
                [";".join(v) if isinstance(v := r.get(k), list) else v for k, _ in columns]
            )
        sys.stdout.write(buf.getvalue())
    else:
        title = f"Trimline usage by {args.by}" + (f" since {_when(since)} UTC" if since else "")
        print(table(columns, out, title))
    return 0


def add_parser(sub: Any, db_help: str) -> argparse.ArgumentParser:
    r = sub.add_parser(
        "report", help="usage and savings by team, model, session, day or 5-hour block"
    )
    r.add_argument("--by", choices=BY, default="day")
    r.add_argument(
        "--since", help="from: 7d, 24h, YYYY-MM-DD, YYYYMMDD, ISO time or unix seconds (UTC)"
    )
    r.add_argument("--until", help="before this time (same forms)")
    r.add_argument("--format", choices=("table", "json", "csv", "md", "html"), default="table")
    r.add_argument(
        "--weekly",
        action="store_true",
        help="the weekly review (spend and budget variance per team, cost drivers, compression"
        " opportunities, savings) as --format md (default) or html",
    )
    r.add_argument("--budgets", help="budgets file for --weekly (default ~/.trimline/budgets.toml)")
    r.add_argument("--db", help=db_help)
    return r


def weekly(
    args: argparse.Namespace, db: str | Path, since: float | None, until: float | None
) -> int:
    """``--weekly``: the review from ``metering.weekly``; budgets from the usual file."""
    from trimline.cli.budgets import budget_file
    from trimline.metering import budgets, store
    from trimline.metering.weekly import render_weekly

    try:
        config = budgets.load(budget_file(args.budgets) or None)
    except budgets.BudgetFileError as e:
        print(f"trimline report: {e}", file=sys.stderr)
        return 2
    conn = store.connect(db, readonly=True)
    try:
        fmt = "html" if args.format == "html" else "md"
        sys.stdout.write(render_weekly(conn, fmt, since, until, config))
    finally:
        conn.close()
    return 0
