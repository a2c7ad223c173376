"""Where each budget stands: spend, limit, burn rate and forecast; threshold alerts.

Burn rate is the budget's recorded spend over the last 7 days divided by the days those
7 days cover (at least one: a new install is not averaged over days it did not exist).
Forecasts are linear: spend so far plus that daily rate for the days left.
"""

from __future__ import annotations

import time
from typing import Any

from trimline.metering import ledger
from trimline.metering.alerts import Alert
from trimline.metering.budgets import Budget, BudgetFile, window_bounds

DAY = 86400.0
WEEK = 7 * DAY


def burn_per_day(conn: Any, budget: Budget, now: float) -> float:
    where, params = ledger.scope_filter(budget)
    (first,) = conn.execute(
        f"SELECT MIN(ts) FROM calls WHERE ts >= ? AND endpoint != 'count_tokens'{where}",
        [now - WEEK, *params],
    ).fetchone()
    if first is None:
        return 0.0
    days = min(7.0, max(1.0, (now - float(first)) / DAY))
    return ledger.recorded(conn, budget, now - WEEK) / days


def budget_status(conn: Any, config: BudgetFile, budget: Budget, now: float) -> dict[str, Any]:
    start, end = window_bounds(budget.window, now)
    spent = ledger.recorded(conn, budget, start)
    reserved = ledger.reserved(conn, budget, start)
    burn = burn_per_day(conn, budget, now)
    month_start, month_end = window_bounds("month", now)
    month_spent = spent if budget.window == "month" else ledger.recorded(conn, budget, month_start)
    used = spent / budget.limit * 100
    crossed = [level for level in config.levels(budget) if used >= level]
    return {
        "name": budget.name,
        "team": budget.team,
        "project": budget.project,
        "user": budget.user,
        "window": budget.window,
        "unit": budget.unit,
        "limit": budget.limit,
        "spent": round(spent, 6),
        "reserved": round(reserved, 6),
        "remaining": round(max(0.0, budget.limit - spent - reserved), 6),
        "used_pct": round(used, 2),
        "action": budget.action,
        "level_crossed": max(crossed) if crossed else None,
        "window_start": start,
        "window_end": end,
        "burn_per_day": round(burn, 6),
        "forecast": round(spent + burn * (end - now) / DAY, 6),
        "forecast_month_end": round(month_spent + burn * (month_end - now) / DAY, 6),
    }


def budgets_status(conn: Any, config: BudgetFile, now: float | None = None) -> list[dict[str, Any]]:
    """One row per budget in the file, in the file's order."""
    now = time.time() if now is None else now
    return [budget_status(conn, config, b, now) for b in config.budget]


def threshold_alerts(conn: Any, config: BudgetFile, now: float) -> list[Alert]:
    """An alert for every level a budget's recorded spend has reached in its current window
    (the alerts table keeps each to once per window)."""
    out: list[Alert] = []
    for budget in config.budget:
        start, _ = window_bounds(budget.window, now)
        spent = ledger.recorded(conn, budget, start)
        used = spent / budget.limit * 100
        for level in config.levels(budget):
            if used < level:
                continue
            action = f"; action: {budget.action}" if level >= 100 else ""
            out.append(
                Alert(
                    kind="budget_threshold",
                    dedupe_key=f"budget:{budget.name}:{budget.window}:{int(start)}:{level:g}",
                    subject=budget.name,
                    message=(
                        f"budget {budget.name!r} ({budget.window}) at {used:.0f}% "
                        f"(level {level:g}%): {budget.amount(spent)} of "
                        f"{budget.amount(budget.limit)}{action}"
                    ),
                    value=round(used, 2),
                    threshold=level,
                    details={
                        "budget": budget.name,
                        "window": budget.window,
                        "window_start": start,
                        "spent": spent,
                        "limit": budget.limit,
                        "unit": budget.unit,
                        **budget.scope,
                    },
                    ts=now,
                )
            )
    return out
