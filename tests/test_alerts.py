"""Budget windows, status, threshold alerts and anomaly detection on constructed data."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from trimline.addons.retries import RetryTracker
from trimline.addons.routing.models import smaller_model
from trimline.metering import alerts, anomalies, budgets, store
from trimline.metering.alert_sinks import Webhook
from trimline.metering.alerts import Alert
from trimline.metering.budget_status import budgets_status, threshold_alerts
from trimline.metering.budgets import Anomalies, BudgetFile, BudgetFileError, window_bounds
from trimline.metering.records import CallRecord, Usage

# Wednesday 2026-07-15 12:00 UTC.
NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0
DAY = 86400.0


def call(
    ts: float,
    cost: float,
    *,
    team: str | None = "t",
    session: str = "s",
    project: str | None = None,
    user: str | None = None,
    tokens: tuple[int, int] = (100, 10),
) -> CallRecord:
    return CallRecord(
        ts=ts,
        provider="anthropic",
        endpoint="messages",
        session=session,
        model="claude-sonnet-4-5",
        stream=False,
        status=200,
        team=team,
        project=project,
        user=user,
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]),
        cost_usd=cost,
    )


@pytest.fixture
def conn(store_target: str | Path):
    """A fresh store, once on SQLite and once on PostgreSQL."""
    c = store.connect(store_target)
    yield c
    c.close()


def config(text: str, tmp_path: Path) -> BudgetFile:
    path = tmp_path / "b.toml"
    path.write_text(text)
    return budgets.load(path)


# -- the file -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, problem",
    [
        ('[[budget]]\nname = "x"\nwindow = "day"\n', "exactly one of usd or tokens"),
        ('[[budget]]\nname = "x"\nwindow = "day"\nusd = 1\ntokens = 5\n', "exactly one"),
        ('[[budget]]\nname = "x"\nwindow = "year"\nusd = 1\n', "window"),
        ('[[budget]]\nname = "x"\nwindow = "day"\nusd = -1\n', "greater than 0"),
        ('[[budget]]\nname = "x"\nwindow = "day"\nusd = 1\naction = "kill"\n', "action"),
        ('[[budget]]\nname = "x"\nwindow = "day"\nusd = 1\ndowngrade_to = "m"\n', "downgrade"),
        ('[[budget]]\nname = "x"\nwindow = "day"\nusd = 1\nteem = "t"\n', "teem"),
        ("alert_levels = [0, 50]\n", "alert levels"),
        ('webhook = "hooks.example"\n', "webhook"),
        (
            '[[budget]]\nname = "x"\nwindow = "day"\nusd = 1\n'
            '[[budget]]\nname = "x"\nwindow = "week"\nusd = 1\n',
            "unique",
        ),
        ("[anomalies]\nretry_loop_count = 1\n", "retry_loop_count"),
        ("[[budget]\n", "budgets file"),
    ],
)
def test_a_bad_budgets_file_says_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(BudgetFileError, match=problem):
        config(text, tmp_path)


def test_defaults_without_a_file() -> None:
    c = budgets.load(None)
    assert c.budget == [] and c.alert_levels == [70, 90, 100]
    assert c.anomalies.retry_loop_count == 5 and c.anomalies.retry_loop_seconds == 60
    assert not c.anomalies.circuit_breaker


def test_calendar_windows_in_utc() -> None:
    day = datetime(2026, 7, 15, tzinfo=UTC).timestamp()
    assert window_bounds("day", NOW) == (day, day + DAY)
    monday = datetime(2026, 7, 13, tzinfo=UTC).timestamp()
    assert window_bounds("week", NOW) == (monday, monday + 7 * DAY)
    assert window_bounds("month", NOW) == (
        datetime(2026, 7, 1, tzinfo=UTC).timestamp(),
        datetime(2026, 8, 1, tzinfo=UTC).timestamp(),
    )
    dec = datetime(2026, 12, 31, 23, 59, tzinfo=UTC).timestamp()
    assert window_bounds("month", dec)[1] == datetime(2027, 1, 1, tzinfo=UTC).timestamp()


# -- status and thresholds --------------------------------------------------------

STATUS = """
[[budget]]
name = "t-month"
team = "t"
window = "month"
usd = 100

[[budget]]
name = "t-p-day-tokens"
team = "t"
project = "p"
window = "day"
tokens = 1000
alert_levels = [50]

