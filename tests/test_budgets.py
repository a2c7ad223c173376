"""Budgets, alerts and the retry-loop breaker, through a real ``trimline serve``: the
anthropic and openai SDKs as clients, fake providers upstream, a local webhook receiver."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anthropic
import openai
import pytest

from tests.backends import query
from tests.fake_anthropic import FakeAnthropic, Usage
from tests.fake_openai import FakeOpenAI
from tests.fake_upstream import Reply
from tests.proxy import Proxy, free_port, trimline_serve

pytestmark = pytest.mark.integration

SONNET = "claude-sonnet-4-5"
# What one fake Anthropic call costs on Sonnet 4.5 ($3 in, $3.75 cache write, $0.30 cache
# read, $15 out per million): 1,200 in, 300 written, 9,000 read, 42 out.
CALL_USD = (1200 * 3 + 300 * 3.75 + 9000 * 0.30 + 42 * 15) / 1e6


class WebhookReceiver:
    def __init__(self) -> None:
        self.posts: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(json.loads(data))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"


def write_budgets(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def claude(proxy: Proxy, team: str, **kw) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=proxy.url,
        api_key="sk-ant-test",
        default_headers={"x-trimline-team": team, "x-trimline-session": f"s-{uuid.uuid4()}"},
        **kw,
    )


def ask(c: anthropic.Anthropic, text: str = "hello", **kw):
    return c.messages.create(
        model=kw.pop("model", SONNET),
        max_tokens=100,
        messages=[{"role": "user", "content": text}],
        **kw,
    )


ANTHROPIC_BUDGETS = """
webhook = "{webhook}"
check_interval_s = 0.1

[anomalies]
retry_loop_count = 4
circuit_breaker = true
interval_s = 3600

[[budget]]
name = "blockers-daily"
team = "blockers"
window = "day"
usd = 0.001
action = "block"

[[budget]]
name = "downers-weekly"
team = "downers"
window = "week"
usd = 0.001
action = "downgrade"

[[budget]]
name = "fallers-weekly"
team = "fallers"
window = "week"
usd = 0.001
action = "downgrade"

