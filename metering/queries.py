"""Read-side queries behind the stats API, the dashboard and ``trimline report``.

Portable SQL only (SQLite and PostgreSQL share it): ``?`` placeholders, time
buckets by arithmetic on ``ts`` (unix seconds, UTC), window functions for turn
order. Model calls only: ``count_tokens`` calls are not billed as generation.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, date, datetime
from typing import Any

from trimline.metering.stats import _CALL_SUMS, _MODEL_CALLS, _TOTAL_SUMS
from trimline.metering.store import Connection

DAY = 86400
HOUR = 3600

# Dimension name -> the column (expression) grouped on. Only these names reach SQL.
CALL_DIMENSIONS: dict[str, str] = {
    "team": "team",
    "project": "project",
    "user": '"user"',
    "environment": "environment",
    "feature": "feature",
    "provider": "provider",
    "model": "model",
    "session": "session",
    "day": f"FLOOR(ts / {DAY})",
    "hour": f"FLOOR(ts / {HOUR})",
}
DIMENSIONS = (*CALL_DIMENSIONS, "kind")
# Dimensions the daily rollups keep (metering/retention.py): over all time these are summed
# from ``call_totals`` (raw rows + rollups of pruned days); a time window reads raw rows,
# which cover the retention period.
ROLLUP_DIMENSIONS: dict[str, str] = {
    **{k: v for k, v in CALL_DIMENSIONS.items() if k not in ("session", "day", "hour")},
    "day": "day",
}

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([mhdw])$")
_UNITS = {"m": 60, "h": HOUR, "d": DAY, "w": 7 * DAY}


class BadQuery(ValueError):
    """A parameter the caller got wrong (answered with 400, never 500)."""


def parse_time(value: str | None, now: float | None = None) -> float | None:
    """``1751328000`` (unix seconds), ``7d``/``24h``/``30m``/``2w`` (ago),
    ``2026-07-01`` or ``20260701`` (UTC midnight), or an ISO datetime (UTC if naive)."""
    if value is None or value == "":
        return None
    value = value.strip()
    now = time.time() if now is None else now
    if m := _RELATIVE.match(value):
        return now - float(m.group(1)) * _UNITS[m.group(2)]
    if re.fullmatch(r"\d{8}", value):
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    elif re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return float(calendar.timegm(date.fromisoformat(value).timetuple()))
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(
            f"not a time: {value!r} (want unix seconds, 7d/24h, YYYY-MM-DD or ISO datetime)"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def day_key(bucket: float) -> str:
    return datetime.fromtimestamp(int(bucket) * DAY, UTC).strftime("%Y-%m-%d")


def hour_key(bucket: float) -> str:
    return datetime.fromtimestamp(int(bucket) * HOUR, UTC).strftime("%Y-%m-%dT%H:00Z")


def rows(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def where(
    since: float | None, until: float | None, prefix: str = ""
) -> tuple[str, tuple[Any, ...]]:
    """Model calls in [since, until)."""
    clauses, params = [f"{prefix}{_MODEL_CALLS}"], []
    if since is not None:
        clauses.append(f"{prefix}ts >= ?")
        params.append(since)
    if until is not None:
        clauses.append(f"{prefix}ts < ?")
        params.append(until)
    return " AND ".join(clauses), tuple(params)


def totals(
    conn: Connection, since: float | None = None, until: float | None = None
) -> dict[str, Any]:
    cond, params = where(since, until)
    (span,) = rows(
        conn, f"SELECT MIN(ts) AS first_ts, MAX(ts) AS last_ts FROM calls WHERE {cond}", params
    )
    if since is None and until is None:
        (out,) = rows(conn, f"SELECT {_TOTAL_SUMS} FROM call_totals WHERE {_MODEL_CALLS}")
    else:
        (out,) = rows(conn, f"SELECT {_CALL_SUMS} FROM calls WHERE {cond}", params)
    return {**out, **span}


def breakdown(
    conn: Connection,
    dimension: str,
    since: float | None = None,
    until: float | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """One row per value of a call dimension, most expensive first (time buckets: in order)."""
    if dimension == "kind":
        return by_kind(conn, since, until)
    column = CALL_DIMENSIONS.get(dimension)
    if column is None:
        raise BadQuery(f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)}")
    cond, params = where(since, until)
    timed = dimension in ("day", "hour")
    order = "key" if timed else "cost_usd DESC, requests DESC"
    if since is None and until is None and dimension in ROLLUP_DIMENSIONS:
        column = ROLLUP_DIMENSIONS[dimension]
        sql = f"SELECT {column} AS key, {_TOTAL_SUMS} FROM call_totals WHERE {cond}"
    else:
        sql = f"SELECT {column} AS key, {_CALL_SUMS} FROM calls WHERE {cond}"
    out = rows(conn, f"{sql} GROUP BY {column} ORDER BY {order} LIMIT ?", (*params, int(limit)))
    for r in out:
        if dimension == "day":
            r["key"] = day_key(r["key"])
        elif dimension == "hour":
            r["key"] = hour_key(r["key"])
    return out


def by_kind(
    conn: Connection, since: float | None = None, until: float | None = None
) -> list[dict[str, Any]]:
    """Compressed blocks per compressor kind. ``saved_usd`` is each call's saving shared
    among its blocks in proportion to the tokens each saved (a call is priced as a whole)."""
    cond, params = where(since, until, prefix="c.")
    return rows(
        conn,
        "SELECT b.kind AS key, COUNT(*) AS blocks, COUNT(DISTINCT b.call_id) AS requests,"
        " COALESCE(SUM(b.tokens_before), 0) AS tokens_before,"
        " COALESCE(SUM(b.tokens_after), 0) AS tokens_after,"
        " COALESCE(SUM(b.tokens_before - b.tokens_after), 0) AS tokens_saved,"
        " ROUND(COALESCE(SUM(c.saved_usd * (b.tokens_before - b.tokens_after)"
        "   / CASE WHEN s.saved > 0 THEN s.saved ELSE NULL END), 0), 6) AS saved_usd,"
        " ROUND(COALESCE(SUM(b.ms), 0), 3) AS ms,"
        " COALESCE(SUM(b.cached), 0) AS cache_hits"
        " FROM blocks b JOIN calls c ON c.id = b.call_id"
        " JOIN (SELECT call_id, SUM(tokens_before - tokens_after) * 1.0 AS saved"
        "   FROM blocks GROUP BY call_id) s ON s.call_id = b.call_id"
        f" WHERE {cond} GROUP BY b.kind ORDER BY tokens_saved DESC",
        params,
    )


_CALL_COLUMNS = (
    'id, ts, session, team, project, "user", provider, model, endpoint, stream, status,'
    " tokens_before, tokens_after, input_tokens, output_tokens,"
    " cache_creation_input_tokens, cache_read_input_tokens, cost_usd, saved_usd,"
    " latency_ms, overhead_ms"
)


def top_calls(
    conn: Connection, n: int = 10, since: float | None = None, until: float | None = None
) -> list[dict[str, Any]]:
    """The n most expensive priced calls."""
    cond, params = where(since, until)
    return rows(
        conn,
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE {cond} AND cost_usd IS NOT NULL"
        " ORDER BY cost_usd DESC, id LIMIT ?",
        (*params, max(0, int(n))),
    )


# The context a call sent, as billed: plain input plus cache writes plus cache reads.
_CONTEXT = (
    "(COALESCE(input_tokens, 0) + COALESCE(cache_creation_input_tokens, 0)"
    " + COALESCE(cache_read_input_tokens, 0))"
)


def _turns_sql(cond: str) -> str:
    """Each model call with its turn (order within its session) and context sizes."""
    return (
        f'SELECT id, ts, session, team, project, "user", model, tokens_before, tokens_after,'
        f" cost_usd, saved_usd, {_CONTEXT} AS context_tokens,"
        " ROW_NUMBER() OVER (PARTITION BY session ORDER BY ts, id) AS turn,"
        " ROW_NUMBER() OVER (PARTITION BY session ORDER BY ts DESC, id DESC) AS from_end"
        f" FROM calls WHERE {cond}"
    )


def sessions(
    conn: Connection,
    since: float | None = None,
    until: float | None = None,
    limit: int = 100,
    session_id: str | None = None,
) -> list[dict[str, Any]]:
    """Sessions, most recent first, with turns, context growth and savings.

    ``context_growth_per_turn`` is (last turn's context - first turn's) / (turns - 1):
    the tokens each turn added on average, as billed (input + cache writes + reads).
    """
    cond, params = where(since, until)
    if session_id is not None:
        cond, params = cond + " AND session = ?", (*params, session_id)
    out = rows(
        conn,
        "SELECT session, MIN(ts) AS first_ts, MAX(ts) AS last_ts, COUNT(*) AS turns,"
        ' MAX(team) AS team, MAX(project) AS project, MAX("user") AS "user",'
        " COUNT(DISTINCT model) AS models,"
        " COALESCE(SUM(tokens_before), 0) AS tokens_before,"
        " COALESCE(SUM(tokens_after), 0) AS tokens_after,"
        " COALESCE(SUM(tokens_before - tokens_after), 0) AS tokens_saved,"
        " ROUND(COALESCE(SUM(cost_usd), 0), 6) AS cost_usd,"
        " ROUND(COALESCE(SUM(saved_usd), 0), 6) AS saved_usd,"
        " SUM(CASE WHEN turn = 1 THEN context_tokens ELSE 0 END) AS context_first,"
        " SUM(CASE WHEN from_end = 1 THEN context_tokens ELSE 0 END) AS context_last,"
        " MAX(context_tokens) AS context_max"
        f" FROM ({_turns_sql(cond)}) t GROUP BY session ORDER BY last_ts DESC LIMIT ?",
        (*params, int(limit)),
    )
    for r in out:
        first, last, turns = r["context_first"], r["context_last"], r["turns"]
        r["context_growth_per_turn"] = round((last - first) / (turns - 1), 1) if turns > 1 else 0.0
    return out


def session(conn: Connection, session_id: str) -> dict[str, Any] | None:
    """One session's summary and its turns in order (``context_added``: context tokens
    this turn sent beyond the previous turn's), or None."""
    found = sessions(conn, limit=1, session_id=session_id)
    if not found:
        return None
    cond, params = where(None, None)
    found[0]["turn_list"] = rows(
        conn,
        "SELECT turn, id, ts, model, tokens_before, tokens_after,"
        " tokens_before - tokens_after AS tokens_saved, context_tokens,"
        " context_tokens - COALESCE(LAG(context_tokens) OVER (ORDER BY turn), context_tokens)"
        " AS context_added, cost_usd, saved_usd"
        f" FROM ({_turns_sql(cond + ' AND session = ?')}) t ORDER BY turn",
        (*params, session_id),
    )
    return found[0]


