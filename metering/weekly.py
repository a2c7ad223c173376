"""The weekly review (``trimline report --weekly``): spend and budget variance per team,
the top cost drivers (projects, sessions, commands), compression opportunities (command
families still sent with little compression, the largest compounded tool outputs) and
what compression and routing saved. Markdown, or the same tables as HTML.

Every figure is a stats-API figure over the same window (``/stats/by/team``,
``/stats/commands``, ``/stats/totals``...), so the review and the dashboard agree.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from html import escape
from typing import Any

from trimline.metering import composition_stats as cs
from trimline.metering import queries, stats
from trimline.metering.budgets import BudgetFile
from trimline.metering.store import Connection

WEEK = 7 * 86400
TOP = 10
# A command family counts as an opportunity when it sent at least this many tokens and
# compression took off less than this share of them.
OPPORTUNITY_TOKENS = 1000
LITTLE = 0.10


def usd(value: float | None) -> str:
    return "–" if value is None else f"${value:,.4f}"


def num(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _routing_saved(conn: Connection, since: float, until: float | None) -> dict[str, Any]:
    cond, params = queries.where(since, until)
    (row,) = queries.rows(
        conn,
        "SELECT COALESCE(SUM(CASE WHEN routed_model IS NOT NULL THEN 1 ELSE 0 END), 0)"
        " AS routed_calls, ROUND(COALESCE(SUM(CASE WHEN routed_model IS NOT NULL AND"
        " fallback = 0 THEN counterfactual_usd - cost_usd END), 0), 6) AS routing_saved_usd"
        f" FROM calls WHERE {cond}",
        params,
    )
    return row


def review(
    conn: Connection,
    since: float | None = None,
    until: float | None = None,
    budgets: BudgetFile | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The review's figures: title, and sections of (heading, note, columns, rows)."""
    now = time.time() if now is None else now
    until_ts = until if until is not None else now
    since = since if since is not None else until_ts - WEEK
    span = until_ts - since
    totals = queries.totals(conn, since, until)
    routing = _routing_saved(conn, since, until)
    previous = {
        r["key"]: r["cost_usd"] for r in queries.breakdown(conn, "team", since - span, since)
    }
    team_budgets: dict[str, list[dict[str, Any]]] = {}
    for b in stats.budgets(conn, budgets) if budgets is not None else []:
        if b.get("team") and b.get("unit") == "usd":
            team_budgets.setdefault(b["team"], []).append(b)
    teams = []
    for r in queries.breakdown(conn, "team", since, until):
        before = previous.get(r["key"])
        change = None if not before else (r["cost_usd"] - before) / before * 100
        mine = team_budgets.get(r["key"] or "", [])
        limit = sum(b["limit"] for b in mine) if mine else None
        forecast = sum(b["forecast"] for b in mine) if mine else None
        teams.append(
            [
                r["key"] or "untagged",
                usd(r["cost_usd"]),
                usd(before),
                "–" if change is None else f"{change:+.0f}%",
                usd(limit),
                usd(forecast),
                "–" if limit is None else usd(forecast - limit),
            ]
        )
    f = {"since": since, "until": until}
    commands = cs.commands(conn, f, 200)["commands"]
    little = [
        c
        for c in commands
        if c["tokens_before"] >= OPPORTUNITY_TOKENS
        and c["tokens_before"] - c["tokens_after"] < LITTLE * c["tokens_before"]
    ]
    little.sort(key=lambda c: -c["compounded_after"] - c["tokens_after"])
    projects = queries.breakdown(conn, "project", since, until, TOP)
    sessions = queries.breakdown(conn, "session", since, until, TOP)

    def command_row(c: dict[str, Any]) -> list[str]:
        return [
            c["command"],
            c["tool"],
            num(c["runs"]),
            num(c["tokens_after"]),
            num(c["compounded_after"]),
            num(c["tokens_saved"] + c["compounded_saved"]),
        ]

    command_cols = ["command", "tool", "runs", "tokens sent", "tokens compounded", "tokens saved"]
    would_have = totals["cost_usd"] + totals["saved_usd"]
    return {
        "title": f"Trimline weekly review, {_day(since)} to {_day(until_ts)} (UTC)",
        "summary": [
            ["spend", usd(totals["cost_usd"])],
            ["model calls", num(totals["requests"])],
            ["saved by compression", usd(totals["saved_usd"])],
            ["tokens compression removed", num(totals["tokens_saved"])],
            ["saved by routing", usd(routing["routing_saved_usd"])],
            ["calls routed to a smaller model", num(routing["routed_calls"])],
            [
                "share of what the calls would have cost",
                f"{totals['saved_usd'] / would_have * 100:.1f}%" if would_have else "–",
            ],
        ],
        "sections": [
            (
                "Spend and budget variance per team",
                "change: against the week before; variance: the budgets' forecast for their"
                " window minus their limit (positive: over budget)",
                ["team", "spend", "week before", "change", "budget", "forecast", "variance"],
                teams,
            ),
            (
                "Top cost drivers: projects",
                "",
                ["project", "spend", "calls"],
                [
                    [r["key"] or "untagged", usd(r["cost_usd"]), num(r["requests"])]
                    for r in projects
                ],
            ),
            (
                "Top cost drivers: sessions",
                "",
                ["session", "spend", "calls", "tokens saved"],
                [
                    [r["key"], usd(r["cost_usd"]), num(r["requests"]), num(r["tokens_saved"])]
                    for r in sessions
                ],
            ),
            (
                "Top cost drivers: commands",
                "compounded: an output's tokens times the later turns of its session that"
                " re-sent it",
                command_cols,
                [command_row(c) for c in commands[:TOP]],
            ),
            (
                "Compression opportunities: sent with little compression",
                f"command families that sent at least {OPPORTUNITY_TOKENS:,} tokens and lost"
                f" less than {LITTLE:.0%} of them to compression",
                command_cols,
                [command_row(c) for c in little[:TOP]],
            ),
            (
                "Compression opportunities: largest compounded tool outputs",
                "",
                command_cols,
                [command_row(c) for c in commands[:TOP] if c["compounded_after"] > 0],
            ),
        ],
    }