[[budget]]
name = "watchers-monthly"
team = "watchers"
window = "month"
usd = 0.02
alert_levels = [30, 70, 100]
"""


@pytest.fixture(scope="module")
def hook() -> WebhookReceiver:
    return WebhookReceiver()


class RefusingAnthropic(FakeAnthropic):
    """Answers the models in ``refuse`` with the 400 an unsupported model or parameter gets."""

    refuse: frozenset[str] | set[str] = frozenset()

    def answer(self, path: str, request: dict) -> Reply:
        if request.get("model") in self.refuse:
            error = {"type": "invalid_request_error", "message": "model not available"}
            return Reply({"type": "error", "error": error}, status=400)
        return super().answer(path, request)


@pytest.fixture(scope="module")
def fake():
    with RefusingAnthropic() as f:
        yield f


@pytest.fixture(scope="module")
def proxy(fake: FakeAnthropic, hook: WebhookReceiver, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("budgets")
    config = write_budgets(tmp / "budgets.toml", ANTHROPIC_BUDGETS.format(webhook=hook.url))
    with trimline_serve(tmp, "--budgets", str(config), upstream=fake.url) as p:
        yield p


@pytest.mark.parametrize("stream", [False, True])
def test_a_used_up_block_budget_answers_in_anthropics_error_format(
    proxy: Proxy, fake: FakeAnthropic, stream: bool
) -> None:
    c = claude(proxy, "blockers")  # the SDK's default retries: x-should-retry stops them
    if not stream:
        assert ask(c).content[0].text == "Done."
    else:
        # The budget is used up by the non-streamed test, or by this call.
        try:
            with c.messages.stream(
                model=SONNET, max_tokens=100, messages=[{"role": "user", "content": "x"}]
            ) as s:
                s.get_final_message()
        except anthropic.RateLimitError:
            pass
    before = len(fake.messages())
    started = time.monotonic()
    with pytest.raises(anthropic.RateLimitError) as raised:
        if stream:
            with c.messages.stream(
                model=SONNET, max_tokens=100, messages=[{"role": "user", "content": "again"}]
            ) as s:
                s.get_final_message()
        else:
            ask(c, "again")
    assert time.monotonic() - started < 5
    error = raised.value
    assert error.status_code == 429
    assert error.body["error"]["type"] == "rate_limit_error"
    assert "budget 'blockers-daily'" in error.message and "team 'blockers'" in error.message
    assert error.response.headers["x-should-retry"] == "false"
    assert float(error.response.headers["x-trimline-overhead-ms"]) >= 0  # on every response
    assert len(fake.messages()) == before, "a blocked call must not reach upstream"
    blocked = wait_for(
        lambda: (
            rows(
                proxy.db,
                "SELECT COUNT(*) FROM calls WHERE team = 'blockers' AND status = 429"
                " AND error LIKE 'blocked by budget%'",
            )[0][0]
            >= (2 if stream else 1)
        ),
        what="the blocked call's record",
    )
    assert blocked


def test_a_used_up_downgrade_budget_routes_to_a_smaller_model(
    proxy: Proxy, fake: FakeAnthropic
) -> None:
    c = claude(proxy, "downers", max_retries=0)
    ask(c, "first")  # within budget: Sonnet; its cost uses the budget up
    wait_for(
        lambda: rows(proxy.db, "SELECT COUNT(*) FROM calls WHERE team = 'downers'")[0][0] == 1,
        what="the first call's record",
    )
    reply = ask(c, "second")
    assert reply.model == "claude-haiku-4-5"
    assert fake.messages()[-1].json()["model"] == "claude-haiku-4-5"
    with c.messages.stream(
        model=SONNET, max_tokens=100, messages=[{"role": "user", "content": "third"}]
    ) as s:
        assert s.get_final_message().model == "claude-haiku-4-5"
    recorded = wait_for(
        lambda: (
            (
                r := rows(
                    proxy.db,
                    "SELECT model, requested_model FROM calls WHERE team = 'downers' ORDER BY id",
                )
            )
            and len(r) == 3
            and r
        ),
        what="three records",
    )
    assert recorded == [
        (SONNET, None),
        ("claude-haiku-4-5", SONNET),
        ("claude-haiku-4-5", SONNET),
    ]


def test_a_refused_downgrade_falls_back_to_the_model_asked_for(
    proxy: Proxy, fake: RefusingAnthropic
) -> None:
    """Budget downgrades go through routing's mechanism: adapted body, fallback on refusal."""
    c = claude(proxy, "fallers", max_retries=0)
    ask(c, "first")
    wait_for(
        lambda: rows(proxy.db, "SELECT COUNT(*) FROM calls WHERE team = 'fallers'")[0][0] == 1,
        what="the first call's record",
    )
    fake.refuse = {"claude-haiku-4-5"}
    try:
        reply = ask(c, "second")
    finally:
        fake.refuse = set()
    assert reply.model == SONNET
    assert [m.json()["model"] for m in fake.messages()[-2:]] == ["claude-haiku-4-5", SONNET]
    recorded = wait_for(
        lambda: (
            (
                r := rows(
                    proxy.db,
                    "SELECT model, requested_model, route_rule, fallback FROM calls"
                    " WHERE team = 'fallers' ORDER BY id",
                )
            )
            and len(r) == 2
            and r
        ),
        what="two records",
    )
    assert recorded[1] == (SONNET, SONNET, "budget:fallers-weekly", 1)


def test_threshold_alerts_fire_once_per_level_and_window(
    proxy: Proxy, hook: WebhookReceiver
) -> None:
    c = claude(proxy, "watchers", max_retries=0)
    # $0.02 budget, one call ≈ $0.008: 40%, 81%, 121%, 161%, 201%, 242%.
    for i in range(6):
        ask(c, f"call {i}")  # notify: calls keep going through
        wait_for(
            lambda i=i: (
                rows(proxy.db, "SELECT COUNT(*) FROM calls WHERE team = 'watchers'")[0][0] == i + 1
            ),
            what="the call's record",
        )
        time.sleep(0.15)  # a threshold check runs between calls
    fired = wait_for(
        lambda: (
            (
                r := rows(
                    proxy.db,
                    "SELECT threshold, subject FROM alerts WHERE kind = 'budget_threshold'"
                    " AND subject = 'watchers-monthly' ORDER BY threshold",
                )
            )
            and len(r) >= 3
            and r
        ),
        what="three threshold alerts",
    )
    time.sleep(0.5)  # several more checks: nothing fires again
    fired = rows(
        proxy.db,
        "SELECT threshold FROM alerts WHERE subject = 'watchers-monthly' ORDER BY threshold",
    )
    assert fired == [(30.0,), (70.0,), (100.0,)]
    posts = wait_for(
        lambda: (
            (p := [x for x in hook.posts if x["alert"]["subject"] == "watchers-monthly"])
            and len(p) == 3
            and p
        ),
        what="three webhook posts",
    )
    assert sorted(p["alert"]["threshold"] for p in posts) == [30, 70, 100]
    assert all("watchers-monthly" in p["text"] for p in posts)
    assert "action: notify" in next(p["text"] for p in posts if p["alert"]["threshold"] == 100)
    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "trimline.cli",
            "budgets",
            "--budgets",
            str(proxy.db.parent / "budgets.toml"),
            "--db",
            str(proxy.db),
            "--format",
            "json",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    watchers = next(r for r in json.loads(status.stdout) if r["name"] == "watchers-monthly")
    assert watchers["spent"] == pytest.approx(6 * CALL_USD, rel=1e-6)
    assert watchers["used_pct"] == pytest.approx(6 * CALL_USD / 0.02 * 100, abs=0.01)
    assert watchers["level_crossed"] == 100
    listed = subprocess.run(
        [sys.executable, "-m", "trimline.cli", "alerts", "--db", str(proxy.db), "--since", "1h"],
        capture_output=True,
        check=True,
        timeout=60,
        text=True,
    )
    assert len([line for line in listed.stdout.splitlines() if "watchers-monthly" in line]) == 3


