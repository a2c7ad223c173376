"""A simulated multi-team day: ``python -m benchmarks.day [--scale 1] [--db URL] [--out DIR]``.

Seven days of history (the calls four teams made in their working hours) are written
to a fresh store; then today's traffic — about 2,000 calls at ``--scale 1``, from
eight agents at once, with the real ``anthropic`` SDK — goes through a real
``trimline serve`` with a budgets file, against a fake Messages API that answers
each call with usage of its own and notes it. Then it checks, against sums made
from what the fake answered and genai-prices directly (not Trimline's metering):

- totals: requests, every kind of token, cost;
- alerts: exactly the expected ones — each budget's 70/90/100% levels, an hourly
  spike per team and overall, one expensive call, one runaway session, one retry loop;
- control: the ``block`` budget answers with Anthropic's own 429 error once used up,
  the ``downgrade`` budget moves its team to Haiku, the circuit breaker stops the loop;
- the dashboard renders (and, with Chromium installed, a screenshot is saved).

One turn in each session returns a real test log as a tool result, so the dashboard also
shows what compression saved.

Exit status 1 if any check fails. ``--db postgresql://...`` runs it on PostgreSQL (in a
schema of its own, dropped afterwards).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import anthropic
import orjson
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price
from trimline.metering import store
from trimline.metering.records import CallRecord, Usage

from tests.fake_anthropic import FakeAnthropic
from tests.fake_anthropic import Usage as FakeUsage
from tests.fake_upstream import Reply
from tests.proxy import trimline_serve
from tests.samples import pytest_log

SONNET = "claude-sonnet-4-5"
HAIKU = "claude-haiku-4-5"
TEAMS = ("payments", "search", "platform", "ml")
HOUR = 3600.0
DAY = 86400.0
SESSION_CALLS = 5  # every session but the runaway one
MAX_TOKENS = 200  # the fake writes exactly max_tokens: so each call's cost is known
OUTLIER_MAX_TOKENS = 8000
INPUT_TOKENS, CACHE_READ = 1000, 4000
RUNAWAY_CALLS = 60
LOOP_CALLS = 6  # identical bodies, one more than the loop threshold
WORKERS = 8
TEST_RUN_AT = 2  # the turn of each session that sends a test log
LOG = pytest_log()

BUDGETS = """
check_interval_s = 0.2

[anomalies]
spike_min_usd = 0.1
interval_s = 0.5
retry_loop_count = 5
circuit_breaker = true

[[budget]]
name = "payments-day"
team = "payments"
window = "day"
usd = {payments}
action = "block"

[[budget]]
name = "search-day"
team = "search"
window = "day"
usd = {search}
action = "notify"

[[budget]]
name = "platform-day"
team = "platform"
window = "day"
usd = {platform}
action = "downgrade"
"""


def price(model: str, usage: Usage) -> float:
    """A call's cost straight from genai-prices (which counts cache tokens as input)."""
    total_in = (
        (usage.input_tokens or 0)
        + (usage.cache_read_input_tokens or 0)
        + (usage.cache_creation_input_tokens or 0)
    )
    return float(
        calc_price(
            PriceUsage(
                input_tokens=total_in,
                cache_read_tokens=usage.cache_read_input_tokens or 0,
                cache_write_tokens=usage.cache_creation_input_tokens or 0,
                output_tokens=usage.output_tokens or 0,
            ),
            model_ref=model,
            provider_id="anthropic",
        ).total_price
    )


def normal_usage(max_tokens: int) -> Usage:
    return Usage(
        input_tokens=INPUT_TOKENS,
        output_tokens=max_tokens,
        cache_creation_input_tokens=0,
        cache_read_input_tokens=CACHE_READ,
    )


@dataclass
class Answered:
    ts: float
    team: str
    model: str
    usage: Usage


