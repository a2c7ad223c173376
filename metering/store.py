"""Storage for call and block records: SQLite (WAL) or PostgreSQL, schema versioned.

Migrations are written once in SQLite's DDL (types INTEGER, REAL, TEXT, BLOB) and mapped
to PostgreSQL types when applied there. SQLite counts versions in ``PRAGMA user_version``;
PostgreSQL in a ``schema_version`` table, under an advisory lock so that replicas starting
together migrate once.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from trimline.metering import db
from trimline.metering.composition import CompositionRow
from trimline.metering.db import PgConnection, SqliteConnection
from trimline.metering.records import CallRecord, Decision

Connection = SqliteConnection | PgConnection

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        provider TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        session TEXT NOT NULL,
        model TEXT NOT NULL,
        stream INTEGER NOT NULL,
        status INTEGER NOT NULL,
        team TEXT,
        project TEXT,
        "user" TEXT,
        environment TEXT,
        feature TEXT,
        tokens_before INTEGER,
        tokens_after INTEGER,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_creation_input_tokens INTEGER,
        cache_read_input_tokens INTEGER,
        reasoning_tokens INTEGER,
        usage_estimated INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL,
        saved_usd REAL,
        ttfb_ms REAL,
        latency_ms REAL,
        overhead_ms REAL NOT NULL,
        error TEXT
    );
    CREATE INDEX calls_ts ON calls(ts);
    CREATE INDEX calls_session ON calls(session);
    CREATE TABLE blocks (
        id INTEGER PRIMARY KEY,
        call_id INTEGER NOT NULL REFERENCES calls(id),
        tool TEXT NOT NULL,
        kind TEXT NOT NULL,
        tokens_before INTEGER NOT NULL,
        tokens_after INTEGER NOT NULL,
        ms REAL NOT NULL,
        cached INTEGER NOT NULL
    );
    CREATE INDEX blocks_call ON blocks(call_id);
    CREATE TABLE decisions (
        key BLOB PRIMARY KEY,
        ts REAL NOT NULL,
        result BLOB NOT NULL
    );
    """,
    2: """
    -- pg: retention. Raw rows past retention move here (metering/retention.py), by day.
    CREATE TABLE daily_rollups (
        day INTEGER NOT NULL,
        provider TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        model TEXT NOT NULL,
        team TEXT,
        project TEXT,
        "user" TEXT,
        environment TEXT,
        feature TEXT,
        requests INTEGER NOT NULL,
        tokens_before INTEGER NOT NULL,
        tokens_after INTEGER NOT NULL,
        tokens_saved INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_creation_input_tokens INTEGER NOT NULL,
        cache_read_input_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        usage_estimated_calls INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        saved_usd REAL NOT NULL,
        unpriced_calls INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        overhead_ms_sum REAL NOT NULL,
        overhead_ms_max REAL
    );
    CREATE INDEX daily_rollups_day ON daily_rollups(day);
    CREATE TABLE daily_kind_rollups (
        day INTEGER NOT NULL,
        endpoint TEXT NOT NULL,
        kind TEXT NOT NULL,
        blocks INTEGER NOT NULL,
        tokens_before INTEGER NOT NULL,
        tokens_after INTEGER NOT NULL,
        ms REAL NOT NULL,
        cache_hits INTEGER NOT NULL
    );
    CREATE INDEX daily_kind_rollups_day ON daily_kind_rollups(day);
    -- Every call exactly once: a raw row, or its share of a rolled-up day. Sum over this,
    -- not over calls, for figures that must survive pruning.
    CREATE VIEW call_totals AS
    SELECT CAST(FLOOR(ts / 86400) AS INTEGER) AS day, provider, endpoint, model,
        team, project, "user", environment, feature,
        1 AS requests,
        tokens_before, tokens_after, tokens_before - tokens_after AS tokens_saved,
        input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens,
        reasoning_tokens,
        usage_estimated AS usage_estimated_calls,
        cost_usd, saved_usd,
        CASE WHEN cost_usd IS NULL AND status = 200 THEN 1 ELSE 0 END AS unpriced_calls,
        CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END AS errors,
        overhead_ms AS overhead_ms_sum, overhead_ms AS overhead_ms_max
    FROM calls
    UNION ALL
    SELECT day, provider, endpoint, model, team, project, "user", environment, feature,
        requests, tokens_before, tokens_after, tokens_saved,
        input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens,
        reasoning_tokens, usage_estimated_calls, cost_usd, saved_usd, unpriced_calls, errors,
        overhead_ms_sum, overhead_ms_max
    FROM daily_rollups;
    """,
    3: """
    -- budgets: reservations, alerts, retries and downgrades per call
    CREATE TABLE budget_reservations (
        id TEXT PRIMARY KEY,
        ts REAL NOT NULL,
        expires REAL NOT NULL,
        team TEXT,
        project TEXT,
        "user" TEXT,
        usd REAL NOT NULL,
        tokens INTEGER NOT NULL
    );
    CREATE INDEX budget_reservations_ts ON budget_reservations(ts);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        kind TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        value REAL,
        threshold REAL,
        message TEXT NOT NULL,
        details TEXT
    );
    CREATE INDEX alerts_ts ON alerts(ts);
    ALTER TABLE calls ADD COLUMN retry INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE calls ADD COLUMN requested_model TEXT;
    CREATE INDEX calls_team_ts ON calls(team, ts);
    CREATE INDEX calls_project_ts ON calls(project, ts);
    CREATE INDEX calls_user_ts ON calls("user", ts);
    """,
    4: """
    -- routing (issue 7): routed model, rule, estimates, counterfactual cost (requested_model: 3)
    ALTER TABLE calls ADD COLUMN routed_model TEXT;
    ALTER TABLE calls ADD COLUMN route_rule TEXT;
    ALTER TABLE calls ADD COLUMN route_est_requested_usd REAL;
    ALTER TABLE calls ADD COLUMN route_est_routed_usd REAL;
    ALTER TABLE calls ADD COLUMN counterfactual_usd REAL;
    ALTER TABLE calls ADD COLUMN fallback INTEGER NOT NULL DEFAULT 0;
    """,
    5: """
    -- composition (issue 20): what each call's context was made of, counts only, by kind,
    -- tool and command family; new_*: parts sent for the first time (the newest turn)
    CREATE TABLE composition (
        call_id INTEGER NOT NULL REFERENCES calls(id),
        kind TEXT NOT NULL,
        tool TEXT NOT NULL,
        command TEXT NOT NULL,
        parts INTEGER NOT NULL,
        new_parts INTEGER NOT NULL,
        tokens_before INTEGER NOT NULL,
        tokens_after INTEGER NOT NULL,
        new_tokens_before INTEGER NOT NULL,
        new_tokens_after INTEGER NOT NULL
    );
    CREATE INDEX composition_call ON composition(call_id);
    """,
    6: """
    -- issue 19: a call's history is counted in its row (blocks re-sent with an earlier
    -- decision, and what the call's own decisions saved); ``blocks`` holds one row per
    -- distinct decision (``decision``: its key), made when the decision is. Each figure
    -- names its tokenizer: "estimate" (compressors.tokens.estimate_json) or "cl100k".
    ALTER TABLE calls ADD COLUMN tokens_method TEXT;
    ALTER TABLE calls ADD COLUMN replayed_blocks INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE calls ADD COLUMN saved_new INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE blocks ADD COLUMN tokens_method TEXT;
    ALTER TABLE blocks ADD COLUMN decision BLOB;
    CREATE UNIQUE INDEX blocks_decision ON blocks(decision);
    """,
}
SCHEMA_VERSION = max(_MIGRATIONS)


