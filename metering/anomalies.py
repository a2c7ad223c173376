"""Spend anomalies, found in recorded calls off the request path.

- hourly spike: the current hour's spend over ``hourly_spike_factor`` times the average of
  the active hours (hours with any spend) of the 7 days before it, overall and per team.
  Active hours, not all 168: coding agents work office hours, and an average over nights
  and weekends would call every working hour a spike.
- call outlier: a call over ``call_outlier_factor`` times the median cost of the last 1,000
  priced calls before it; once per session and hour.
- session outlier: a session over ``session_factor`` times the average of its team's other
  sessions of the last 7 days; once per session.

Retry loops are caught on the request path, in memory (``addons.retries``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from trimline.metering.alerts import Alert
from trimline.metering.budgets import Anomalies

HOUR = 3600.0
WEEK = 7 * 86400.0
MEDIAN_SAMPLE = 1000
_PRICED = "endpoint != 'count_tokens' AND cost_usd IS NOT NULL"


def hourly_spikes(conn: Any, rules: Anomalies, now: float) -> list[Alert]:
    hour = (now // HOUR) * HOUR
    rows = conn.execute(
        "SELECT team, FLOOR(ts / 3600) AS h, SUM(cost_usd) FROM calls"
        f" WHERE ts >= ? AND ts < ? AND {_PRICED} GROUP BY team, FLOOR(ts / 3600)",
        (hour - WEEK, hour + HOUR),
    ).fetchall()
    current = int(hour // HOUR)
    # Per team, and overall under '*': spend per hour bucket.
    buckets: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for team, h, spent in rows:
        buckets["*"][int(h)] += float(spent or 0)
        if team is not None:
            buckets[team][int(h)] += float(spent or 0)
    out = []
    for who, hours in buckets.items():
        now_spent = hours.get(current, 0.0)
        past = [v for h, v in hours.items() if h != current and v > 0]
        if not past or now_spent < rules.spike_min_usd:
            continue
        average = sum(past) / len(past)
        if now_spent <= rules.hourly_spike_factor * average:
            continue
        scope = "all teams" if who == "*" else f"team {who!r}"
        out.append(
            Alert(
                kind="hourly_spike",
                dedupe_key=f"spike:{who}:{current}",
                subject=str(who),
                message=(
                    f"spend spike, {scope}: ${now_spent:,.2f} this hour, "
                    f"{now_spent / average:.1f}x the 7-day average of ${average:,.2f} per active hour"
                ),
                value=now_spent,
                threshold=rules.hourly_spike_factor * average,
                details={
                    "team": None if who == "*" else who,
                    "hour_start": hour,
                    "average": average,
                },
                ts=now,
            )
        )
    return out


def call_outliers(
    conn: Any, rules: Anomalies, now: float, after_id: int = 0
) -> tuple[list[Alert], int]:
    """Outliers among calls recorded after ``after_id``; also the last id looked at."""
    new = conn.execute(
        f"SELECT id, ts, session, team, model, cost_usd FROM calls WHERE id > ? AND {_PRICED}"
        " ORDER BY id",
        (after_id,),
    ).fetchall()
    if not new:
        return [], after_id
    last_id = int(new[-1][0])
    sample = [
        float(c)
        for (c,) in conn.execute(
            f"SELECT cost_usd FROM calls WHERE id <= ? AND {_PRICED} ORDER BY id DESC LIMIT ?",
            (int(new[0][0]) - 1, MEDIAN_SAMPLE),
        ).fetchall()
    ]
    if len(sample) < rules.min_calls:
        return [], last_id
    median = statistics.median(sample)
    if median <= 0:
        return [], last_id
    out = []
    for call_id, ts, session, team, model, call_cost in new:
        if call_cost <= rules.call_outlier_factor * median:
            continue
        out.append(
            Alert(
                kind="call_outlier",
                dedupe_key=f"call:{session}:{int(ts // HOUR)}",
                subject=session,
                message=(
                    f"expensive call: ${call_cost:,.4f} on {model} in session {session}"
                    f"{f' (team {team!r})' if team else ''}, "
                    f"{call_cost / median:.0f}x the median call (${median:,.4f})"
                ),
                value=float(call_cost),
                threshold=rules.call_outlier_factor * median,
                details={
                    "call_id": int(call_id),
                    "session": session,
                    "team": team,
                    "model": model,
                    "median": median,
                },
                ts=now,
            )
        )
    return out, last_id


def session_outliers(conn: Any, rules: Anomalies, now: float) -> list[Alert]:
    rows = conn.execute(
        f"SELECT team, session, SUM(cost_usd) FROM calls WHERE ts >= ? AND {_PRICED}"
        " GROUP BY team, session",
        (now - WEEK,),
    ).fetchall()
    by_team: dict[str | None, dict[str, float]] = defaultdict(dict)
    for team, session, spent in rows:
        by_team[team][session] = float(spent or 0)
    out = []
    for team, sessions in by_team.items():
        if len(sessions) < rules.min_sessions:
            continue
        total = sum(sessions.values())
        for session, spent in sessions.items():
            others = (total - spent) / (len(sessions) - 1)
            if others <= 0 or spent <= rules.session_factor * others:
                continue
            who = f"team {team!r}" if team else "calls without a team"
            out.append(
                Alert(
                    kind="session_outlier",
                    dedupe_key=f"session:{session}",
                    subject=session,
                    message=(
                        f"expensive session {session}: ${spent:,.2f}, {spent / others:.1f}x "
                        f"the average session of {who} (${others:,.2f})"
                    ),
                    value=spent,
                    threshold=rules.session_factor * others,
                    details={"session": session, "team": team, "team_average": others},
                    ts=now,
                )
            )
    return out
