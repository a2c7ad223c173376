"""The real proxy on loopback: the anthropic SDK as the client, a fake Messages API upstream."""

from __future__ import annotations

import copy
import gzip
import json
import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import anthropic
import httpx
import pytest

from tests.fake_anthropic import FakeAnthropic
from tests.proxy import Proxy, _wait_port, free_port, trimline_serve
from tests.samples import pytest_log

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODEL = "claude-sonnet-4-5"


def conversation(log: str, *, extra_small: str = "ok") -> list[dict]:
    return [
        {"role": "user", "content": "Run the tests and fix what fails."},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Running them."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "Bash",
                    "input": {"command": "pytest -v"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_2",
                    "name": "Bash",
                    "input": {"command": "echo ok"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": log, "is_error": True},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "content": [{"type": "text", "text": extra_small}],
                    "cache_control": {"type": "ephemeral"},
                },
            ],
        },
    ]


def without_tool_results(body: dict) -> dict:
    body = copy.deepcopy(body)
    for message in body["messages"]:
        if isinstance(message["content"], list):
            for item in message["content"]:
                if item.get("type") == "tool_result":
                    item["content"] = "<elided for comparison>"
    return body


@pytest.fixture(scope="module")
def fake():
    with FakeAnthropic() as f:
        yield f


@pytest.fixture(scope="module")
def reverse(fake: FakeAnthropic, tmp_path_factory: pytest.TempPathFactory):
    with trimline_serve(tmp_path_factory.mktemp("reverse"), upstream=fake.url) as proxy:
        yield proxy


def client(proxy: Proxy, session: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=proxy.url,
        api_key="sk-ant-test",
        default_headers={"x-trimline-session": session},
        max_retries=0,
    )


def test_tool_result_compressed_everything_else_identical(
    reverse: Proxy, fake: FakeAnthropic
) -> None:
    session = f"s-{uuid.uuid4()}"
    messages = conversation(pytest_log())
    fake.received.clear()
    reply = client(reverse, session).messages.create(model=MODEL, max_tokens=256, messages=messages)
    assert reply.content[0].text == "Done."
    (got,) = fake.messages()
    body = got.json()
    sent = {"model": MODEL, "max_tokens": 256, "messages": messages}
    # Everything but tool result content is unchanged, including the cache_control marker.
    assert without_tool_results(body) == without_tool_results(sent)
    compressed = body["messages"][2]["content"][0]["content"]
    assert len(compressed) < len(pytest_log()) / 3
    assert "[trimline]" in compressed
    for fact in (
        "FAILED tests/test_api.py::test_edge",
        "E       AssertionError: assert None == []",
        "1 failed, 600 passed",
    ):
        assert fact in compressed
    # The small result is left alone, in its list form.
    assert body["messages"][2]["content"][1]["content"] == [{"type": "text", "text": "ok"}]
    # The proxy's own headers never go upstream.
    assert not any(k.lower().startswith("x-trimline-") for k in got.headers)

    row = reverse.wait_for_session(session)
    assert row["tokens_before"] > row["tokens_after"] > 0
    assert row["input_tokens"] == fake.usage.input_tokens
    assert row["cache_read_input_tokens"] == fake.usage.cache_read_input_tokens
    assert row["cache_creation_input_tokens"] == fake.usage.cache_creation_input_tokens
    assert row["output_tokens"] == fake.usage.output_tokens
    u = fake.usage
    expected = (
        u.input_tokens * 3
        + u.cache_creation_input_tokens * 3.75
        + u.cache_read_input_tokens * 0.3
        + u.output_tokens * 15
    )
    assert row["cost_usd"] == pytest.approx(expected / 1e6)
    # What only the running proxy knows: records written, waiting, lost.
    totals = reverse.stats()["totals"]
    assert totals["records_written"] >= 1
    assert totals["records_dropped"] == 0 and totals["store_errors"] == 0


