"""Alerts: kept in the ``alerts`` table, each fired once per window.

An alert's ``dedupe_key`` names what it is about and its window (a budget, its window's
start and the level; a session; an hour). Inserting a key already there does nothing, so
several checks, threads or proxy processes firing the same alert store and send it once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(slots=True)
class Alert:
    kind: str  # budget_threshold, hourly_spike, call_outlier, session_outlier, retry_loop
    dedupe_key: str
    subject: str  # what it is about: a budget's name, a team, a session
    message: str
    value: float | None = None
    threshold: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ts": self.ts,
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
            "value": self.value,
            "threshold": self.threshold,
            "details": self.details,
        }


def record(conn: Any, alert: Alert) -> bool:
    """Stores the alert; False if it had already fired (then it must not be sent again)."""
    with conn:
        cur = conn.execute(
            "INSERT INTO alerts (ts, kind, dedupe_key, subject, value, threshold, message, details)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (dedupe_key) DO NOTHING",
            (
                alert.ts,
                alert.kind,
                alert.dedupe_key,
                alert.subject,
                alert.value,
                alert.threshold,
                alert.message,
                orjson.dumps(alert.details).decode(),
            ),
        )
        return cur.rowcount == 1


def alerts(conn: Any, since: float | None = None, *, limit: int = 500) -> list[dict[str, Any]]:
    """Alerts fired at or after ``since`` (unix seconds), newest first."""
    cur = conn.execute(
        "SELECT id, ts, kind, subject, value, threshold, message, details FROM alerts"
        " WHERE ts >= ? ORDER BY ts DESC, id DESC LIMIT ?",
        (since or 0.0, int(limit)),
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    for row in rows:
        row["details"] = orjson.loads(row["details"]) if row["details"] else {}
    return rows