[[budget]]
name = "u-week"
user = "alice"
window = "week"
usd = 10
action = "block"
"""


def test_status_burn_rate_and_forecast(conn, tmp_path: Path) -> None:
    c = config(STATUS, tmp_path)
    records = [
        # $2 a day for the 7 days before now.
        *[call(NOW - d * DAY, 2.0) for d in range(1, 8)],
        call(NOW - HOUR, 1.0, project="p", tokens=(400, 200)),  # today: 600 tokens
        call(NOW - 2 * HOUR, 3.0, team="other", user="alice"),
        call(NOW - 30 * DAY, 50.0),  # long ago
    ]
    store.write(conn, records)
    rows = {r["name"]: r for r in budgets_status(conn, c, NOW)}
    month = rows["t-month"]
    assert month["spent"] == pytest.approx(7 * 2.0 + 1.0)
    # The last 7 days: 7 × $2 plus today's $1, over the 7 days they cover.
    assert month["burn_per_day"] == pytest.approx(15.0 / 7)
    days_left = (datetime(2026, 8, 1, tzinfo=UTC).timestamp() - NOW) / DAY
    assert month["forecast"] == pytest.approx(month["spent"] + 15.0 / 7 * days_left)
    assert month["forecast_month_end"] == month["forecast"]
    assert month["used_pct"] == pytest.approx(15.0)
    tokens = rows["t-p-day-tokens"]
    assert (tokens["unit"], tokens["spent"], tokens["used_pct"]) == ("tokens", 600, 60.0)
    assert tokens["level_crossed"] == 50
    week = rows["u-week"]
    assert week["spent"] == 3.0 and week["action"] == "block"
    assert week["remaining"] == 7.0


def test_threshold_alerts_fire_once_per_window(conn, tmp_path: Path) -> None:
    c = config(STATUS, tmp_path)
    store.write(conn, [call(NOW - HOUR, 75.0)])
    fired = [a for a in threshold_alerts(conn, c, NOW) if alerts.record(conn, a)]
    assert [(a.subject, a.threshold) for a in fired] == [("t-month", 70.0)]
    # Checked again, and after more spend within the level: nothing new.
    store.write(conn, [call(NOW - HOUR, 5.0)])
    assert [a for a in threshold_alerts(conn, c, NOW + 60) if alerts.record(conn, a)] == []
    store.write(conn, [call(NOW, 20.0)])
    fired = [a for a in threshold_alerts(conn, c, NOW + 120) if alerts.record(conn, a)]
    assert sorted(a.threshold for a in fired) == [90.0, 100.0]
    assert "action: notify" in next(a.message for a in fired if a.threshold == 100)
    # A new month is a new window: the levels fire again once its spend reaches them.
    august = datetime(2026, 8, 2, tzinfo=UTC).timestamp()
    assert [a for a in threshold_alerts(conn, c, august) if alerts.record(conn, a)] == []
    store.write(conn, [call(august, 71.0)])
    fired = [a for a in threshold_alerts(conn, c, august + 60) if alerts.record(conn, a)]
    assert [a.threshold for a in fired] == [70.0]
    listed = alerts.alerts(conn)
    assert [a["threshold"] for a in listed] == [70.0, 100.0, 90.0, 70.0]  # newest first
    assert len(alerts.alerts(conn, since=august)) == 1
    assert listed[0]["details"]["budget"] == "t-month"


# -- anomalies --------------------------------------------------------------------

RULES = Anomalies(min_calls=20, min_sessions=5)


def test_an_hourly_spike_over_three_times_the_active_hour_average(conn) -> None:
    hour = (NOW // HOUR) * HOUR
    # A week of office hours at $2 an hour, for two teams.
    history = [
        call(hour - d * DAY + h * HOUR, 2.0, team=team)
        for d in range(1, 8)
        for h in range(-4, 4)
        for team in ("t", "u")
    ]
    store.write(conn, history)
    store.write(conn, [call(hour + 60, 5.0, team="t"), call(hour + 120, 1.0, team="u")])
    assert anomalies.hourly_spikes(conn, RULES, NOW) == []  # t: 2.5x; all: 1.5x
    store.write(conn, [call(hour + 180, 2.0, team="t")])
    found = anomalies.hourly_spikes(conn, RULES, NOW)
    assert [(a.subject, a.value) for a in found] == [("t", 7.0)]
    assert "3.5x" in found[0].message and found[0].threshold == pytest.approx(6.0)
    store.write(conn, [call(hour + 240, 10.0, team="u")])
    subjects = {a.subject for a in anomalies.hourly_spikes(conn, RULES, NOW)}
    assert subjects == {"*", "t", "u"}  # all teams: $18 against $4 an hour


def test_no_spike_without_history_or_under_the_minimum(conn) -> None:
    hour = (NOW // HOUR) * HOUR
    store.write(conn, [call(hour + 1, 50.0)])
    assert anomalies.hourly_spikes(conn, RULES, NOW) == []
    store.write(conn, [call(hour - DAY, 0.01)])
    store.write(conn, [call(hour - 2 * DAY, 0.01)])
    small = Anomalies(spike_min_usd=100.0)
    assert anomalies.hourly_spikes(conn, small, NOW) == []
    assert len(anomalies.hourly_spikes(conn, RULES, NOW)) == 2


def test_a_call_over_ten_times_the_median(conn) -> None:
    store.write(conn, [call(NOW - 100 + i, 0.01 * (1 + i % 3), session="a") for i in range(30)])
    found, last = anomalies.call_outliers(conn, RULES, NOW, 0)
    assert found == []  # the first calls have no median before them
    store.write(conn, [call(NOW, 0.19, session="b"), call(NOW + 1, 0.21, session="c")])
    found, last2 = anomalies.call_outliers(conn, RULES, NOW, last)
    assert last2 == last + 2
    # The median is $0.02: $0.21 is over 10x, $0.19 is not.
    assert [(a.subject, a.value) for a in found] == [("c", 0.21)]
    assert found[0].details["median"] == pytest.approx(0.02)
    assert anomalies.call_outliers(conn, RULES, NOW, last2) == ([], last2)


def test_too_few_calls_for_a_median(conn) -> None:
    store.write(conn, [call(NOW - 10 + i, 0.01) for i in range(5)] + [call(NOW, 5.0)])
    assert anomalies.call_outliers(conn, RULES, NOW, 5)[0] == []


def test_a_session_over_three_times_its_teams_average(conn) -> None:
    sessions = [call(NOW - HOUR, 1.0, session=f"s{i}") for i in range(5)]
    sessions += [call(NOW - HOUR, 1.0, session=f"o{i}", team="other") for i in range(3)]
    store.write(conn, sessions)
    store.write(conn, [call(NOW, 3.0, session="s0")])  # $4: 4x the others' $1
    store.write(conn, [call(NOW, 9.0, session="o0", team="other")])  # a team of 3: too few
    found = anomalies.session_outliers(conn, RULES, NOW)
    assert [(a.subject, a.value) for a in found] == [("s0", 4.0)]
    assert "team 't'" in found[0].message


# -- retries, webhook, smaller models -----------------------------------------------


def test_retries_and_retry_loops() -> None:
    tracker = RetryTracker(retry_window_s=30, loop_count=3, loop_seconds=60)
    key = RetryTracker.key("s", b'{"a":1}')
    assert RetryTracker.key("t", b'{"a":1}') != key
    assert tracker.observe(key, 0) == (False, 1, False)
    assert tracker.observe(key, 10) == (True, 2, False)
    assert tracker.observe(key, 20) == (True, 3, True)  # a loop: announced once
    assert tracker.observe(key, 25) == (True, 3, False)
    assert tracker.observe(key, 50) == (True, 3, False)
    assert tracker.observe(key, 130) == (False, 1, False)  # too late to be a retry; calm again
    assert tracker.observe(key, 140) == (True, 2, False)
    assert tracker.observe(key, 150) == (True, 3, True)  # a new loop


def test_the_webhook_posts_slack_text_and_survives_a_dead_receiver() -> None:
    got: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    alert = Alert("hourly_spike", "k", "t", "spend spike, team 't'")
    hook = Webhook(f"http://127.0.0.1:{httpd.server_address[1]}/x", timeout=2)
    hook(alert)
    hook.close()
    assert hook.sent == 1 and b'"text":":rotating_light: Trimline: spend spike' in got[0]
    httpd.shutdown()
    httpd.server_close()
    dead = Webhook(f"http://127.0.0.1:{httpd.server_address[1]}/x", timeout=1)
    started = time.monotonic()
    dead(alert)  # returns at once: posting happens on the webhook's thread
    assert time.monotonic() - started < 0.5
    dead.close()
    assert dead.failed == 1 and dead.sent == 0


@pytest.mark.parametrize(
    "provider, model, smaller",
    [
        ("anthropic", "claude-opus-4-7", "claude-haiku-4-5"),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-haiku-4-5"),
        ("anthropic", "claude-haiku-4-5", None),
        ("openai", "gpt-5", "gpt-5-mini"),
        ("openai", "gpt-4.1-2025-04-14", "gpt-4.1-mini"),
        ("openai", "gpt-5-mini", None),
        ("openai", "o3", None),
        ("other", "m", None),
    ],
)
def test_smaller_model(provider: str, model: str, smaller: str | None) -> None:
    assert smaller_model(provider, model) == smaller
