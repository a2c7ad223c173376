"""PostgreSQL as the store of real ``trimline serve`` processes: rows, replicas, migrations,
and the server going away mid-run (the proxy keeps forwarding; records wait and arrive)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import orjson
import pytest
from trimline.metering import db, store

from tests.backends import Relay, count, postgres_schema, query
from tests.fake_anthropic import FakeAnthropic
from tests.proxy import Proxy, trimline_serve
from tests.samples import pytest_log
from tests.test_proxy import conversation

pytestmark = pytest.mark.integration

MODEL = "claude-sonnet-4-5"


@pytest.fixture
def pg() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as f:
        yield f


def client(proxy: Proxy, session: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=proxy.url,
        api_key="sk-ant-pg-test-key",
        default_headers={"x-trimline-session": session, "x-trimline-user": "ann"},
        max_retries=0,
    )


def wait_rows(url: str, n: int, timeout: float = 15.0) -> int:
    deadline = time.monotonic() + timeout
    while (got := count(url)) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    return got


def test_two_replicas_store_every_call_in_one_database(
    pg: str, fake: FakeAnthropic, tmp_path: Path
) -> None:
    sessions = [f"s-{uuid.uuid4()}" for _ in range(2)]
    with (
        trimline_serve(tmp_path, upstream=fake.url, db=pg, name="a") as a,
        trimline_serve(tmp_path, upstream=fake.url, db=pg, name="b") as b,
    ):

        def drive(proxy: Proxy, session: str) -> None:
            c = client(proxy, session)
            reply = c.messages.create(
                model=MODEL, max_tokens=64, messages=conversation(pytest_log())
            )
            assert reply.content[0].text == "Done."
            with c.messages.stream(
                model=MODEL, max_tokens=64, messages=conversation(pytest_log())
            ) as stream:
                assert stream.get_final_message().content[0].text == "Done."
            for i in range(8):
                messages = [{"role": "user", "content": f"turn {i}"}]
                c.messages.create(model=MODEL, max_tokens=16, messages=messages)

        threads = [
            threading.Thread(target=drive, args=(proxy, s))
            for proxy, s in zip((a, b), sessions, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert wait_rows(pg, 20) == 20
        # Either replica's /stats sees the other's calls.
        for proxy in (a, b):
            assert proxy.wait_for_requests(20)["totals"]["requests"] == 20
            assert {r["session"] for r in proxy.stats()["by_session"]} == set(sessions)
        row = a.wait_for_session(sessions[0], 10)
        log = a.log.read_text() + b.log.read_text()
    assert row["input_tokens"] == 10 * fake.usage.input_tokens
    assert row["cost_usd"] > 0 and row["saved_usd"] > 0
    assert query(pg, "SELECT session, COUNT(*) FROM calls GROUP BY session ORDER BY 1") == sorted(
        (s, 10) for s in sessions
    )
    for session in sessions:
        rows = query(
            pg,
            'SELECT model, stream, "user", input_tokens, cache_read_input_tokens,'
            " tokens_before > tokens_after FROM calls WHERE session = ? ORDER BY id LIMIT 2",
            (session,),
        )
        assert rows == [
            (MODEL, s, "ann", fake.usage.input_tokens, fake.usage.cache_read_input_tokens, True)
            for s in (0, 1)
        ]
    # Each session's second call replayed the decision made on its first (or on the other
    # replica's): counted in the call's row, not as another block row.
    for session in sessions:
        replayed = query(
            pg, "SELECT replayed_blocks FROM calls WHERE session = ? ORDER BY id", (session,)
        )
        assert replayed[1] == (1,)
    # One row per distinct decision, whichever replica made it first.
    assert query(
        pg, "SELECT kind, COUNT(*), COUNT(DISTINCT decision) FROM blocks GROUP BY kind"
    ) == [("logs", 1, 1)]
    assert count(pg, "decisions") >= 1
    # No original is stored unless --store-originals asks (then under TRIMLINE_HOME).
    assert not (tmp_path / "originals.db").exists()
    # The password is never printed.
    assert "trimline:trimline@" not in log and ":***@" in log

    out = subprocess.run(
        [sys.executable, "-m", "trimline.cli", "stats", "--db", pg, "--json"],
        capture_output=True,
        check=True,
    )
    assert orjson.loads(out.stdout)["totals"]["requests"] == 20


def test_migrations_are_safe_when_replicas_start_together(pg: str) -> None:
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            store.connect(pg).close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert query(pg, "SELECT version FROM schema_version") == [(store.SCHEMA_VERSION,)]
    # Opening an up-to-date store changes nothing.
    store.connect(pg).close()
    assert query(pg, "SELECT version FROM schema_version") == [(store.SCHEMA_VERSION,)]
    # PostgreSQL types where SQLite's were written.
    types = dict(
        query(
            pg,
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name IN ('calls', 'decisions')"
            " AND column_name IN ('id', 'ts', 'key', 'user')",
        )
    )
    assert types == {"id": "bigint", "ts": "double precision", "key": "bytea", "user": "text"}


def test_postgresql_stopped_mid_run_loses_no_record(
    pg: str, fake: FakeAnthropic, tmp_path: Path
) -> None:
    relay = Relay(pg)
    session = f"s-{uuid.uuid4()}"
    try:
        with trimline_serve(tmp_path, upstream=fake.url, db=relay.url) as p:
            c = client(p, session)
            c.messages.create(model=MODEL, max_tokens=16, messages=conversation(pytest_log()))
            assert wait_rows(pg, 1) == 1
            relay.down()
            with httpx.Client(timeout=10) as h:
                for i in range(8):
                    t0 = time.monotonic()
                    r = h.post(
                        f"{p.url}/v1/messages",
                        json={
                            "model": MODEL,
                            "max_tokens": 16,
                            "messages": conversation(pytest_log(), extra_small=f"turn {i}"),
                        },
                        headers={"x-api-key": "k", "x-trimline-session": session},
                    )
                    assert r.status_code == 200, r.text
                    assert time.monotonic() - t0 < 2, "a call waited for the database"
                    time.sleep(0.3)
            assert count(pg) == 1
            # /stats cannot read the store now: it says so instead of hanging.
            with pytest.raises(httpx.HTTPStatusError):
                httpx.get(f"http://127.0.0.1:{p.stats_port}/stats", timeout=10).raise_for_status()
            relay.up()
            assert wait_rows(pg, 9, timeout=20) == 9
            totals = p.wait_for_requests(9)["totals"]
            # The log line may land a moment after the rows it speaks of.
            deadline = time.monotonic() + 10
            while True:
                log = p.log.read_text()
                if "held back" in log and "available again" in log:
                    break
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
    finally:
        relay.close()
    assert totals["requests"] == 9
    assert totals["records_dropped"] == 0 and totals["records_pending"] == 0
    assert totals["store_errors"] >= 1
    assert "held back" in log and "available again" in log
    # Every call of the outage is there, compressed like the first: one block row for the
    # one decision, and the eight calls after it each re-sent it.
    assert query(pg, "SELECT COUNT(*) FROM blocks WHERE kind = 'logs'") == [(1,)]
    assert query(pg, "SELECT SUM(replayed_blocks) FROM calls") == [(8,)]


def test_the_store_is_named_without_its_password() -> None:
    assert db.redact("postgresql://u:secret@h:5/d?x=1") == "postgresql://u:***@h:5/d?x=1"
    assert db.redact("postgresql://h/d") == "postgresql://h/d"
    assert db.redact("/tmp/t.db") == "/tmp/t.db"
