"""``trimline budgets`` (where each budget stands) and ``trimline alerts`` (what fired)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from trimline.core.paths import data_dir, default_db_path

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def budget_file(value: str | None) -> str:
    """The budgets file to use: the one named, else ``~/.trimline/budgets.toml`` if present."""
    if value:
        return value
    default = data_dir() / "budgets.toml"
    return str(default) if default.exists() else ""


def since(value: str) -> float:
    """``24h``, ``7d``, ``30m`` ago, or an ISO date/time (UTC unless it says otherwise)."""
    m = _DURATION.match(value.strip())
    if m:
        return time.time() - float(m.group(1)) * _SECONDS[m.group(2)]
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"want 24h, 7d, 30m or an ISO date, got {value!r}"
        ) from None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def _open(db_arg: str | None) -> Any:
    from trimline.metering import store
    from trimline.metering.db import target

    db = target(db_arg) if db_arg else default_db_path()
    if isinstance(db, Path) and not db.exists():
        print(f"trimline: no database at {db} yet (run `trimline serve` first)", file=sys.stderr)
        return None
    return store.connect(db, readonly=True)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def cmd_budgets(args: argparse.Namespace) -> int:
    from trimline.cli.main import _table
    from trimline.metering import budgets
    from trimline.metering.budget_status import budgets_status

    path = budget_file(args.budgets)
    if not path:
        print(
            "trimline budgets: no budgets file (--budgets FILE, or ~/.trimline/budgets.toml)",
            file=sys.stderr,
        )
        return 1
    try:
        config = budgets.load(path)
    except budgets.BudgetFileError as e:
        print(f"trimline budgets: {e}", file=sys.stderr)
        return 1
    conn = _open(args.db)
    if conn is None:
        return 1
    try:
        rows = budgets_status(conn, config)
    finally:
        conn.close()
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    for row in rows:
        row["scope"] = ", ".join(f"{k}={row[k]}" for k in ("team", "project", "user") if row[k])
        row["used"] = f"{row['used_pct']:.1f}%"
    print(
        _table(
            rows,
            [
                "name",
                "scope",
                "window",
                "unit",
                "limit",
                "spent",
                "reserved",
                "used",
                "action",
                "burn_per_day",
                "forecast",
                "forecast_month_end",
            ],
        )
    )
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from trimline.cli.main import _table
    from trimline.metering.alerts import alerts

    conn = _open(args.db)
    if conn is None:
        return 1
    try:
        rows = alerts(conn, args.since, limit=args.limit)
    finally:
        conn.close()
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    for row in rows:
        row["when"] = _when(row["ts"])
    print(_table(rows, ["when", "kind", "subject", "message"]))
    return 0


def add_budget_commands(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("budgets", help="each budget's spend, limit, burn rate and forecast")
    b.add_argument("--budgets", help="budgets file (default ~/.trimline/budgets.toml)")
    b.add_argument("--db", help="the proxy's database (default ~/.trimline/trimline.db) or URL")
    b.add_argument("--format", choices=["table", "json"], default="table")
    b.set_defaults(func=cmd_budgets)

    a = sub.add_parser("alerts", help="budget and anomaly alerts that fired, newest first")
    a.add_argument("--since", type=since, help="24h, 7d, 30m, or an ISO date (default: all)")
    a.add_argument("--limit", type=int, default=500)
    a.add_argument("--db", help="the proxy's database (default ~/.trimline/trimline.db) or URL")
    a.add_argument("--format", choices=["table", "json"], default="table")
    a.set_defaults(func=cmd_alerts)