# PostgreSQL lacks ROUND(double precision, integer), which the portable queries use.
_PG_PRELUDE = """
CREATE OR REPLACE FUNCTION round(double precision, integer) RETURNS double precision
    AS 'SELECT round($1::numeric, $2)::double precision' LANGUAGE SQL IMMUTABLE STRICT;
"""

_PG_TYPES = [
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
]


def pg_ddl(sql: str) -> str:
    """A migration's SQLite DDL with PostgreSQL types."""
    for pattern, replacement in _PG_TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


def connect(target: str | Path, *, readonly: bool = False) -> Connection:
    """Opens the store (a file path or a ``postgresql://`` URL); writers migrate it."""
    conn = db.connect(target, readonly=readonly)
    if not readonly:
        if conn.dialect == "sqlite":
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            migrate(conn)
        except BaseException:
            conn.close()
            raise
    return conn


def schema_version(conn: Connection) -> int:
    if conn.dialect == "sqlite":
        return conn.execute("PRAGMA user_version").fetchone()[0]
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(conn: Connection) -> None:
    if conn.dialect == "sqlite":
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with conn:
                conn.executescript(_MIGRATIONS[target])
                conn.execute(f"PRAGMA user_version={target}")
        return
    # One transaction under a lock keyed by schema: a second replica waits, then finds
    # the work done. DDL is transactional here, so a failed migration leaves nothing half-done.
    with conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('trimline:' || current_schema()))")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        version = schema_version(conn)
        if version < SCHEMA_VERSION:
            # Only when migrating: replacing a function needs its owner's rights.
            conn.executescript(_PG_PRELUDE)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            conn.executescript(pg_ddl(_MIGRATIONS[target]))
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))