class DayUpstream(FakeAnthropic):
    """Answers with ``max_tokens`` output tokens and notes every answer, by team (named in
    the first user message: the proxy strips the tag headers)."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: list[Answered] = []
        self._lock = threading.Lock()

    def answer(self, path: str, request: dict) -> Reply:
        model = request.get("model", SONNET)
        first = request["messages"][0]["content"]
        team = first.split("team=", 1)[1].split()[0]
        u = normal_usage(int(request.get("max_tokens", MAX_TOKENS)))
        with self._lock:
            self.answered.append(Answered(time.time(), team, model, u))
        fake = FakeUsage(
            u.input_tokens,
            u.output_tokens,
            u.cache_creation_input_tokens,
            u.cache_read_input_tokens,
        )
        if request.get("stream"):
            return Reply(events=self._events(model, fake))
        return Reply(self._message(model, fake))


@dataclass
class Session:
    team: str
    calls: int = SESSION_CALLS
    outlier_at: int | None = None  # the call (index) with a huge max_tokens
    loop: bool = False  # the same body every time
    id: str = field(default_factory=lambda: f"day-{uuid.uuid4().hex[:12]}")


def plan(scale: float) -> list[Session]:
    """Today's sessions, teams interleaved so they all spend through the run."""
    per_team = max(8, round(500 * scale / SESSION_CALLS))
    sessions: list[Session] = []
    for i in range(per_team):
        sessions += [Session(team) for team in TEAMS]
        if i == per_team // 3:
            sessions.append(Session("ml", calls=RUNAWAY_CALLS, outlier_at=RUNAWAY_CALLS // 2))
            sessions.append(Session("ml", calls=LOOP_CALLS, loop=True))
    return sessions


def budget_limits(scale: float) -> dict[str, float]:
    """Each budget is used up part-way through its team's day."""
    per_call = price(SONNET, normal_usage(MAX_TOKENS))
    team_calls = max(8, round(500 * scale / SESSION_CALLS)) * SESSION_CALLS
    return {
        "payments": round(team_calls * per_call * 0.4, 4),
        "search": round(team_calls * per_call * 0.8, 4),
        "platform": round(team_calls * per_call * 0.3, 4),
    }


def seed_history(target: str | Path, now: float) -> list[CallRecord]:
    """Seven days of office hours (09-16 UTC): a 5-call session per team per hour."""
    records = []
    today = math.floor(now / DAY) * DAY
    usage = normal_usage(MAX_TOKENS)
    for day in range(1, 8):
        for hour in range(9, 17):
            for team in TEAMS:
                session = f"hist-{team}-{day}-{hour}"
                for k in range(SESSION_CALLS):
                    records.append(
                        CallRecord(
                            ts=today - day * DAY + hour * HOUR + k * 60,
                            provider="anthropic",
                            endpoint="messages",
                            session=session,
                            model=SONNET,
                            stream=False,
                            status=200,
                            team=team,
                            usage=Usage(**{n: getattr(usage, n) for n in Usage.__slots__}),
                            cost_usd=price(SONNET, usage),
                            saved_usd=0.0,
                            tokens_before=INPUT_TOKENS + CACHE_READ,
                            tokens_after=INPUT_TOKENS + CACHE_READ,
                        )
                    )
    conn = store.connect(target)
    try:
        store.write(conn, records)
    finally:
        conn.close()
    return records


@dataclass
class Outcome:
    ok: int = 0
    blocked: int = 0  # answered by the proxy: a budget
    broken: int = 0  # answered by the proxy: the circuit breaker
    other_errors: list[str] = field(default_factory=list)
    block_messages: set[str] = field(default_factory=set)
    models: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_session(client: anthropic.Anthropic, s: Session, out: Outcome) -> None:
    for i in range(s.calls):
        text = f"team={s.team} session={s.id}" + ("" if s.loop else f" turn={i}")
        max_tokens = OUTLIER_MAX_TOKENS if i == s.outlier_at else MAX_TOKENS
        messages: list[dict] = [{"role": "user", "content": text}]
        if i == TEST_RUN_AT and not s.loop:
            # The agent ran the tests: the log goes up as a tool result, and is compressed.
            tool_id = f"toolu_{s.id}"
            messages += [
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": tool_id,
                            "name": "Bash",
                            "input": {"command": "pytest -v"},
                        }
                    ],
                },
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": LOG}],
                },
            ]
        try:
            reply = client.messages.create(
                model=SONNET,
                max_tokens=max_tokens,
                messages=messages,
                extra_headers={"x-trimline-team": s.team, "x-trimline-session": s.id},
            )
            with out.lock:
                out.ok += 1
                out.models[(s.team, reply.model)] += 1
        except anthropic.RateLimitError as e:
            body = e.body if isinstance(e.body, dict) else {}
            message = str(body.get("error", {}).get("message", ""))
            with out.lock:
                if "circuit breaker" in message:
                    out.broken += 1
                else:
                    out.blocked += 1
                    out.block_messages.add(
                        f"{body.get('type')}/{body.get('error', {}).get('type')}: {message}"
                    )
        except anthropic.APIError as e:
            with out.lock:
                out.other_errors.append(f"{type(e).__name__}: {e}")


def drive(url: str, sessions: list[Session]) -> Outcome:
    out = Outcome()
    work: queue.Queue[Session] = queue.Queue()
    # The retry loop runs apart, so no other call of its session interleaves.
    for s in sessions:
        work.put(s)

    def worker() -> None:
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-day", max_retries=0)
        while True:
            try:
                s = work.get_nowait()
            except queue.Empty:
                return
            run_session(client, s, out)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def get_json(port: int, path: str) -> object:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
        return orjson.loads(r.read())


