"""Retention: raw per-call rows are kept N days, daily rollups of them forever.

Rolling up and pruning are one step. Once a UTC day is older than the retention, its raw
rows (``calls`` and their ``blocks``) are summed into ``daily_rollups`` and
``daily_kind_rollups`` and deleted, in one transaction. So a call is at any moment either
a raw row or part of a rollup row, never both and never neither, and totals are

    totals = sum over raw rows + sum over rollup rows

with nothing counted twice: the ``call_totals`` view is that union, and ``/stats`` sums
over it. A record that arrives late for a day already rolled up (held back through an
outage) stays a raw row until the next pass, which adds it as another rollup row for that
day; rollup rows are summed, never looked up one per day, so that is harmless.

Several replicas may prune the same database. On PostgreSQL one pass runs at a time (an
advisory lock; a replica that finds it taken skips this pass), and the pass reads a
snapshot taken after the lock was acquired (REPEATABLE READ), so rows committed meanwhile
are neither summed nor deleted. On SQLite the pass is a single write transaction, which
the database serialises.

What rollups keep: per (day, provider, endpoint, model, team, project, user,
environment, feature) the request count and every summed figure of ``calls``; per (day,
endpoint, compressor kind) the block figures. Sessions and single calls are gone.
"""

from __future__ import annotations

import logging
import math

from trimline.metering.store import Connection

log = logging.getLogger(__name__)

DEFAULT_DAYS = 90
DAY = 86400

_KEYS = 'provider, endpoint, model, team, project, "user", environment, feature'

_ROLL_CALLS = f"""
INSERT INTO daily_rollups (day, {_KEYS}, requests, tokens_before, tokens_after, tokens_saved,
    input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens,
    reasoning_tokens, usage_estimated_calls, cost_usd, saved_usd, unpriced_calls, errors,
    overhead_ms_sum, overhead_ms_max)
SELECT CAST(FLOOR(ts / {DAY}) AS INTEGER), {_KEYS}, COUNT(*),
    COALESCE(SUM(tokens_before), 0), COALESCE(SUM(tokens_after), 0),
    COALESCE(SUM(tokens_before - tokens_after), 0), COALESCE(SUM(input_tokens), 0),
    COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cache_creation_input_tokens), 0),
    COALESCE(SUM(cache_read_input_tokens), 0), COALESCE(SUM(reasoning_tokens), 0),
    COALESCE(SUM(usage_estimated), 0), COALESCE(SUM(cost_usd), 0),
    COALESCE(SUM(saved_usd), 0),
    SUM(CASE WHEN cost_usd IS NULL AND status = 200 THEN 1 ELSE 0 END),
    SUM(CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END),
    COALESCE(SUM(overhead_ms), 0), MAX(overhead_ms)
FROM calls WHERE ts < ?
GROUP BY CAST(FLOOR(ts / {DAY}) AS INTEGER), {_KEYS}
"""

_ROLL_BLOCKS = f"""
INSERT INTO daily_kind_rollups (day, endpoint, kind, blocks, tokens_before, tokens_after, ms,
    cache_hits)
SELECT CAST(FLOOR(c.ts / {DAY}) AS INTEGER), c.endpoint, b.kind, COUNT(*),
    SUM(b.tokens_before), SUM(b.tokens_after), SUM(b.ms), SUM(b.cached)
FROM blocks b JOIN calls c ON c.id = b.call_id WHERE c.ts < ?
GROUP BY CAST(FLOOR(c.ts / {DAY}) AS INTEGER), c.endpoint, b.kind
"""


def cutoff(days: int, now: float) -> float:
    """The first second kept: the start of the UTC day ``days`` days before today. Whole
    days are rolled up, so a rollup row is always a complete day."""
    return (math.floor(now / DAY) - days) * DAY


def prune(conn: Connection, days: int, now: float) -> int:
    """Rolls up and deletes raw rows older than ``days`` whole days (0: keep forever).
    Returns the number of calls rolled up (0 when another replica holds the pass)."""
    if days <= 0:
        return 0
    before = cutoff(days, now)
    if conn.dialect == "sqlite":
        return _pass(conn, before, "BEGIN IMMEDIATE")
    (locked,) = conn.execute(
        "SELECT pg_try_advisory_lock(hashtext('trimline-retention:' || current_schema()))"
    ).fetchone()
    if not locked:
        return 0
    try:
        return _pass(conn, before, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    finally:
        conn.execute(
            "SELECT pg_advisory_unlock(hashtext('trimline-retention:' || current_schema()))"
        )


def _pass(conn: Connection, before: float, begin: str) -> int:
    """``begin`` makes the transaction's reads and writes one consistent step: SQLite takes
    the write lock before reading; PostgreSQL reads one snapshot throughout."""
    with conn:
        conn.execute(begin)
        (n,) = conn.execute("SELECT COUNT(*) FROM calls WHERE ts < ?", (before,)).fetchone()
        if not n:
            return 0
        conn.execute(_ROLL_CALLS, (before,))
        conn.execute(_ROLL_BLOCKS, (before,))
        conn.execute(
            "DELETE FROM blocks WHERE call_id IN (SELECT id FROM calls WHERE ts < ?)", (before,)
        )
        # A call's composition is per call, like its turn order: not rolled up.
        conn.execute(
            "DELETE FROM composition WHERE call_id IN (SELECT id FROM calls WHERE ts < ?)",
            (before,),
        )
        conn.execute("DELETE FROM calls WHERE ts < ?", (before,))
    log.info("retention: %d call(s) older than %.0f rolled up into daily rollups", n, before)
    return n