def write_decisions(conn: Connection, decisions: list[Decision]) -> None:
    """The first decision for a block wins: a later one must never replace bytes already sent."""
    now = time.time()
    with conn:
        conn.executemany(
            "INSERT INTO decisions (key, ts, result) VALUES (?,?,?) ON CONFLICT DO NOTHING",
            [(d.key, now, d.result) for d in decisions],
        )


def _call_row(r: CallRecord) -> dict[str, object]:
    """A record as its ``calls`` row: column name to value."""
    u = r.usage
    return {
        "ts": r.ts,
        "provider": r.provider,
        "endpoint": r.endpoint,
        "session": r.session,
        "model": r.model,
        "stream": int(r.stream),
        "status": r.status,
        "team": r.team,
        "project": r.project,
        "user": r.user,
        "environment": r.environment,
        "feature": r.feature,
        "tokens_before": r.tokens_before,
        "tokens_after": r.tokens_after,
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "cache_creation_input_tokens": u.cache_creation_input_tokens,
        "cache_read_input_tokens": u.cache_read_input_tokens,
        "reasoning_tokens": u.reasoning_tokens,
        "usage_estimated": int(r.usage_estimated),
        "cost_usd": r.cost_usd,
        "saved_usd": r.saved_usd,
        "ttfb_ms": r.ttfb_ms,
        "latency_ms": r.latency_ms,
        "overhead_ms": r.overhead_ms,
        "error": r.error,
        "retry": int(r.retry),
        "requested_model": r.requested_model,
        "routed_model": r.routed_model,
        "route_rule": r.route_rule,
        "route_est_requested_usd": r.route_est_requested_usd,
        "route_est_routed_usd": r.route_est_routed_usd,
        "counterfactual_usd": r.counterfactual_usd,
        "fallback": int(r.fallback),
        "tokens_method": r.tokens_method,
        "replayed_blocks": r.replayed_blocks,
        "saved_new": r.saved_new,
    }


def write(conn: Connection, records: list[CallRecord]) -> None:
    """Writes a batch in one transaction."""
    with conn:
        for r in records:
            row = _call_row(r)
            # Quoted: ``user`` is a reserved word in PostgreSQL.
            columns = ", ".join(f'"{c}"' for c in row)
            (call_id,) = conn.execute(
                f"INSERT INTO calls ({columns}) VALUES ({', '.join('?' * len(row))}) RETURNING id",
                tuple(row.values()),
            ).fetchone()
            if r.reservation is not None:
                # Settled: from now on the call's billed cost counts, not its estimate.
                conn.execute("DELETE FROM budget_reservations WHERE id = ?", (r.reservation,))
            # A decision another proxy on the same store made first keeps its row.
            conn.executemany(
                "INSERT INTO blocks (call_id, tool, kind, tokens_before, tokens_after, ms, cached,"
                " tokens_method, decision) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                [
                    (
                        call_id,
                        b.tool,
                        b.kind,
                        b.tokens_before,
                        b.tokens_after,
                        b.ms,
                        int(b.cached),
                        b.tokens_method,
                        b.decision,
                    )
                    for b in r.blocks
                ],
            )
            write_composition(conn, call_id, r.composition)


def write_composition(conn: Connection, call_id: int, rows: list[CompositionRow]) -> None:
    """A call's composition rows (``metering.composition.CompositionRow``)."""
    conn.executemany(
        "INSERT INTO composition (call_id, kind, tool, command, parts, new_parts,"
        " tokens_before, tokens_after, new_tokens_before, new_tokens_after)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (call_id, c.kind, c.tool, c.command, c.parts, c.new_parts, c.tokens_before,
             c.tokens_after, c.new_tokens_before, c.new_tokens_after)
            for c in rows
        ],
    )  # fmt: skip