def test_a_retry_loop_is_alerted_once_and_broken(proxy: Proxy, fake: FakeAnthropic) -> None:
    session = f"loop-{uuid.uuid4()}"
    c = anthropic.Anthropic(
        base_url=proxy.url,
        api_key="sk-ant-test",
        default_headers={"x-trimline-session": session},
        max_retries=0,
    )
    before = len(fake.messages())
    for _ in range(3):
        ask(c, "the very same request")
    with pytest.raises(anthropic.RateLimitError, match="circuit breaker"):
        ask(c, "the very same request")
    with pytest.raises(anthropic.RateLimitError, match="circuit breaker"):
        ask(c, "the very same request")
    assert len(fake.messages()) == before + 3
    ask(c, "a different request")  # only the loop is stopped
    row = proxy.wait_for_session(session, 6)
    assert row["retries"] == 4
    loops = wait_for(
        lambda: rows(
            proxy.db,
            "SELECT message FROM alerts WHERE kind = 'retry_loop' AND subject = ?",
            (session,),
        ),
        what="the retry loop alert",
    )
    time.sleep(0.3)
    assert len(rows(proxy.db, "SELECT 1 FROM alerts WHERE subject = ?", (session,))) == 1
    assert "4 times" in loops[0][0]


# -- OpenAI ---------------------------------------------------------------------

OPENAI_BUDGETS = """
[[budget]]
name = "oai-block"
project = "p-block"
window = "day"
tokens = 10
action = "block"

[[budget]]
name = "oai-down"
project = "p-down"
window = "month"
tokens = 10
action = "downgrade"
downgrade_to = "gpt-5-nano"

[[budget]]
name = "oai-smaller"
user = "u-small"
window = "month"
usd = 0.000001
action = "downgrade"
"""


@pytest.fixture(scope="module")
def fake_openai():
    with FakeOpenAI() as f:
        yield f


@pytest.fixture(scope="module")
def oproxy(fake_openai: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("budgets-openai")
    config = write_budgets(tmp / "budgets.toml", OPENAI_BUDGETS)
    with trimline_serve(tmp, "--budgets", str(config), upstream=fake_openai.url) as p:
        yield p


def gpt(proxy: Proxy, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{proxy.url}/v1",
        api_key="sk-test",
        default_headers={f"x-trimline-{k}": v for k, v in headers.items()},
    )


def chat(c: openai.OpenAI, stream: bool = False, model: str = "gpt-5"):
    kw = {"stream_options": {"include_usage": True}} if stream else {}
    reply = c.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], stream=stream, **kw
    )
    if stream:
        chunks = list(reply)
        return chunks[0].model
    return reply.model


@pytest.mark.parametrize("stream", [False, True])
def test_a_used_up_block_budget_answers_in_openais_error_format(
    oproxy: Proxy, fake_openai: FakeOpenAI, stream: bool
) -> None:
    c = gpt(oproxy, project="p-block")
    # 5,057 billed tokens use the 10-token budget up (or the other parametrisation did).
    with contextlib.suppress(openai.RateLimitError):
        chat(c)
    before = len(fake_openai.received)
    with pytest.raises(openai.RateLimitError) as raised:
        chat(c, stream=stream)
    error = raised.value
    assert error.status_code == 429
    assert error.code == "insufficient_quota" and error.type == "insufficient_quota"
    assert "budget 'oai-block'" in error.message and "of 10 tokens" in error.message
    assert len(fake_openai.received) == before


def test_downgrade_to_the_configured_or_a_smaller_openai_model(
    oproxy: Proxy, fake_openai: FakeOpenAI
) -> None:
    c = gpt(oproxy, project="p-down")
    assert chat(c) == "gpt-5"
    wait_for(
        lambda: rows(oproxy.db, "SELECT COUNT(*) FROM calls WHERE project = 'p-down'")[0][0] == 1,
        what="the first record",
    )
    assert chat(c) == "gpt-5-nano"
    assert chat(c, stream=True) == "gpt-5-nano"
    assert fake_openai.received[-1].json()["model"] == "gpt-5-nano"
    small = gpt(oproxy, user="u-small")
    chat(small)
    wait_for(
        lambda: rows(oproxy.db, "SELECT COUNT(*) FROM calls WHERE \"user\" = 'u-small'")[0][0],
        what="the first record",
    )
    assert chat(small, model="gpt-4.1") == "gpt-4.1-mini"


