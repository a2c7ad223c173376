"""The numbers behind ``GET /stats`` and ``trimline stats``.

Totals and per-session/per-model figures cover model calls; calls to
``count_tokens`` are counted apart, since they are not billed as generation.
"""

from __future__ import annotations

import time
from typing import Any

from trimline.metering.alerts import alerts as stored_alerts
from trimline.metering.budget_status import budgets_status
from trimline.metering.budgets import BudgetFile
from trimline.metering.store import Connection

# Per-call figures (sessions) come from the raw rows, which retention prunes; figures
# that must survive pruning (totals, by model, by team, by kind) are summed over the
# raw rows plus the daily rollups of pruned days (the ``call_totals`` view; see
# metering/retention.py for why nothing is counted twice).
_CALL_SUMS = """
    COUNT(*) AS requests,
    COALESCE(SUM(tokens_before), 0) AS tokens_before,
    COALESCE(SUM(tokens_after), 0) AS tokens_after,
    COALESCE(SUM(tokens_before - tokens_after), 0) AS tokens_saved,
    COALESCE(SUM(input_tokens), 0) AS input_tokens,
    COALESCE(SUM(output_tokens), 0) AS output_tokens,
    COALESCE(SUM(cache_creation_input_tokens), 0) AS cache_creation_input_tokens,
    COALESCE(SUM(cache_read_input_tokens), 0) AS cache_read_input_tokens,
    COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
    COALESCE(SUM(usage_estimated), 0) AS usage_estimated_calls,
    ROUND(COALESCE(SUM(cost_usd), 0), 6) AS cost_usd,
    ROUND(COALESCE(SUM(saved_usd), 0), 6) AS saved_usd,
    COALESCE(SUM(CASE WHEN cost_usd IS NULL AND status = 200 THEN 1 ELSE 0 END), 0) AS unpriced_calls,
    COALESCE(SUM(CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END), 0) AS errors,
    COALESCE(SUM(retry), 0) AS retries
"""
_TOTAL_SUMS = """
    COALESCE(SUM(requests), 0) AS requests,
    COALESCE(SUM(tokens_before), 0) AS tokens_before,
    COALESCE(SUM(tokens_after), 0) AS tokens_after,
    COALESCE(SUM(tokens_saved), 0) AS tokens_saved,
    COALESCE(SUM(input_tokens), 0) AS input_tokens,
    COALESCE(SUM(output_tokens), 0) AS output_tokens,
    COALESCE(SUM(cache_creation_input_tokens), 0) AS cache_creation_input_tokens,
    COALESCE(SUM(cache_read_input_tokens), 0) AS cache_read_input_tokens,
    COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
    COALESCE(SUM(usage_estimated_calls), 0) AS usage_estimated_calls,
    ROUND(COALESCE(SUM(cost_usd), 0), 6) AS cost_usd,
    ROUND(COALESCE(SUM(saved_usd), 0), 6) AS saved_usd,
    COALESCE(SUM(unpriced_calls), 0) AS unpriced_calls,
    COALESCE(SUM(errors), 0) AS errors
"""
_MODEL_CALLS = "endpoint != 'count_tokens'"
# Routing, apart from compression: calls sent to a smaller model, what that saved against
# the model asked for (fallbacks saved nothing: the original model answered), and fallbacks.
_ROUTING_SUMS = """
    COALESCE(SUM(CASE WHEN routed_model IS NOT NULL THEN 1 ELSE 0 END), 0) AS routed_calls,
    ROUND(COALESCE(SUM(CASE WHEN routed_model IS NOT NULL AND fallback = 0
        THEN counterfactual_usd - cost_usd END), 0), 6) AS routing_saved_usd,
    COALESCE(SUM(fallback), 0) AS fallbacks
"""


