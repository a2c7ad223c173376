"""Five-hour billing blocks, as ccusage defines them for Claude's usage windows.

Calls in time order; a block starts at its first call's time floored to the UTC
hour and lasts five hours. A call more than five hours after the block's start,
or more than five hours after the previous call, starts a new block. A block is
active while now is within its five hours and within five hours of its last call.
"""

from __future__ import annotations

import time
from typing import Any

from trimline.metering.queries import HOUR, rows, where
from trimline.metering.store import Connection

BLOCK_SECONDS = 5 * HOUR

_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def blocks(
    conn: Connection,
    since: float | None = None,
    until: float | None = None,
    now: float | None = None,
) -> list[dict[str, Any]]:
    now = time.time() if now is None else now
    cond, params = where(since, until)
    calls = rows(
        conn,
        "SELECT ts, model, input_tokens, output_tokens, cache_creation_input_tokens,"
        " cache_read_input_tokens, cost_usd, saved_usd,"
        " tokens_before - tokens_after AS tokens_saved"
        f" FROM calls WHERE {cond} ORDER BY ts, id",
        params,
    )
    out: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    last_ts = 0.0
    for c in calls:
        ts = c["ts"]
        if current is None or ts - current["start"] > BLOCK_SECONDS or ts - last_ts > BLOCK_SECONDS:
            current = {
                "start": ts - ts % HOUR,
                "models": [],
                "requests": 0,
                **dict.fromkeys(_FIELDS, 0),
                "cost_usd": 0.0,
                "tokens_saved": 0,
                "saved_usd": 0.0,
            }
            out.append(current)
        last_ts = ts
        current["last_ts"] = ts
        current["requests"] += 1
        for f in _FIELDS:
            current[f] += c[f] or 0
        current["cost_usd"] += c["cost_usd"] or 0.0
        current["saved_usd"] += c["saved_usd"] or 0.0
        current["tokens_saved"] += c["tokens_saved"] or 0
        if c["model"] not in current["models"]:
            current["models"].append(c["model"])
    for b in out:
        b["end"] = b["start"] + BLOCK_SECONDS
        b["active"] = now < b["end"] and now - b["last_ts"] < BLOCK_SECONDS
        b["total_tokens"] = sum(b[f] for f in _FIELDS)
        b["cost_usd"] = round(b["cost_usd"], 6)
        b["saved_usd"] = round(b["saved_usd"], 6)
    return out
