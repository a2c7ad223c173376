"""The dashboard at ``GET /`` of the stats port: one HTML page, charts drawn server-side
as inline SVG, inline CSS, no script and nothing fetched from anywhere.

The views FinOps leads ask for: spend this month against the budget with a linear
month-end forecast, spend per team per day (stacked), each model's share of spend
and of calls, what compression saved, the most expensive calls, sessions with their
context growth, and active alerts. Every string that came from a request (team,
model, session names) is escaped.
"""

from __future__ import annotations

import calendar
import itertools
import time
from datetime import UTC, datetime
from html import escape
from typing import Any

from trimline.metering import api, queries, stats
from trimline.metering.dashboard import context, session
from trimline.metering.dashboard.charts import LEFT, RIGHT, axis, nice_ticks, stacked_bars, usd_tick
from trimline.metering.store import Connection

COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f")
OTHER_COLOR = "#bab0ac"
TEAM_DAYS = 14
MAX_TEAMS = 7


def usd(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:,.2f}" if abs(value) >= 100 else f"${value:,.4f}"


def num(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _label(value: str | None) -> str:
    return escape(value) if value else "<em>untagged</em>"


def spend_chart(spend: dict[str, Any], now: float) -> str:
    """Cumulative spend this month, the forecast to month end, the budget line."""
    now_dt = datetime.fromtimestamp(now, UTC)
    days_in_month = calendar.monthrange(now_dt.year, now_dt.month)[1]
    month = spend["month"]
    daily = {d["day"]: d["cost_usd"] for d in spend["days"] if d["day"].startswith(month)}
    cumulative, total = [], 0.0
    for day in range(1, now_dt.day + 1):
        total += daily.get(f"{month}-{day:02d}", 0.0)
        cumulative.append(total)
    forecast = spend["forecast_month_end_usd"]
    budget = spend["month_budget_usd"]
    ticks = nice_ticks(max([forecast, budget or 0.0, *cumulative]))
    top = ticks[-1] or 1.0
    h, plot_top = 260, 20
    plot_h = h - 30 - plot_top

    def x(day: float) -> float:
        return LEFT + (day - 1) / max(1, days_in_month - 1) * (RIGHT - LEFT)

    def y(value: float) -> float:
        return plot_top + plot_h - value / top * plot_h

    step = ticks[1] - ticks[0]
    parts = [f'<svg width="100%" height="{h}" role="img" aria-label="spend">']
    parts.append(axis(ticks, y, lambda v: usd_tick(v, step)))
    for day in (1, 8, 15, 22, days_in_month):
        anchor = "end" if day == days_in_month else "middle"
        parts.append(
            f'<text x="{x(day):.2f}%" y="{h - 8}" text-anchor="{anchor}">{month}-{day:02d}</text>'
        )
    points = [(x(i + 1), y(v)) for i, v in enumerate(cumulative)]
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        parts.append(
            f'<line x1="{x1:.2f}%" y1="{y1:.1f}" x2="{x2:.2f}%" y2="{y2:.1f}" class="actual"/>'
        )
    parts.append(
        f'<circle cx="{x(now_dt.day):.2f}%" cy="{y(cumulative[-1]):.1f}" r="4" fill="#4e79a7"/>'
        f'<text x="{x(now_dt.day) + 0.6:.2f}%" y="{y(cumulative[-1]) - 8:.1f}" class="note">'
        f"to date {usd(cumulative[-1])}</text>"
    )
    parts.append(
        f'<line x1="{x(now_dt.day):.2f}%" y1="{y(cumulative[-1]):.1f}"'
        f' x2="{x(days_in_month):.2f}%" y2="{y(forecast):.1f}" class="forecast"/>'
        f'<text x="{x(days_in_month) - 0.4:.2f}%" y="{y(forecast) - 6:.1f}" text-anchor="end"'
        f' class="note">forecast {usd(forecast)}</text>'
    )
    if budget is not None:
        parts.append(
            f'<line x1="{LEFT}%" x2="{RIGHT}%" y1="{y(budget):.1f}" y2="{y(budget):.1f}"'
            f' class="budget"/><text x="{LEFT + 0.5}%" y="{y(budget) - 6:.1f}" class="note">'
            f"budget {usd(budget)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def daily_chart(spend: dict[str, Any]) -> str:
    """Spend per day with what compression saved stacked on top (what it would have cost)."""
    days = spend["days"]
    svg = stacked_bars(
        [d["day"][5:] for d in days],
        [
            ("spent", COLORS[0], [d["cost_usd"] for d in days]),
            ("saved", "#8cd17d", [d["saved_usd"] for d in days]),
        ],
        height=200,
        money=True,
        aria="daily",
        every=5,
    )
    legend = (
        f'<span class="key"><i style="background:{COLORS[0]}"></i>spent</span>'
        '<span class="key"><i style="background:#8cd17d"></i>saved by compression</span>'
    )
    return svg + f"<p>{legend}</p>"


def team_chart(rows: list[dict[str, Any]], days: list[str]) -> tuple[str, str]:
    """Stacked daily spend per team; the biggest teams by name, the rest as one."""
    spend: dict[str, float] = {}
    for r in rows:
        spend[r["key"] or ""] = spend.get(r["key"] or "", 0.0) + r["cost_usd"]
    named = sorted(spend, key=lambda k: -spend[k])[:MAX_TEAMS]
    color = {team: COLORS[i % len(COLORS)] for i, team in enumerate(named)}
    stacks: dict[str, dict[str, float]] = {d: {} for d in days}
    for r in rows:
        team = r["key"] or ""
        team = team if team in color else "\0other"
        if r["day"] in stacks:
            stacks[r["day"]][team] = stacks[r["day"]].get(team, 0.0) + r["cost_usd"]
    series = [
        (
            "other teams" if team == "\0other" else (team or "untagged"),
            color.get(team, OTHER_COLOR),
            [stacks[d].get(team, 0.0) for d in days],
        )
        for team in [*named, "\0other"]
    ]
    svg = stacked_bars([d[5:] for d in days], series, money=True, aria="teams")
    legend = "".join(
        f'<span class="key"><i style="background:{color[t]}"></i>{_label(t)} {usd(spend[t])}</span>'
        for t in named
    )
    if len(spend) > len(named):
        rest = sum(v for k, v in spend.items() if k not in color)
        legend += f'<span class="key"><i style="background:{OTHER_COLOR}"></i>other teams {usd(rest)}</span>'
    return svg, legend


def model_bars(rows: list[dict[str, Any]]) -> str:
    """Each model's share of spend beside its share of calls."""
    cost = sum(r["cost_usd"] for r in rows) or 1e-9
    calls = sum(r["requests"] for r in rows) or 1
    out = [
        '<table class="share"><tr><th>model</th><th>spend</th><th colspan=2>share of spend</th>'
        "<th colspan=2>share of calls</th></tr>"
    ]
    for i, r in enumerate(rows[:10]):
        spend_share = r["cost_usd"] / cost * 100
        call_share = r["requests"] / calls * 100
        color = COLORS[i % len(COLORS)]
        out.append(
            f"<tr><td>{_label(r['key'])}</td><td class=n>{usd(r['cost_usd'])}</td>"
            f'<td class="bar"><svg width="100%" height="14"><rect width="{spend_share:.1f}%"'
            f' height="14" fill="{color}"/></svg></td><td class=n>{spend_share:.1f}%</td>'
            f'<td class="bar"><svg width="100%" height="14"><rect width="{call_share:.1f}%"'
            f' height="14" fill="{OTHER_COLOR}"/></svg></td><td class=n>{call_share:.1f}%</td></tr>'
        )
    out.append("</table>")
    return "".join(out)


def _table(headers: list[str], body: list[list[str]], empty: str) -> str:
    if not body:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in body)
    return f"<table><tr>{head}</tr>{rows}</table>"


CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:0 0 10px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:14px 18px;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap} .card{background:#fff;border:1px solid #ddd;
border-radius:6px;padding:10px 16px;min-width:150px} .card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%} th,td{padding:3px 8px;border-bottom:1px solid #eee;
text-align:left;white-space:nowrap} td.n{text-align:right;font-variant-numeric:tabular-nums}
svg text{font-size:11px;fill:#555} .grid{stroke:#eee} .actual{fill:none;stroke:#4e79a7;stroke-width:2.5}
.forecast{stroke:#4e79a7;stroke-dasharray:6 4;stroke-width:2} .budget{stroke:#e15759;stroke-width:2}
.note{font-size:12px;fill:#333} h3{font-size:14px;margin:10px 0 4px}
td.wrap{white-space:normal;min-width:16em} td.bar{width:30%} .scroll{overflow-x:auto}
i.sw{display:inline-block;width:10px;height:10px;margin-right:4px} a{color:#2a5d9f} .key{margin-right:14px} .key i{display:inline-block;width:10px;
height:10px;margin-right:4px} .empty{color:#777} .alert{color:#a40000} .muted{color:#777}
"""


def _amount(budget: dict[str, Any], field: str) -> str:
    value = budget.get(field)
    if value is None:
        return "–"
    return f"{num(round(value))} tokens" if budget.get("unit") == "tokens" else usd(value)


def render(conn: Connection, now: float | None = None) -> str:
    now = time.time() if now is None else now
    budget_rows = stats.budgets(conn)
    spend = queries.spend(
        conn, days=31, now=now, month_budget_usd=api.month_budget_usd(budget_rows)
    )
    totals = queries.totals(conn)
    first_day = int(now // queries.DAY) - TEAM_DAYS + 1
    days = [queries.day_key(d) for d in range(first_day, first_day + TEAM_DAYS)]
    team_svg, team_legend = team_chart(
        queries.daily_by(conn, "team", float(first_day * queries.DAY)), days
    )
    models = queries.breakdown(conn, "model", limit=50)
    kinds = queries.by_kind(conn)
    top = queries.top_calls(conn, 10, since=now - queries.DAY)
    recent = queries.sessions(conn, limit=10)
    active = [a for a in stats.alerts(conn) if a.get("active", True)]

    would_have = totals["cost_usd"] + totals["saved_usd"]
    saved_share = totals["saved_usd"] / would_have * 100 if would_have else 0.0
    cards = [
        ("spend, all time", usd(totals["cost_usd"])),
        ("month to date", usd(spend["month_to_date_usd"])),
        ("month-end forecast", usd(spend["forecast_month_end_usd"])),
        ("saved by compression", usd(totals["saved_usd"])),
        ("tokens saved", num(totals["tokens_saved"])),
        ("model calls", num(totals["requests"])),
    ]
    budget_line = (
        f"budget {usd(spend['month_budget_usd'])}"
        if spend["month_budget_usd"] is not None
        else "no monthly budget configured"
    )
    html = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>Trimline — spend and savings</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Trimline — spend and savings</h1>",
        f'<p class="muted">as of {when(now)} UTC · money in US dollars · model calls only ·'
        ' <a href="weekly">weekly review</a></p>',
        '<div class="cards" id="cards">',
        *(f'<div class="card">{escape(k)}<b>{v}</b></div>' for k, v in cards),
        "</div>",
        '<section id="alerts"><h2>Active alerts</h2>',
        _table(
            ["time (UTC)", "kind", "scope", "message"],
            [
                [
                    when(a["ts"]) if a.get("ts") else "–",
                    escape(str(a.get("kind") or "")),
                    escape(f"{a.get('scope') or ''} {a.get('name') or ''}".strip()),
                    f'<span class="alert">{escape(str(a.get("message") or ""))}</span>',
                ]
                for a in active
            ],
            "No active alerts.",
        ),
        "</section>",
        '<section id="budgets"><h2>Budgets</h2>',
        _table(
            ["budget", "scope", "window", "limit", "spent", "used", "forecast", "at 100%"],
            [
                [
                    escape(str(b.get("name") or "")),
                    escape(str(b.get("scope") or "")),
                    escape(str(b.get("period") or "")),
                    _amount(b, "amount"),
                    _amount(b, "spent"),
                    f"{b['used_pct']:.0f}%" if b.get("used_pct") is not None else "–",
                    _amount(b, "forecast"),
                    escape(str(b.get("action") or "")),
                ]
                for b in budget_rows
            ],
            "No budgets configured (trimline serve --budgets FILE).",
        ),
        "</section>",
        '<section id="spend"><h2>Spend this month</h2>',
        f'<p>month to date <b data-value="{spend["month_to_date_usd"]}">'
        f"{usd(spend['month_to_date_usd'])}</b> · 7-day average {usd(spend['avg_daily_7d_usd'])}/day"
        f" · forecast {usd(spend['forecast_month_end_usd'])} · {budget_line}</p>",
        spend_chart(spend, now),
        f"<h2>Spend per day, last {len(spend['days'])} days</h2>",
        daily_chart(spend),
        "</section>",
        f'<section id="teams"><h2>Spend per team, last {TEAM_DAYS} days</h2>',
        team_svg,
        f"<p>{team_legend}</p></section>",
        '<section id="models"><h2>Models: share of spend and of calls</h2>',
        model_bars(models),
        "</section>",
        '<section id="savings"><h2>Savings</h2>',
        f'<p>compression removed <b data-value="{totals["tokens_saved"]}">'
        f"{num(totals['tokens_saved'])}</b> tokens and saved"
        f' <b data-value="{totals["saved_usd"]}">{usd(totals["saved_usd"])}</b>'
        f" ({saved_share:.1f}% of what the calls would have cost), priced as the tokens would"
        " have been billed (cache reads at the cache-read rate).</p>",
        _table(
            ["compressor", "blocks", "tokens before", "tokens after", "tokens saved", "$ saved"],
            [
                [
                    escape(k["key"]),
                    num(k["blocks"]),
                    num(k["tokens_before"]),
                    num(k["tokens_after"]),
                    num(k["tokens_saved"]),
                    usd(k["saved_usd"]),
                ]
                for k in kinds
            ],
            "No tool output compressed yet.",
        ),
        "</section>",
        context.composition_section(conn, now),
        context.producers_section(conn, now),
        '<section id="top-calls"><h2>Most expensive calls, last 24 hours</h2>',
        _table(
            ["time (UTC)", "team", "model", "session", "context tokens", "output", "cost"],
            [
                [
                    when(c["ts"]),
                    _label(c["team"]),
                    escape(c["model"]),
                    context.session_link(c["session"]),
                    num(
                        (c["input_tokens"] or 0)
                        + (c["cache_creation_input_tokens"] or 0)
                        + (c["cache_read_input_tokens"] or 0)
                    ),
                    num(c["output_tokens"]),
                    usd(c["cost_usd"]),
                ]
                for c in top
            ],
            "No priced calls in the last 24 hours.",
        ),
        "</section>",
        '<section id="sessions"><h2>Recent sessions</h2>',
        _table(
            ["session", "team", "turns", "context first → last", "growth/turn", "cost", "saved"],
            [
                [
                    context.session_link(s["session"]),
                    _label(s["team"]),
                    num(s["turns"]),
                    f"{num(s['context_first'])} → {num(s['context_last'])}",
                    num(s["context_growth_per_turn"]),
                    usd(s["cost_usd"]),
                    usd(s["saved_usd"]),
                ]
                for s in recent
            ],
            "No sessions yet.",
        ),
        "</section>",
        "</section></body></html>",
    ]
    return "\n".join(html)


def session_page(conn: Connection, session_id: str) -> str | None:
    """The page of one session, or None if there is no such session."""
    return session.render(conn, session_id, usd, when, CSS)