def _rows(conn: Connection, sql: str) -> list[dict[str, Any]]:
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def stats(conn: Connection, *, top: int = 50) -> dict[str, Any]:
    (totals,) = _rows(conn, f"SELECT {_TOTAL_SUMS} FROM call_totals WHERE {_MODEL_CALLS}")
    (overhead,) = _rows(
        conn,
        "SELECT SUM(overhead_ms_sum) AS sum_ms, MAX(overhead_ms_max) AS max_ms"
        f" FROM call_totals WHERE {_MODEL_CALLS}",
    )
    (counts,) = _rows(
        conn,
        "SELECT COALESCE(SUM(requests), 0) AS count_tokens_calls FROM call_totals"
        " WHERE endpoint = 'count_tokens'",
    )
    totals.update(counts)
    (routing,) = _rows(conn, f"SELECT {_ROUTING_SUMS} FROM calls WHERE {_MODEL_CALLS}")
    totals.update(routing)
    mean = (overhead["sum_ms"] or 0.0) / totals["requests"] if totals["requests"] else 0.0
    totals["overhead_ms_mean"] = round(mean, 3)
    totals["overhead_ms_max"] = round(overhead["max_ms"] or 0.0, 3)
    by_session = _rows(
        conn,
        f"SELECT session, MIN(ts) AS first_ts, MAX(ts) AS last_ts, {_CALL_SUMS} FROM calls"
        f" WHERE {_MODEL_CALLS} GROUP BY session ORDER BY last_ts DESC LIMIT {int(top)}",
    )
    by_model = _rows(
        conn,
        f"SELECT provider, model, {_TOTAL_SUMS} FROM call_totals WHERE {_MODEL_CALLS}"
        " GROUP BY provider, model ORDER BY requests DESC",
    )
    by_team = _rows(
        conn,
        f"SELECT team, project, {_TOTAL_SUMS} FROM call_totals WHERE {_MODEL_CALLS}"
        " GROUP BY team, project ORDER BY cost_usd DESC, requests DESC",
    )
    by_kind = _rows(
        conn,
        "SELECT kind, SUM(blocks) AS blocks, SUM(tokens_before) AS tokens_before,"
        " SUM(tokens_after) AS tokens_after,"
        " SUM(tokens_before - tokens_after) AS tokens_saved,"
        " ROUND(SUM(ms), 3) AS ms, SUM(cache_hits) AS cache_hits FROM ("
        " SELECT b.kind, 1 AS blocks, b.tokens_before, b.tokens_after, b.ms,"
        " b.cached AS cache_hits FROM blocks b JOIN calls c ON c.id = b.call_id"
        f" WHERE c.{_MODEL_CALLS}"
        " UNION ALL SELECT kind, blocks, tokens_before, tokens_after, ms, cache_hits"
        f" FROM daily_kind_rollups WHERE {_MODEL_CALLS}"
        ") AS k GROUP BY kind ORDER BY tokens_saved DESC",
    )
    return {
        "totals": totals,
        "by_session": by_session,
        "by_model": by_model,
        "by_team": by_team,
        "by_kind": by_kind,
    }


# -- hooks for budgets and alerts ------------------------------------------------
# Another branch adds the ``budgets`` and ``alerts`` tables. Until it is merged these
# read nothing; the integrator maps that branch's rows to the documented shapes here
# (see ``metering/api.py``: Budget, Alert), and the stats API, /metrics and the
# dashboard pick them up.


def _missing_table(e: Exception) -> bool:
    text = f"{type(e).__name__} {e}".lower()
    return "no such table" in text or "undefinedtable" in text or "does not exist" in text


# The budgets file the running proxy enforces (``trimline serve --budgets``), for the read side.
_budget_config: BudgetFile | None = None
# What an alert's subject is, by kind.
_ALERT_SCOPES = {
    "budget_threshold": "budget",
    "hourly_spike": "team",
    "call_outlier": "session",
    "session_outlier": "session",
    "retry_loop": "session",
}
# An alert counts as active for this long after it fired (each fires once per window).
ACTIVE_SECONDS = 86400.0


def use_budgets(config: BudgetFile | None) -> None:
    global _budget_config
    _budget_config = config


def budget_config() -> BudgetFile | None:
    """The budgets file the running proxy enforces, if any."""
    return _budget_config


def budgets(conn: Connection, config: BudgetFile | None = None) -> list[dict[str, Any]]:
    """Budgets with their burn (``metering.budget_status``), plus the read side's names:
    ``scope`` (team/project/user, joined with "+", or global), ``period``, ``amount``."""
    config = config or _budget_config
    if config is None or not config.budget:
        return []
    rows = budgets_status(conn, config)
    for row, budget in zip(rows, config.budget, strict=True):
        row["scope"] = "+".join(budget.scope) or "global"
        row["period"] = row["window"]
        row["amount"] = row["limit"]
    return rows


def alerts(conn: Connection, *, limit: int = 100, now: float | None = None) -> list[dict[str, Any]]:
    """Alerts, newest first (``metering.alerts``), plus ``name`` (what it is about),
    ``scope`` (its kind) and ``active`` (fired within the last day)."""
    now = time.time() if now is None else now
    try:
        rows = stored_alerts(conn, limit=limit)
    except Exception as e:
        if not _missing_table(e):
            raise
        rollback = getattr(conn, "rollback", None)
        if rollback is not None:
            rollback()  # PostgreSQL: a failed statement aborts the transaction
        return []
    for row in rows:
        row["name"] = row["subject"]
        row["scope"] = _ALERT_SCOPES.get(row["kind"], row["kind"])
        if row["kind"] == "hourly_spike" and row["subject"] == "*":
            row["scope"], row["name"] = "all", "teams"
        row["active"] = now - row["ts"] < ACTIVE_SECONDS
    return rows
