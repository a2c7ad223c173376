"""The numbers behind ``GET /stats`` and ``trimline stats``.

Totals and per-session/per-model figures cover model calls; calls to
``count_tokens`` are counted apart, since they are not billed as generation.
"""

from __future__ import annotations

import sqlite3
from typing import Any

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
    COALESCE(SUM(CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END), 0) AS errors
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


def _rows(conn: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def stats(conn: sqlite3.Connection, *, top: int = 50) -> dict[str, Any]:
    (totals,) = _rows(conn, f"SELECT {_CALL_SUMS} FROM calls WHERE {_MODEL_CALLS}")
    (overhead,) = _rows(
        conn,
        f"SELECT AVG(overhead_ms) AS mean_ms, MAX(overhead_ms) AS max_ms FROM calls WHERE {_MODEL_CALLS}",
    )
    (counts,) = _rows(
        conn, "SELECT COUNT(*) AS count_tokens_calls FROM calls WHERE endpoint = 'count_tokens'"
    )
    totals.update(counts)
    (routing,) = _rows(conn, f"SELECT {_ROUTING_SUMS} FROM calls WHERE {_MODEL_CALLS}")
    totals.update(routing)
    totals["overhead_ms_mean"] = round(overhead["mean_ms"] or 0.0, 3)
    totals["overhead_ms_max"] = round(overhead["max_ms"] or 0.0, 3)
    by_session = _rows(
        conn,
        f"SELECT session, MIN(ts) AS first_ts, MAX(ts) AS last_ts, {_CALL_SUMS} FROM calls"
        f" WHERE {_MODEL_CALLS} GROUP BY session ORDER BY last_ts DESC LIMIT {int(top)}",
    )
    by_model = _rows(
        conn,
        f"SELECT provider, model, {_CALL_SUMS} FROM calls WHERE {_MODEL_CALLS}"
        " GROUP BY provider, model ORDER BY requests DESC",
    )
    by_team = _rows(
        conn,
        f"SELECT team, project, {_CALL_SUMS} FROM calls WHERE {_MODEL_CALLS}"
        " GROUP BY team, project ORDER BY cost_usd DESC, requests DESC",
    )
    by_kind = _rows(
        conn,
        "SELECT b.kind, COUNT(*) AS blocks, SUM(b.tokens_before) AS tokens_before,"
        " SUM(b.tokens_after) AS tokens_after,"
        " SUM(b.tokens_before - b.tokens_after) AS tokens_saved,"
        " ROUND(SUM(b.ms), 3) AS ms, SUM(b.cached) AS cache_hits"
        " FROM blocks b JOIN calls c ON c.id = b.call_id"
        f" WHERE c.{_MODEL_CALLS} GROUP BY b.kind ORDER BY tokens_saved DESC",
    )
    return {
        "totals": totals,
        "by_session": by_session,
        "by_model": by_model,
        "by_team": by_team,
        "by_kind": by_kind,
    }
