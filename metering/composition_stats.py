"""Read side of call composition: ``/stats/composition``, ``/stats/commands`` and the
session page's turns (portable SQL, SQLite and PostgreSQL alike).

Compounded tokens: a tool output first sent on turn t of an n-turn session is re-sent
by each of the n - t later turns, so it costs its size n - t more times. A turn here is
a model call of the session, in time order.
"""

from __future__ import annotations

from typing import Any

from trimline.metering.composition import KINDS
from trimline.metering.queries import CALL_DIMENSIONS, DAY, BadQuery, day_key, parse_time, rows
from trimline.metering.store import Connection

FILTERS = ("team", "project", "user", "session", "model")
DIMENSIONS = ("team", "project", "user", "session", "model", "provider", "day")
BILLED = (
    ("uncached_input", "input_tokens"),
    ("cache_read", "cache_read_input_tokens"),
    ("cache_write", "cache_creation_input_tokens"),
    ("output", "output_tokens"),
    ("reasoning", "reasoning_tokens"),
)


def filters(query: dict[str, str]) -> dict[str, Any]:
    """since/until parsed, and the tag filters given (team, project, user, session, model)."""
    out: dict[str, Any] = {
        "since": parse_time(query.get("since")),
        "until": parse_time(query.get("until")),
    }
    for name in FILTERS:
        if query.get(name):
            out[name] = query[name]
    return out


def where(f: dict[str, Any], prefix: str = "c.") -> tuple[str, tuple[Any, ...]]:
    """Model calls matching the filters."""
    clauses, params = [f"{prefix}endpoint != 'count_tokens'"], []
    if f.get("since") is not None:
        clauses.append(f"{prefix}ts >= ?")
        params.append(f["since"])
    if f.get("until") is not None:
        clauses.append(f"{prefix}ts < ?")
        params.append(f["until"])
    for name in FILTERS:
        if f.get(name) is not None:
            column = '"user"' if name == "user" else name
            clauses.append(f"{prefix}{column} = ?")
            params.append(f[name])
    return " AND ".join(clauses), tuple(params)


def _by_kind(found: list[dict[str, Any]], field: str) -> dict[str, int]:
    out = dict.fromkeys(KINDS, 0)
    for r in found:
        if r["kind"] in out:
            out[r["kind"]] += int(r[field] or 0)
    out["total"] = sum(out[k] for k in KINDS)
    return out


def _tool_rows(conn: Connection, column: str, cond: str, params: tuple) -> list[dict[str, Any]]:
    return rows(
        conn,
        f"SELECT x.{column} AS key, COALESCE(SUM(x.parts), 0) AS parts,"
        " COALESCE(SUM(x.new_parts), 0) AS runs,"
        " COALESCE(SUM(x.tokens_before), 0) AS tokens_before,"
        " COALESCE(SUM(x.tokens_after), 0) AS tokens_after"
        " FROM composition x JOIN calls c ON c.id = x.call_id"
        f" WHERE {cond} AND x.kind = 'tool_outputs' GROUP BY x.{column}"
        " ORDER BY tokens_after DESC, key",
        params,
    )


def totals(conn: Connection, f: dict[str, Any]) -> dict[str, Any]:
    """Tokens by kind before and after compression, tool outputs by tool and by command
    family, and the provider's billed split, for the calls the filters select."""
    cond, params = where(f)
    found = rows(
        conn,
        "SELECT x.kind AS kind, COALESCE(SUM(x.parts), 0) AS parts,"
        " COALESCE(SUM(x.tokens_before), 0) AS tokens_before,"
        " COALESCE(SUM(x.tokens_after), 0) AS tokens_after"
        f" FROM composition x JOIN calls c ON c.id = x.call_id WHERE {cond} GROUP BY x.kind",
        params,
    )
    (billed,) = rows(
        conn,
        "SELECT COUNT(*) AS requests, "
        + ", ".join(f"COALESCE(SUM(c.{col}), 0) AS {name}" for name, col in BILLED)
        + f" FROM calls c WHERE {cond}",
        params,
    )
    (counted,) = rows(
        conn,
        "SELECT COUNT(DISTINCT x.call_id) AS n FROM composition x"
        f" JOIN calls c ON c.id = x.call_id WHERE {cond}",
        params,
    )
    return {
        **_echo(f),
        "requests": billed.pop("requests"),
        "requests_counted": counted["n"],
        "parts": _by_kind(found, "parts"),
        "before": _by_kind(found, "tokens_before"),
        "after": _by_kind(found, "tokens_after"),
        "tool_outputs": {
            "by_tool": _tool_rows(conn, "tool", cond, params),
            "by_command": _tool_rows(conn, "command", cond, params),
        },
        "billed": billed,
    }


