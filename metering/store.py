"""SQLite storage for call and block records (WAL; schema versioned)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from metering.records import CallRecord, Decision

SCHEMA_VERSION = 2

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
        user TEXT,
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
    -- routing (issue 7): requested vs routed model, the rule, estimates, counterfactual cost
    ALTER TABLE calls ADD COLUMN requested_model TEXT;
    ALTER TABLE calls ADD COLUMN routed_model TEXT;
    ALTER TABLE calls ADD COLUMN route_rule TEXT;
    ALTER TABLE calls ADD COLUMN route_est_requested_usd REAL;
    ALTER TABLE calls ADD COLUMN route_est_routed_usd REAL;
    ALTER TABLE calls ADD COLUMN counterfactual_usd REAL;
    ALTER TABLE calls ADD COLUMN fallback INTEGER NOT NULL DEFAULT 0;
    """,
}


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        migrate(conn)
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with conn:
            conn.executescript(_MIGRATIONS[target])
            conn.execute(f"PRAGMA user_version={target}")


def write_decisions(conn: sqlite3.Connection, decisions: list[Decision]) -> None:
    """The first decision for a block wins: a later one must never replace bytes already sent."""
    now = time.time()
    with conn:
        conn.executemany(
            "INSERT OR IGNORE INTO decisions (key, ts, result) VALUES (?,?,?)",
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
        "requested_model": r.requested_model,
        "routed_model": r.routed_model,
        "route_rule": r.route_rule,
        "route_est_requested_usd": r.route_est_requested_usd,
        "route_est_routed_usd": r.route_est_routed_usd,
        "counterfactual_usd": r.counterfactual_usd,
        "fallback": int(r.fallback),
    }


def write(conn: sqlite3.Connection, records: list[CallRecord]) -> None:
    """Writes a batch in one transaction."""
    with conn:
        for r in records:
            row = _call_row(r)
            cur = conn.execute(
                f"INSERT INTO calls ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
            call_id = cur.lastrowid
            conn.executemany(
                "INSERT INTO blocks (call_id, tool, kind, tokens_before, tokens_after, ms, cached)"
                " VALUES (?,?,?,?,?,?,?)",
                [
                    (call_id, b.tool, b.kind, b.tokens_before, b.tokens_after, b.ms, int(b.cached))
                    for b in r.blocks
                ],
            )
