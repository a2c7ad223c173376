"""The dashboard's context sections: what contexts are made of (stacked by kind, per day
and per team) and the top context producers (commands ranked by compounded tokens)."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from trimline.metering import composition_stats as cs
from trimline.metering.composition import KINDS
from trimline.metering.dashboard.charts import legend, stacked_bars
from trimline.metering.queries import DAY, day_key
from trimline.metering.store import Connection

KIND_COLORS = {
    "system": "#9c755f",
    "tools": "#b07aa1",
    "conversation": "#4e79a7",
    "tool_calls": "#76b7b2",
    "tool_outputs": "#f28e2b",
    "images": "#59a14f",
    "documents": "#edc948",
}
KIND_NAMES = {
    "system": "system prompt",
    "tools": "tool definitions",
    "conversation": "conversation",
    "tool_calls": "agent's tool calls",
    "tool_outputs": "tool outputs",
    "images": "images",
    "documents": "documents",
}
DAYS = 14
MAX_TEAMS = 12


def n(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def kind_legend() -> str:
    return legend([(escape(KIND_NAMES[k]), KIND_COLORS[k]) for k in KINDS])


def kind_series(rows: list[dict[str, Any]], field: str = "after") -> list:
    return [(KIND_NAMES[k], KIND_COLORS[k], [float(r[field][k]) for r in rows]) for k in KINDS]


def composition_section(conn: Connection, now: float) -> str:
    first = int(now // DAY) - DAYS + 1
    days = [day_key(d) for d in range(first, first + DAYS)]
    f = {"since": float(first * DAY)}
    by_day = {r["key"]: r for r in cs.by(conn, f, "day")["rows"]}
    empty = {"before": dict.fromkeys((*KINDS, "total"), 0)}
    empty["after"] = empty["before"]
    day_rows = [by_day.get(d, empty) for d in days]
    teams = cs.by(conn, f, "team", MAX_TEAMS)["rows"]
    total = cs.totals(conn, f)
    table = "".join(
        f'<tr data-kind="{k}"><td><i class="sw" style="background:{KIND_COLORS[k]}"></i>'
        f"{escape(KIND_NAMES[k])}</td><td class=n>{n(total['before'][k])}</td>"
        f"<td class=n>{n(total['after'][k])}</td>"
        f"<td class=n>{_share(total['after'][k], total['after']['total'])}</td></tr>"
        for k in KINDS
    )
    return "".join(
        [
            f'<section id="composition"><h2>What contexts are made of, last {DAYS} days</h2>',
            '<p class="muted">tokens sent, by kind, counted per call (cl100k) after'
            " compression; billed split: "
            + " · ".join(f"{name.replace('_', ' ')} {n(v)}" for name, v in total["billed"].items())
            + "</p>",
            f"<h3>Per day, last {DAYS} days</h3>",
            stacked_bars([d[5:] for d in days], kind_series(day_rows), aria="composition per day"),
            "<h3>Per team</h3>",  # the largest contexts first
            stacked_bars(
                [r["key"] or "untagged" for r in teams],
                kind_series(teams),
                aria="composition per team",
            )
            if teams
            else '<p class="empty">No composition recorded yet.</p>',
            f"<p>{kind_legend()}</p>",
            "<table><tr><th>kind</th><th>tokens before compression</th>"
            f"<th>tokens sent</th><th>share</th></tr>{table}"
            f'<tr data-kind="total"><td><b>total</b></td><td class=n>{n(total["before"]["total"])}'
            f"</td><td class=n>{n(total['after']['total'])}</td><td></td></tr></table>",
            "</section>",
        ]
    )


def _share(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "–"


def producers_section(conn: Connection, now: float, limit: int = 15) -> str:
    since = float((int(now // DAY) - DAYS + 1) * DAY)
    found = cs.commands(conn, {"since": since}, limit)["commands"]
    if not found:
        body = '<p class="empty">No tool outputs recorded yet.</p>'
    else:
        body = (
            "<table><tr><th>command</th><th>tool</th><th>runs</th><th>tokens in</th>"
            "<th>tokens sent</th><th>tokens compounded</th><th>saved</th></tr>"
            + "".join(
                f'<tr data-command="{escape(c["command"])}"><td>{escape(c["command"])}</td>'
                f"<td>{escape(c['tool'])}</td><td class=n>{n(c['runs'])}</td>"
                f"<td class=n>{n(c['tokens_before'])}</td><td class=n>{n(c['tokens_after'])}</td>"
                f"<td class=n>{n(c['compounded_after'])}</td>"
                f"<td class=n>{n(c['tokens_saved'] + c['compounded_saved'])}</td></tr>"
                for c in found
            )
            + "</table>"
        )
    return (
        f'<section id="producers"><h2>Top context producers, last {DAYS} days</h2>'
        '<p class="muted">tokens in: what the command produced; compounded: those tokens as'
        " sent, times the later turns of the session that re-sent them; saved: what"
        " compression removed, on the first send and on every re-send</p>"
        f"{body}</section>"
    )


def session_link(session: str) -> str:
    """A relative link from the dashboard to a session's page."""
    return f'<a href="sessions/{quote(session, safe="")}">{escape(session[:40])}</a>'