def _echo(f: dict[str, Any]) -> dict[str, Any]:
    return {"since": f.get("since"), "until": f.get("until"), "filters": _tags(f)}


def _tags(f: dict[str, Any]) -> dict[str, str]:
    return {k: f[k] for k in FILTERS if f.get(k) is not None}


def by(conn: Connection, f: dict[str, Any], dimension: str, limit: int = 1000) -> dict[str, Any]:
    """Tokens by kind, before and after, per value of a call dimension (day: in order;
    others: the largest contexts first)."""
    if dimension not in DIMENSIONS:
        raise BadQuery(f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)}")
    column = "FLOOR(c.ts / 86400)" if dimension == "day" else "c." + CALL_DIMENSIONS[dimension]
    cond, params = where(f)
    found = rows(
        conn,
        f"SELECT {column} AS key, x.kind AS kind, COUNT(DISTINCT x.call_id) AS requests,"
        " COALESCE(SUM(x.tokens_before), 0) AS tokens_before,"
        " COALESCE(SUM(x.tokens_after), 0) AS tokens_after"
        f" FROM composition x JOIN calls c ON c.id = x.call_id WHERE {cond}"
        f" GROUP BY {column}, x.kind",
        params,
    )
    calls = {
        r["key"]: r["n"]
        for r in rows(
            conn,
            f"SELECT {column} AS key, COUNT(DISTINCT x.call_id) AS n FROM composition x"
            f" JOIN calls c ON c.id = x.call_id WHERE {cond} GROUP BY {column}",
            params,
        )
    }
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for r in found:
        grouped.setdefault(r["key"], []).append(r)
    out = [
        {
            "key": day_key(key) if dimension == "day" and key is not None else key,
            "requests": calls.get(key, 0),
            "before": _by_kind(group, "tokens_before"),
            "after": _by_kind(group, "tokens_after"),
        }
        for key, group in grouped.items()
    ]
    if dimension == "day":
        out.sort(key=lambda r: r["key"] or "")
    else:
        out.sort(key=lambda r: (-r["after"]["total"], str(r["key"])))
    return {**_echo(f), "dimension": dimension, "rows": out[: int(limit)]}