# -- concurrency ----------------------------------------------------------------


class SlowAnthropic(FakeAnthropic):
    """Answers after a pause, so that many calls are in flight at once; bills what a short
    prompt would (the estimate must cover what is billed)."""

    def __init__(self) -> None:
        super().__init__(
            Usage(
                input_tokens=10,
                output_tokens=150,
                cache_creation_input_tokens=0,
                cache_read_input_tokens=0,
            )
        )

    def answer(self, path: str, request: dict):
        time.sleep(0.3)
        return super().answer(path, request)


CONCURRENT_BUDGETS = """
[[budget]]
name = "tight-one"
team = "crowd-one"
window = "day"
usd = {usd}
action = "block"

[[budget]]
name = "tight-two"
team = "crowd-two"
window = "day"
usd = {usd}
action = "block"
"""
MAX_TOKENS = 200
SLOW_CALL_USD = (10 * 3 + 150 * 15) / 1e6
# Reserved per call: the request's estimated tokens at the input rate (a short prompt: 20
# is generous), max_tokens at the output rate.
ESTIMATE_USD = (20 * 3 + MAX_TOKENS * 15) / 1e6


def hammer(urls: list[str], team: str, n: int) -> tuple[int, int]:
    """n calls at once from threads, spread over the proxies; (answered, refused)."""
    results: list[object] = []
    lock = threading.Lock()
    clients = [
        anthropic.Anthropic(
            base_url=url,
            api_key="sk-ant-test",
            default_headers={"x-trimline-team": team},
            max_retries=0,
        )
        for url in urls
    ]

    def one(i: int) -> None:
        try:
            clients[i % len(clients)].messages.create(
                model=SONNET,
                max_tokens=MAX_TOKENS,
                messages=[{"role": "user", "content": f"call {i}"}],
            )
            outcome: object = "ok"
        except anthropic.RateLimitError:
            outcome = "refused"
        except BaseException as e:
            outcome = e
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len(results) == n
    return results.count("ok"), results.count("refused")


def settled(db: str | Path, team: str, answered: int) -> float:
    """The team's recorded spend, once all its answered calls are recorded."""

    def spend() -> tuple[float, int] | None:
        ((usd, n),) = query(
            db,
            "SELECT COALESCE(SUM(cost_usd), 0), COUNT(*) FROM calls WHERE team = ? AND status = 200",
            (team,),
        )
        return (usd, n) if n == answered else None

    return wait_for(spend, what=f"{answered} records")[0]


def test_concurrent_requests_overshoot_by_at_most_one_estimate(
    tmp_path: Path, store_target: str | Path
) -> None:
    """24 calls at once through one proxy, then through two proxies sharing the database."""
    limit = 5 * SLOW_CALL_USD
    config = write_budgets(tmp_path / "b.toml", CONCURRENT_BUDGETS.format(usd=limit))
    db = str(store_target)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        SlowAnthropic() as fake,
        trimline_serve(
            tmp_path / "a", "--budgets", str(config), "--db", db, upstream=fake.url
        ) as a,
        trimline_serve(
            tmp_path / "b", "--budgets", str(config), "--db", db, upstream=fake.url
        ) as b,
    ):
        for team, urls in (("crowd-one", [a.url]), ("crowd-two", [a.url, b.url])):
            ok, refused = hammer(urls, team, 24)
            spent = settled(store_target, team, ok)
            # Checked before it was recorded, all 24 would have gone through (24 × $0.0023).
            # Reserved at admission, the calls let through fit the limit plus one estimate.
            assert refused > 0
            assert spent <= limit + ESTIMATE_USD
            assert ok >= int(limit // ESTIMATE_USD)
        assert query(store_target, "SELECT COUNT(*) FROM budget_reservations") == [(0,)]


# -- a bad file -----------------------------------------------------------------


def test_serve_refuses_a_bad_budgets_file(tmp_path: Path) -> None:
    config = write_budgets(
        tmp_path / "b.toml",
        '[[budget]]\nname = "x"\nteam = "t"\nwindow = "fortnight"\nusd = 5\n',
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trimline.cli",
            "serve",
            "--budgets",
            str(config),
            "--port",
            str(free_port()),
            "--stats-port",
            str(free_port()),
            "--db",
            str(tmp_path / "t.db"),
            "--confdir",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    out = done.stderr + done.stdout
    assert done.returncode != 0
    assert b"budgets file" in out and b"window" in out and b"fortnight" in out