def test_streaming_passes_through_and_usage_is_read(reverse: Proxy, fake: FakeAnthropic) -> None:
    session = f"s-{uuid.uuid4()}"
    messages = conversation(pytest_log())
    with client(reverse, session).messages.stream(
        model=MODEL, max_tokens=256, messages=messages
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == fake.text
    assert final.usage.output_tokens == fake.usage.output_tokens
    row = reverse.wait_for_session(session)
    assert row["input_tokens"] == fake.usage.input_tokens
    assert row["output_tokens"] == fake.usage.output_tokens
    assert row["cache_read_input_tokens"] == fake.usage.cache_read_input_tokens


def test_same_history_compresses_to_same_bytes(reverse: Proxy, fake: FakeAnthropic) -> None:
    messages = conversation(pytest_log())
    c = client(reverse, f"s-{uuid.uuid4()}")
    fake.received.clear()
    c.messages.create(model=MODEL, max_tokens=10, messages=messages)
    # Next turn: the history grows and the cache_control marker moves on.
    later = copy.deepcopy(messages)
    del later[2]["content"][1]["cache_control"]
    later += [
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "toolu_3", "name": "Bash", "input": {"command": "ls"}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_3",
                    "content": "a\nb",
                    "cache_control": {"type": "ephemeral"},
                }
            ],
        },
    ]
    c.messages.create(model=MODEL, max_tokens=10, messages=later)
    first, second = (r.json()["messages"][2]["content"][0]["content"] for r in fake.messages())
    assert first == second
    assert "[trimline]" in first


def test_nothing_to_compress_goes_upstream_byte_identical(
    reverse: Proxy, fake: FakeAnthropic
) -> None:
    raw = json.dumps(
        {"model": MODEL, "max_tokens": 10, "messages": conversation("short output")}, indent=1
    ).encode()
    fake.received.clear()
    r = httpx.post(
        f"{reverse.url}/v1/messages",
        content=raw,
        headers={"content-type": "application/json", "x-api-key": "sk-test"},
    )
    assert r.status_code == 200
    (got,) = fake.messages()
    assert got.body == raw


def test_unparseable_body_goes_upstream_unchanged_and_error_is_recorded(
    reverse: Proxy, fake: FakeAnthropic
) -> None:
    before = reverse.stats()["totals"]
    raw = b'{"model": "claude-sonnet-4-5", "messages": [ this is not json'
    fake.received.clear()
    r = httpx.post(
        f"{reverse.url}/v1/messages", content=raw, headers={"content-type": "application/json"}
    )
    # The provider's own answer reaches the agent.
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    assert fake.received[0].body == raw
    stats = reverse.wait_for_requests(before["requests"] + 1)
    assert stats["totals"]["errors"] >= before["errors"] + 1