def expected_alerts(
    answered: list[Answered], history: list[CallRecord], limits: dict[str, float]
) -> Counter:
    """What must fire, from the fake's answers and the seeded history (not from Trimline)."""
    want: Counter = Counter()
    by_team: dict[str, float] = defaultdict(float)
    for a in answered:
        by_team[a.team] += price(a.model, a.usage)
    for team, limit in limits.items():
        for level in (70, 90, 100):
            if by_team[team] >= limit * level / 100:
                want[("budget_threshold", f"{team}-day")] += 1
    # Hourly spikes: spend per (team, hour) today against the average active hour before.
    past: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for r in history:
        for who in (r.team, "*"):
            past[who][int(r.ts // HOUR)] += r.cost_usd or 0.0
    today: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for a in answered:
        for who in (a.team, "*"):
            today[who][int(a.ts // HOUR)] += price(a.model, a.usage)
    for who, hours in today.items():
        average = sum(past[who].values()) / len(past[who])
        for spent in hours.values():
            if spent >= 0.1 and spent > 3 * average:
                want[("hourly_spike", who)] += 1
    want[("call_outlier", "runaway")] += 1
    want[("session_outlier", "runaway")] += 1
    want[("retry_loop", "loop")] += 1
    return want


def fired_alerts(alerts: list[dict], runaway: str, loop: str) -> Counter:
    got: Counter = Counter()
    names = {runaway: "runaway", loop: "loop"}
    for a in alerts:
        subject = a["subject"]
        if a["kind"] in ("call_outlier", "session_outlier"):
            subject = names.get(subject, subject)
        elif a["kind"] == "retry_loop":
            subject = names.get(a["details"].get("session", ""), subject)
        got[(a["kind"], subject)] += 1
    return got


def screenshot(url: str, path: Path) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        return "skipped: chromium is not installed"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--window-size=1400,2400",
                f"--screenshot={path}",
                url,
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    return str(path) if path.exists() else "failed: chromium wrote no screenshot"


def wait_clear_of_boundaries(margin: float = 150.0) -> None:
    """Hourly spikes and budget days are per clock hour: do not run across one."""
    left = HOUR - time.time() % HOUR
    if left < margin:
        time.sleep(left + 1)


@contextlib.contextmanager
def fresh_target(db: str | None, tmp: Path) -> Iterator[str | Path]:
    if not db:
        yield tmp / "trimline.db"
        return
    import psycopg  # only for a PostgreSQL run

    schema = f"trimline_day_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(db, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in db else "?"
            yield f"{db}{sep}options={quote(f'-csearch_path={schema}')}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@dataclass
class Report:
    checks: dict[str, bool]
    lines: list[str]

    @property
    def ok(self) -> bool:
        return all(self.checks.values())


def run(scale: float = 1.0, db: str | None = None, out_dir: Path | None = None) -> Report:
    lines: list[str] = []
    checks: dict[str, bool] = {}
    wait_clear_of_boundaries()
    with tempfile.TemporaryDirectory() as tmp_name, DayUpstream() as upstream:
        tmp = Path(tmp_name)
        with fresh_target(db, tmp) as target:
            now = time.time()
            history = seed_history(target, now)
            limits = budget_limits(scale)
            budgets = tmp / "budgets.toml"
            budgets.write_text(BUDGETS.format(**limits))
            sessions = plan(scale)
            runaway = next(s.id for s in sessions if s.outlier_at is not None)
            loop = next(s.id for s in sessions if s.loop)
            started = time.monotonic()
            with trimline_serve(
                tmp, "--budgets", str(budgets), upstream=upstream.url, db=target
            ) as proxy:
                outcome = drive(proxy.url, sessions)
                elapsed = time.monotonic() - started
                sent = sum(s.calls for s in sessions)
                refused = outcome.blocked + outcome.broken
                stats = proxy.wait_for_requests(len(history) + sent, timeout=60)
                want = expected_alerts(upstream.answered, history, limits)
                deadline = time.monotonic() + 30
                while True:
                    got = fired_alerts(get_json(proxy.stats_port, "/stats/alerts"), runaway, loop)  # type: ignore[arg-type]
                    if got == want or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                html = (
                    urllib.request.urlopen(f"http://127.0.0.1:{proxy.stats_port}/", timeout=60)
                    .read()
                    .decode()
                )
                shot = "not taken"
                if out_dir is not None:
                    out_dir.mkdir(parents=True, exist_ok=True)
                    shot = screenshot(
                        f"http://127.0.0.1:{proxy.stats_port}/", out_dir / "day-dashboard.png"
                    )
                budgets_now = get_json(proxy.stats_port, "/stats/budgets")

    totals = stats["totals"]
    answered = upstream.answered
    expect = {
        "requests": len(history) + len(answered) + refused,
        "input_tokens": sum(r.usage.input_tokens for r in history)
        + sum(a.usage.input_tokens for a in answered),
        "output_tokens": sum(r.usage.output_tokens for r in history)
        + sum(a.usage.output_tokens for a in answered),
        "cache_read_input_tokens": sum(r.usage.cache_read_input_tokens for r in history)
        + sum(a.usage.cache_read_input_tokens for a in answered),
        "cost_usd": sum(r.cost_usd for r in history)
        + sum(price(a.model, a.usage) for a in answered),
    }
    lines.append(
        f"{sent} calls today from {len(sessions)} sessions of {len(TEAMS)} teams in "
        f"{elapsed:.1f} s ({sent / elapsed:.0f} calls/s, {WORKERS} agents at once), "
        f"after {len(history)} calls of history; database: {'PostgreSQL' if db else 'SQLite'}"
    )
    lines.append("")
    lines.append("| total | Trimline /stats | independent sum |")
    lines.append("|---|---:|---:|")
    for name, value in expect.items():
        mine = totals[name]
        same = abs(mine - value) < 1e-6 if name == "cost_usd" else mine == value
        checks[f"total {name}"] = same
        fmt = (lambda v: f"${v:,.6f}") if name == "cost_usd" else (lambda v: f"{v:,}")
        lines.append(f"| {name} | {fmt(mine)} | {fmt(value)}{'' if same else ' ✗'} |")
    lines.append("")
    lines.append("| alert | fired | expected |")
    lines.append("|---|---:|---:|")
    for key in sorted(set(want) | set(got)):
        lines.append(f"| {key[0]} {key[1]} | {got[key]} | {want[key]} |")
    checks["alerts exactly as expected"] = got == want
    downgraded = outcome.models[("platform", HAIKU)]
    lines.append("")
    lines.append(
        f"answered {outcome.ok}; refused by the payments budget {outcome.blocked} "
        f"(Anthropic 429 {sorted(outcome.block_messages)[:1]}); refused by the circuit breaker "
        f"{outcome.broken}; platform calls downgraded to {HAIKU}: {downgraded}"
    )
    checks["payments blocked at 100% with Anthropic's error"] = outcome.blocked > 0 and all(
        m.startswith("error/rate_limit_error: ") and "payments-day" in m
        for m in outcome.block_messages
    )
    checks["platform downgraded"] = downgraded > 0
    checks["compression saved tokens and money"] = (
        totals["tokens_saved"] > 0 and totals["saved_usd"] > 0
    )
    lines.append(
        f"compression: {totals['tokens_saved']:,} tokens and ${totals['saved_usd']:,.4f} saved"
    )
    checks["circuit breaker refused the loop"] = outcome.broken == LOOP_CALLS - 4
    checks["no other errors"] = not outcome.other_errors
    spend = {b["name"]: b for b in budgets_now}  # type: ignore[union-attr]
    # Past the cap, at most the calls already admitted when it was reached: one per agent.
    per_call = price(SONNET, normal_usage(MAX_TOKENS))
    overshoot = spend["payments-day"]["spent"] - limits["payments"]
    checks["payments spend held at its limit"] = overshoot <= WORKERS * per_call
    lines.append(
        f"payments: ${spend['payments-day']['spent']:.4f} spent of a ${limits['payments']:.4f} "
        f"budget ({overshoot / per_call:+.1f} calls past it)"
    )
    checks["dashboard renders budgets and alerts"] = (
        '<section id="budgets">' in html
        and "payments-day" in html
        and "Active alerts" in html
        and "spend spike" in html
    )
    lines.append(f"dashboard screenshot: {shot}")
    for name, good in checks.items():
        lines.append(f"- {'ok ' if good else 'FAILED'} {name}")
    if outcome.other_errors:
        lines.append(f"errors: {outcome.other_errors[:3]}")
    return Report(checks, lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scale", type=float, default=1.0, help="1: about 2,000 calls today")
    p.add_argument("--db", help="a postgresql:// URL (default: a fresh SQLite file)")
    p.add_argument("--out", type=Path, default=Path("bench-report"), help="for the screenshot")
    args = p.parse_args(argv)
    report = run(args.scale, args.db, args.out)
    print("\n".join(report.lines))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
