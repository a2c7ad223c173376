"""``trimline budgets`` (where each budget stands) and ``trimline alerts`` (what fired)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import click
from trimline.cli.common import console, db_option, emit_json, read_store
from trimline.cli.errors import UserError, one_line
from trimline.cli.serve import budget_file
from trimline.cli.tables import Col, show

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def since(value: str) -> float:
    """``24h``, ``7d``, ``30m`` ago, or an ISO date/time (UTC unless it says otherwise)."""
    m = _DURATION.match(value.strip())
    if m:
        return time.time() - float(m.group(1)) * _SECONDS[m.group(2)]
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"want 24h, 7d, 30m or an ISO date, got {value!r}") from None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return since(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="output format"
)
JSON = click.option("--json", "as_json", is_flag=True, help="the same as --format json")


@click.command(
    short_help="Each budget's spend, limit and forecast",
    epilog="\b\nExamples:\n  trimline budgets\n  trimline budgets --budgets team-budgets.toml --json",
)
@click.option("--budgets", metavar="FILE", help="budgets file [default: ~/.trimline/budgets.toml]")
@db_option
@FORMAT
@JSON
def budgets(budgets: str | None, db: str | None, fmt: str, as_json: bool) -> int:
    """Each budget's spend, limit, burn rate and forecast."""
    from trimline.metering import budgets as config_file
    from trimline.metering.budget_status import budgets_status

    path = budget_file(budgets)
    if not path:
        raise UserError("no budgets file; give --budgets FILE, or write ~/.trimline/budgets.toml")
    try:
        config = config_file.load(path)
    except config_file.BudgetFileError as e:
        raise UserError(f"--budgets {path}: {one_line(str(e))}; fix the file") from None
    with read_store(db) as conn:
        rows = budgets_status(conn, config)
    if as_json or fmt == "json":
        emit_json(rows)
        return 0
    for row in rows:
        row["scope"] = ", ".join(f"{k}={row[k]}" for k in ("team", "project", "user") if row[k])
        row["used"] = f"{row['used_pct']:.1f}%"
    n = True
    show(
        console(),
        [
            Col("name", "Budget"),
            Col("scope", "Scope", keep=7, whole=32),
            Col("window", "Window", keep=6),
            Col("unit", "Unit", keep=3),
            Col("limit", "Limit", n, 8),
            Col("spent", "Spent", n, 8),
            Col("reserved", "Reserved", n, 2),
            Col("used", "Used", n, 9),
            Col("action", "Action", keep=4),
            Col("burn_per_day", "Burn/day", n, 3),
            Col("forecast", "Forecast", n, 5),
            Col("forecast_month_end", "Month end", n, 1),
        ],
        rows,
    )
    return 0


@click.command(
    short_help="Alerts that fired, newest first",
    epilog="\b\nExamples:\n  trimline alerts --since 24h\n  trimline alerts --since 2026-01-01 --json",
)
@click.option(
    "--since", callback=_since, metavar="WHEN", help="24h, 7d, 30m, or an ISO date [default: all]"
)
@click.option("--limit", type=int, default=500, help="at most this many alerts")
@db_option
@FORMAT
@JSON
def alerts(since: float | None, limit: int, db: str | None, fmt: str, as_json: bool) -> int:
    """Budget and anomaly alerts that fired, newest first."""
    from trimline.metering.alerts import alerts as fired

    with read_store(db) as conn:
        rows = fired(conn, since, limit=limit)
    if as_json or fmt == "json":
        emit_json(rows)
        return 0
    for row in rows:
        row["when"] = _when(row["ts"])
    show(
        console(),
        [
            Col("when", "When (UTC)", keep=9, whole=19),
            Col("kind", "Kind", keep=7, whole=20),
            Col("subject", "Subject", keep=6, whole=24),
            Col("message", "Message", keep=8, fold=False),
        ],
        rows,
    )
    return 0


COMMANDS = [budgets, alerts]