def test_gzip_request_body_is_compressed_and_reencoded(reverse: Proxy, fake: FakeAnthropic) -> None:
    body = {"model": MODEL, "max_tokens": 10, "messages": conversation(pytest_log())}
    fake.received.clear()
    r = httpx.post(
        f"{reverse.url}/v1/messages",
        content=gzip.compress(json.dumps(body).encode()),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert r.status_code == 200
    (got,) = fake.messages()
    assert got.headers.get("content-encoding", got.headers.get("Content-Encoding")) == "gzip"
    assert int(got.headers.get("Content-Length", got.headers.get("content-length"))) == len(
        got.body
    )
    upstream = got.json()
    assert "[trimline]" in upstream["messages"][2]["content"][0]["content"]


def test_count_tokens_sees_the_same_compression(reverse: Proxy, fake: FakeAnthropic) -> None:
    messages = conversation(pytest_log())
    c = client(reverse, f"s-{uuid.uuid4()}")
    fake.received.clear()
    c.messages.count_tokens(model=MODEL, messages=messages)
    c.messages.create(model=MODEL, max_tokens=10, messages=messages)
    counted = next(r for r in fake.received if "count_tokens" in r.path).json()
    created = fake.messages()[0].json()
    assert counted["messages"] == created["messages"]
    assert "[trimline]" in counted["messages"][2]["content"][0]["content"]


def test_session_from_claude_code_header_and_metadata(reverse: Proxy, fake: FakeAnthropic) -> None:
    header_sid, meta_sid = str(uuid.uuid4()), str(uuid.uuid4())
    c = anthropic.Anthropic(base_url=reverse.url, api_key="sk-test", max_retries=0)
    c.messages.create(
        model=MODEL,
        max_tokens=10,
        messages=conversation("x"),
        extra_headers={"X-Claude-Code-Session-Id": header_sid},
    )
    c.messages.create(
        model=MODEL,
        max_tokens=10,
        messages=conversation("y"),
        metadata={
            "user_id": json.dumps({"device_id": "d", "account_uuid": "", "session_id": meta_sid})
        },
    )
    assert reverse.wait_for_session(header_sid)["requests"] == 1
    assert reverse.wait_for_session(meta_sid)["requests"] == 1


def test_forward_mode_https_through_mitmproxy_ca(fake: FakeAnthropic, tmp_path: Path) -> None:
    session = f"s-{uuid.uuid4()}"
    with trimline_serve(
        tmp_path, "--redirect", f"api.anthropic.com={fake.url}", mode="forward"
    ) as proxy:
        http_client = httpx.Client(
            proxy=proxy.url, verify=ssl.create_default_context(cafile=proxy.ca_cert)
        )
        c = anthropic.Anthropic(
            api_key="sk-test",
            http_client=http_client,
            max_retries=0,
            default_headers={"x-trimline-session": session},
        )
        fake.received.clear()
        with c.messages.stream(
            model=MODEL, max_tokens=10, messages=conversation(pytest_log())
        ) as stream:
            assert "".join(stream.text_stream) == fake.text
        (got,) = fake.messages()
        assert "[trimline]" in got.json()["messages"][2]["content"][0]["content"]
        row = proxy.wait_for_session(session)
        assert row["output_tokens"] == fake.usage.output_tokens
        assert row["tokens_saved"] > 0


def test_the_addon_runs_under_plain_mitmdump(fake: FakeAnthropic, tmp_path: Path) -> None:
    port, stats_port = free_port(), free_port()
    mitmdump = Path(sys.executable).parent / "mitmdump"
    script = Path(__file__).resolve().parent.parent / "addons" / "trimline.py"
    proc = subprocess.Popen(
        [
            str(mitmdump),
            "-q",
            "-s",
            str(script),
            "--mode",
            f"reverse:{fake.url}",
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(port),
            "--set",
            f"confdir={tmp_path}/mitm",
            "--set",
            f"trimline_db={tmp_path}/t.db",
            "--set",
            f"trimline_stats_port={stats_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # This checkout's modules, not those of wherever the package was installed from.
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    try:
        _wait_port(port, proc)
        _wait_port(stats_port, proc)
        proxy = Proxy(port, stats_port, tmp_path / "t.db", tmp_path, tmp_path / "log")
        session = f"s-{uuid.uuid4()}"
        fake.received.clear()
        client(proxy, session).messages.create(
            model=MODEL, max_tokens=10, messages=conversation(pytest_log())
        )
        assert "[trimline]" in fake.messages()[0].json()["messages"][2]["content"][0]["content"]
        assert proxy.wait_for_session(session)["tokens_saved"] > 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_compression_bomb_is_not_inflated_and_goes_on_unchanged(
    reverse: Proxy, fake: FakeAnthropic
) -> None:
    before = reverse.stats()["totals"]["errors"]
    bomb = gzip.compress(b'{"messages": [' + b" " * (80 << 20), compresslevel=9)
    fake.received.clear()
    r = httpx.post(
        f"{reverse.url}/v1/messages",
        content=bomb,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
        timeout=60,
    )
    assert r.status_code == 400  # the provider's answer, passed on
    assert fake.received[0].body == bomb
    stats = reverse.wait_for_requests(0)
    for _ in range(100):
        if stats["totals"]["errors"] > before:
            break
        stats = reverse.stats()
    assert stats["totals"]["errors"] == before + 1


def test_tags_from_headers_and_proxy_credentials(fake: FakeAnthropic, tmp_path: Path) -> None:
    session = f"s-{uuid.uuid4()}"
    with trimline_serve(
        tmp_path, "--redirect", f"api.anthropic.com={fake.url}", mode="forward"
    ) as proxy:
        # Zero-code tagging: team and project ride in the proxy URL's credentials.
        host = proxy.url.removeprefix("http://")
        http_client = httpx.Client(
            proxy=f"http://payments:checkout@{host}",
            verify=ssl.create_default_context(cafile=proxy.ca_cert),
        )
        c = anthropic.Anthropic(
            api_key="sk-ant-secret-key",
            http_client=http_client,
            max_retries=0,
            default_headers={
                "x-trimline-session": session,
                "x-trimline-user": "ada",
                "x-trimline-feature": "refactor",
            },
        )
        fake.received.clear()
        c.messages.create(model=MODEL, max_tokens=10, messages=conversation("x"))
        (got,) = fake.messages()
        assert not any(
            k.lower().startswith(("x-trimline-", "proxy-authorization")) for k in got.headers
        )
        proxy.wait_for_session(session)
        teams = proxy.stats()["by_team"]
        assert {"team": "payments", "project": "checkout"}.items() <= teams[0].items()
    conn = sqlite3.connect(proxy.db)
    row = conn.execute(
        "SELECT team, project, user, feature FROM calls WHERE session = ?", (session,)
    ).fetchone()
    assert row == ("payments", "checkout", "ada", "refactor")
    # Secrets stay secret: the key is nowhere in what Trimline wrote.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"sk-ant-secret-key" not in path.read_bytes(), path


def test_sigterm_writes_every_completed_call(fake: FakeAnthropic, tmp_path: Path) -> None:
    session = f"s-{uuid.uuid4()}"
    with trimline_serve(tmp_path, upstream=fake.url) as proxy:
        c = client(proxy, session)
        c.messages.create(model=MODEL, max_tokens=10, messages=conversation("warm up"))
        proxy.wait_for_requests(1)
        # Hold the database so that records pile up in the writer's queue.
        blocker = sqlite3.connect(proxy.db, timeout=30)
        blocker.execute("BEGIN EXCLUSIVE")
        for i in range(20):
            c.messages.create(model=MODEL, max_tokens=10, messages=conversation(f"run {i}"))
        proxy.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        blocker.rollback()
        assert proxy.process.wait(timeout=30) == 0
    (n,) = (
        sqlite3.connect(proxy.db)
        .execute("SELECT COUNT(*) FROM calls WHERE session = ?", (session,))
        .fetchone()
    )
    assert n == 21


def test_sigterm_lets_streams_in_flight_finish(tmp_path: Path) -> None:
    """A stop under load: streams already under way complete, each with its row."""
    session = f"s-{uuid.uuid4()}"
    with FakeAnthropic() as fake, trimline_serve(tmp_path, upstream=fake.url) as proxy:
        fake.chunk_delay = 0.25  # each stream takes a couple of seconds
        c = client(proxy, session)
        texts: list[str] = []
        errors: list[BaseException] = []

        def stream(i: int) -> None:
            try:
                with c.messages.stream(
                    model=MODEL, max_tokens=10, messages=conversation(f"run {i}")
                ) as s:
                    texts.append(s.get_final_text())
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=stream, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(fake.messages()) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(fake.messages()) == 8
        proxy.process.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(timeout=30)
        assert proxy.process.wait(timeout=30) == 0
    assert errors == []
    assert texts == [fake.text] * 8
    rows = (
        sqlite3.connect(proxy.db)
        .execute("SELECT output_tokens, error FROM calls WHERE session = ?", (session,))
        .fetchall()
    )
    assert rows == [(fake.usage.output_tokens, None)] * 8


def test_serve_prices_unknown_models_from_a_price_file(fake: FakeAnthropic, tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."claude-opus-5-5"]\ninput = 5.0\noutput = 25.0\n')
    session = f"s-{uuid.uuid4()}"
    with trimline_serve(tmp_path, "--prices", str(prices), upstream=fake.url) as proxy:
        client(proxy, session).messages.create(
            model="claude-opus-5-5", max_tokens=10, messages=conversation("x")
        )
        row = proxy.wait_for_session(session)
    u = fake.usage
    # No cache rates in the file: cache reads and writes at the input rate.
    billed_input = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
    assert row["cost_usd"] == pytest.approx((billed_input * 5 + u.output_tokens * 25) / 1e6)


def test_serve_refuses_a_bad_price_file(tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."m"]\ninput = "cheap"\noutput = 1\n')
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trimline.cli",
            "serve",
            "--prices",
            str(prices),
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
    assert done.returncode != 0
    assert b"price file" in done.stderr + done.stdout and b"input" in done.stderr + done.stdout