def _later_turns_sql(f: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """Each model call's id and how many later model calls its session made. Calls before
    ``since`` cannot be later than a call in the window, so they are left out; calls after
    ``until`` still re-send what the window's calls produced, so they count."""
    clauses, params = ["endpoint != 'count_tokens'"], []
    if f.get("since") is not None:
        clauses.append("ts >= ?")
        params.append(f["since"])
    if f.get("session") is not None:
        clauses.append("session = ?")
        params.append(f["session"])
    return (
        "SELECT id, ROW_NUMBER() OVER (PARTITION BY session ORDER BY ts DESC, id DESC) - 1"
        f" AS later FROM calls WHERE {' AND '.join(clauses)}",
        tuple(params),
    )


def commands(conn: Connection, f: dict[str, Any], limit: int = 50) -> dict[str, Any]:
    """The commands (tools, for tools that are not shells) that put the most tokens into
    contexts, ranked by compounded tokens: what their outputs cost on every later turn."""
    cond, params = where(f)
    later, later_params = _later_turns_sql(f)
    found = rows(
        conn,
        "SELECT x.command AS command, x.tool AS tool,"
        " COALESCE(SUM(x.new_parts), 0) AS runs,"
        " COUNT(DISTINCT c.session) AS sessions,"
        " COALESCE(SUM(x.new_tokens_before), 0) AS tokens_before,"
        " COALESCE(SUM(x.new_tokens_after), 0) AS tokens_after,"
        " COALESCE(SUM(x.new_tokens_before * t.later), 0) AS compounded_before,"
        " COALESCE(SUM(x.new_tokens_after * t.later), 0) AS compounded_after"
        " FROM composition x JOIN calls c ON c.id = x.call_id"
        f" JOIN ({later}) t ON t.id = x.call_id"
        f" WHERE {cond} AND x.kind = 'tool_outputs' AND x.new_parts > 0"
        " GROUP BY x.command, x.tool"
        " ORDER BY compounded_after DESC, tokens_after DESC, command LIMIT ?",
        (*later_params, *params, int(limit)),
    )
    for r in found:
        r["tokens_saved"] = r["tokens_before"] - r["tokens_after"]
        r["compounded_saved"] = r["compounded_before"] - r["compounded_after"]
    return {**_echo(f), "commands": found}


def session_turns(conn: Connection, session_id: str) -> list[dict[str, Any]]:
    """One session, call by call: the context split by kind (as sent), what the turn added
    (its new parts), the blocks compressed, cost, and what marks the turn (a retry, a
    routed model, a fallback, an error)."""
    calls = rows(
        conn,
        "SELECT id, ts, model, cost_usd, saved_usd, retry, routed_model, requested_model,"
        " fallback, error, input_tokens, cache_read_input_tokens,"
        " cache_creation_input_tokens, output_tokens"
        " FROM calls WHERE session = ? AND endpoint != 'count_tokens' ORDER BY ts, id",
        (session_id,),
    )
    if not calls:
        return []
    ids = tuple(c["id"] for c in calls)
    marks = ",".join("?" * len(ids))
    parts: dict[int, list[dict[str, Any]]] = {}
    for r in rows(
        conn,
        "SELECT call_id, kind, tokens_before, tokens_after, new_tokens_before, new_tokens_after"
        f" FROM composition WHERE call_id IN ({marks})",
        ids,
    ):
        parts.setdefault(r["call_id"], []).append(r)
    blocks: dict[int, list[dict[str, Any]]] = {}
    for r in rows(
        conn,
        "SELECT call_id, tool, kind, tokens_before, tokens_after, cached FROM blocks"
        f" WHERE call_id IN ({marks}) ORDER BY id",
        ids,
    ):
        if r["tokens_after"] < r["tokens_before"] and not r["cached"]:
            blocks.setdefault(r["call_id"], []).append(
                {k: r[k] for k in ("tool", "kind", "tokens_before", "tokens_after")}
            )
    out = []
    for turn, c in enumerate(calls, 1):
        mine = parts.get(c["id"], [])
        marks_: list[str] = []
        if c["retry"]:
            marks_.append("retry")
        if c["routed_model"]:
            marks_.append(f"routed to {c['routed_model']}")
        if c["fallback"]:
            marks_.append("fallback")
        if c["error"]:
            marks_.append("error")
        out.append(
            {
                "turn": turn,
                "id": c["id"],
                "ts": c["ts"],
                "model": c["model"],
                "cost_usd": c["cost_usd"],
                "saved_usd": c["saved_usd"],
                "context": _by_kind(mine, "tokens_after"),
                "context_before": _by_kind(mine, "tokens_before"),
                "added": _by_kind(mine, "new_tokens_after"),
                "compressed": blocks.get(c["id"], []),
                "markers": marks_,
            }
        )
    return out


def session_detail(conn: Connection, session_id: str) -> dict[str, Any] | None:
    turns = session_turns(conn, session_id)
    if not turns:
        return None
    return {"session": session_id, "turns": turns}


def day_bucket(ts: float) -> str:
    return day_key(ts // DAY)