def spend(
    conn: Connection,
    *,
    days: int = 30,
    now: float | None = None,
    month_budget_usd: float | None = None,
) -> dict[str, Any]:
    """Daily spend and savings for the last ``days`` days (UTC), month to date, and the
    month-end forecast: month to date plus the last 7 days' average daily spend for each
    day left in the month (the linear forecast of the FinOps dashboards)."""
    now = time.time() if now is None else now
    today = int(now // DAY)
    first = today - max(1, int(days)) + 1
    cond, params = where(first * DAY, None)
    by_day = {
        int(r["day"]): r
        for r in rows(
            conn,
            f"SELECT FLOOR(ts / {DAY}) AS day, ROUND(COALESCE(SUM(cost_usd), 0), 6) AS cost_usd,"
            " ROUND(COALESCE(SUM(saved_usd), 0), 6) AS saved_usd, COUNT(*) AS requests"
            f" FROM calls WHERE {cond} GROUP BY FLOOR(ts / {DAY})",
            params,
        )
    }
    series = [
        {
            "day": day_key(d),
            "cost_usd": by_day[d]["cost_usd"] if d in by_day else 0.0,
            "saved_usd": by_day[d]["saved_usd"] if d in by_day else 0.0,
            "requests": by_day[d]["requests"] if d in by_day else 0,
        }
        for d in range(first, today + 1)
    ]
    now_dt = datetime.fromtimestamp(now, UTC)
    month_start = calendar.timegm(date(now_dt.year, now_dt.month, 1).timetuple())
    days_in_month = calendar.monthrange(now_dt.year, now_dt.month)[1]
    month = totals(conn, float(month_start), None)["cost_usd"]
    week = totals(conn, float((today - 6) * DAY), None)["cost_usd"]
    avg = week / 7
    days_left = days_in_month - now_dt.day
    return {
        "days": series,
        "month": now_dt.strftime("%Y-%m"),
        "month_to_date_usd": round(month, 6),
        "avg_daily_7d_usd": round(avg, 6),
        "days_left_in_month": days_left,
        "forecast_month_end_usd": round(month + avg * days_left, 6),
        "month_budget_usd": month_budget_usd,
    }


def daily_by(
    conn: Connection, dimension: str, since: float, until: float | None = None
) -> list[dict[str, Any]]:
    """Spend per UTC day and value of a call dimension: rows of day, key, cost_usd, requests."""
    column = CALL_DIMENSIONS[dimension]
    cond, params = where(since, until)
    out = rows(
        conn,
        f"SELECT FLOOR(ts / {DAY}) AS day, {column} AS key,"
        " ROUND(COALESCE(SUM(cost_usd), 0), 6) AS cost_usd, COUNT(*) AS requests"
        f" FROM calls WHERE {cond} GROUP BY FLOOR(ts / {DAY}), {column} ORDER BY day",
        params,
    )
    for r in out:
        r["day"] = day_key(r["day"])
    return out