def _md_table(columns: list[str], body: list[list[str]]) -> str:
    if not body:
        return "_nothing in this window_"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
    return "\n".join(lines)


def _html_table(columns: list[str], body: list[list[str]]) -> str:
    if not body:
        return "<p><em>nothing in this window</em></p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><tr>{head}</tr>{rows}</table>"


def render_weekly(
    conn: Connection,
    fmt: str = "md",
    since: float | None = None,
    until: float | None = None,
    budgets: BudgetFile | None = None,
    now: float | None = None,
) -> str:
    r = review(conn, since, until, budgets, now)
    if fmt == "html":
        out = [
            "<!doctype html><html lang=en><head><meta charset=utf-8>",
            f"<title>{escape(r['title'])}</title>",
            "<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px}table{border-collapse:"
            "collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}</style>",
            f"</head><body><h1>{escape(r['title'])}</h1>",
            _html_table(["", ""], r["summary"]),
        ]
        for heading, note, columns, body in r["sections"]:
            out.append(f"<h2>{escape(heading)}</h2>")
            if note:
                out.append(f"<p>{escape(note)}</p>")
            out.append(_html_table(columns, body))
        out.append("</body></html>")
        return "\n".join(out) + "\n"
    out = [f"# {r['title']}", "", _md_table(["", ""], r["summary"])]
    for heading, note, columns, body in r["sections"]:
        out += ["", f"## {heading}", ""]
        if note:
            out += [f"_{note}_", ""]
        out.append(_md_table(columns, body))
    return "\n".join(out) + "\n"
