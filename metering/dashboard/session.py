"""A session's page (``GET /sessions/{id}``): turn by turn, the context sent split by kind,
what each turn added, the blocks compressed and by how much, the cost of each turn and
what marks it (a retry, a routed model, a fallback, an error, an alert)."""

from __future__ import annotations

from html import escape
from typing import Any

from trimline.metering import composition_stats as cs
from trimline.metering import queries, stats
from trimline.metering.composition import KINDS
from trimline.metering.dashboard.charts import stacked_bars
from trimline.metering.dashboard.context import KIND_NAMES, kind_legend, kind_series, n
from trimline.metering.store import Connection


def _blocks(turn: dict[str, Any]) -> str:
    return "<br>".join(
        f"{escape(b['tool'] or '?')} · {escape(b['kind'])}: {n(b['tokens_before'])} → "
        f"{n(b['tokens_after'])} (−{(1 - b['tokens_after'] / b['tokens_before']) * 100:.0f}%)"
        for b in turn["compressed"]
        if b["tokens_before"]
    )


def _alerts(conn: Connection, session: str) -> list[dict[str, Any]]:
    return [a for a in stats.alerts(conn, limit=500) if a.get("subject") == session]


def render(conn: Connection, session: str, usd: Any, when: Any, css: str) -> str | None:
    summary = queries.session(conn, session)
    turns = cs.session_turns(conn, session)
    if summary is None or not turns:
        return None
    alerts = _alerts(conn, session)
    # Kinds this session never sent stay out of the table (the chart's legend has them all).
    kinds = [k for k in KINDS if any(t["context"][k] for t in turns)]
    head = "".join(f"<th>{escape(KIND_NAMES[k])}</th>" for k in kinds)
    rows = []
    for t in turns:
        marks = [escape(m) for m in t["markers"]]
        rows.append(
            f'<tr data-turn="{t["turn"]}"><td class=n>{t["turn"]}</td>'
            f'<td class=n data-value="{t["context"]["total"]}">{n(t["context"]["total"])}</td>'
            f'<td class=n data-value="{t["added"]["total"]}">+{n(t["added"]["total"])}</td>'
            f'<td class=n data-value="{t["cost_usd"]}">{usd(t["cost_usd"])}</td>'
            f'<td class="wrap">{_blocks(t)}</td><td>{", ".join(marks)}</td>'
            + "".join(f"<td class=n>{n(t['context'][k])}</td>" for k in kinds)
            + f"<td>{escape(t['model'])}</td><td>{when(t['ts'])}</td></tr>"
        )
    alert_list = "".join(
        f"<li>{when(a['ts'])} {escape(str(a.get('kind') or ''))}: "
        f"{escape(str(a.get('message') or ''))}</li>"
        for a in alerts
    )
    every = max(1, len(turns) // 20)
    return "\n".join(
        [
            "<!doctype html><html lang=en><head><meta charset=utf-8>",
            f"<title>Trimline — session {escape(session[:60])}</title>",
            f"<style>{css}</style></head><body>",
            '<p><a href="../">← dashboard</a></p>',
            f"<h1>Session {escape(session)}</h1>",
            '<div class="cards" id="session-cards">',
            f'<div class="card">turns<b>{n(summary["turns"])}</b></div>',
            f'<div class="card">team<b>{escape(summary["team"] or "untagged")}</b></div>',
            f'<div class="card">cost<b data-value="{summary["cost_usd"]}">'
            f"{usd(summary['cost_usd'])}</b></div>",
            f'<div class="card">saved by compression<b>{usd(summary["saved_usd"])}</b></div>',
            f'<div class="card">tokens saved<b>{n(summary["tokens_saved"])}</b></div>',
            f'<div class="card">billed context first → last<b>{n(summary["context_first"])} → '
            f"{n(summary['context_last'])}</b></div>",
            "</div>",
            '<section id="turns-chart"><h2>Context sent per turn, by kind</h2>',
            stacked_bars(
                [str(t["turn"]) for t in turns],
                kind_series(turns, "context"),
                height=260,
                aria="context per turn",
                every=every,
            ),
            f"<p>{kind_legend()}</p></section>",
            '<section id="turns"><h2>Turn by turn</h2>',
            '<div class="scroll"><table><tr><th>turn</th><th>context sent</th><th>added</th>'
            "<th>cost</th><th>compressed blocks (tokens before → after)</th><th>markers</th>"
            f"{head}<th>model</th><th>time (UTC)</th></tr>{''.join(rows)}</table></div>"
            "</section>",
            '<section id="markers"><h2>Alerts about this session</h2>',
            f"<ul>{alert_list}</ul>" if alert_list else '<p class="empty">None.</p>',
            "</section></body></html>",
        ]
    )
