"""Faults through the real proxy: what the agent sees, and what Trimline records.

The upstream here is a raw socket server, so it can misbehave in ways an HTTP
library would not: refuse, hang, reset halfway through a stream, answer 429/5xx
with ``retry-after``. The agent must see exactly what the provider sent (or the
same kind of connection failure), Trimline must record the call and never retry.
Bad request bodies must go upstream unchanged, with the error recorded. The
metering store may be locked or refuse writes for a while: calls keep flowing and
no record is lost.
"""

from __future__ import annotations

import gzip
import json
import socket
import sqlite3
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from trimline.metering import store
from trimline.metering.records import CallRecord, Decision, Usage
from trimline.metering.writer import RecordWriter

from tests.backends import count
from tests.fake_openai import FakeOpenAI
from tests.proxy import Proxy, free_port, trimline_serve
from tests.samples import pytest_log

pytestmark = pytest.mark.integration

MODEL = "claude-sonnet-4-5"


# -- a misbehaving upstream ----------------------------------------------------


class Request:
    def __init__(self, line: bytes, headers: dict[str, str], body: bytes) -> None:
        self.line, self.headers, self.body = line, headers, body

    @property
    def path(self) -> str:
        return self.line.split()[1].decode()


Behaviour = Callable[[socket.socket, Request], None]


class FaultServer:
    """One thread per connection; the request's ``x-fault`` header picks the behaviour."""

    def __init__(self, behaviours: dict[str, Behaviour]) -> None:
        self.behaviours = behaviours
        self.received: list[Request] = []
        self.active = 0
        self.upstream_closed = 0  # connections the proxy closed while we still held them
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(256)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def requests(self, fault: str) -> list[Request]:
        return [r for r in self.received if r.headers.get("x-fault") == fault]

    def tagged(self, tag: str) -> list[Request]:
        return [r for r in self.received if r.headers.get("x-tag") == tag]

    def close(self) -> None:
        self._sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self.active += 1
        try:
            conn.settimeout(30)
            f = conn.makefile("rb")
            while True:  # keep-alive: one request after another
                request = _read_request(f)
                if request is None:
                    return
                self.received.append(request)
                behaviour = self.behaviours[request.headers.get("x-fault", "ok")]
                if behaviour(conn, request) is False:
                    return
        except OSError:
            pass
        finally:
            with self._lock:
                self.active -= 1
            conn.close()


def _read_request(f) -> Request | None:
    line = f.readline()
    if not line:
        return None
    headers: dict[str, str] = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    return Request(line, headers, f.read(int(headers.get("content-length", "0"))))


MESSAGE = {
    "id": "msg_fault",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [{"type": "text", "text": "Done."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 11, "output_tokens": 7},
}


def _respond(conn: socket.socket, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    conn.sendall(head.encode() + f"content-length: {len(body)}\r\n\r\n".encode() + body)


def ok(conn: socket.socket, request: Request) -> None:
    _respond(conn, 200, [("content-type", "application/json")], json.dumps(MESSAGE).encode())


def _sse(name: str, data: dict) -> bytes:
    event = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(event), event)


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
)
START = _sse(
    "message_start",
    {
        "type": "message_start",
        "message": {**MESSAGE, "content": [], "usage": {"input_tokens": 11, "output_tokens": 1}},
    },
)
DELTA = _sse(
    "content_block_delta",
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}},
)


def reset_mid_stream(conn: socket.socket, request: Request) -> bool:
    conn.sendall(STREAM_HEAD + START + DELTA)
    time.sleep(0.05)
    # An RST rather than a FIN: SO_LINGER with a zero timeout.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False


def slow_stream(conn: socket.socket, request: Request) -> bool:
    """A long stream; if the proxy hangs up first, count it."""
    try:
        conn.sendall(STREAM_HEAD + START)
        for _ in range(300):
            time.sleep(0.02)
            conn.sendall(DELTA)
    except OSError:
        with FAULTS_LOCK:
            DISCONNECTS.append(time.monotonic())
    return False


def hang(conn: socket.socket, request: Request) -> bool:
    """Never answers; notices when the proxy closes the connection."""
    conn.settimeout(20)
    try:
        if conn.recv(1) == b"":
            with FAULTS_LOCK:
                DISCONNECTS.append(time.monotonic())
    except OSError:
        pass
    return False


FAULTS_LOCK = threading.Lock()
DISCONNECTS: list[float] = []

ERROR_HEADERS = [
    ("content-type", "application/json"),
    ("retry-after", "17"),
    ("x-should-retry", "true"),
    ("anthropic-ratelimit-requests-remaining", "0"),
    ("request-id", "req_0123456789abcdef"),
    ("x-custom-provider-header", "kept as it was"),
]


def status_reply(status: int) -> Behaviour:
    body = json.dumps(
        {"type": "error", "error": {"type": f"error_{status}", "message": f"status {status}"}}
    ).encode()

    def reply(conn: socket.socket, request: Request) -> None:
        _respond(conn, status, ERROR_HEADERS, body)

    reply.body = body  # type: ignore[attr-defined]
    return reply


STATUS_REPLIES = {f"status-{s}": status_reply(s) for s in (429, 500, 503, 529)}


@pytest.fixture(scope="module")
def upstream() -> Iterator[FaultServer]:
    server = FaultServer(
        {
            "ok": ok,
            "reset": reset_mid_stream,
            "slow": slow_stream,
            "hang": hang,
            **STATUS_REPLIES,
        }
    )
    yield server
    server.close()


@pytest.fixture(scope="module")
def proxy(upstream: FaultServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    with trimline_serve(tmp_path_factory.mktemp("faults"), upstream=upstream.url) as p:
        yield p


def rows(proxy: Proxy, session: str, n: int = 1, timeout: float = 15.0) -> list[dict]:
    """The session's rows in ``calls`` once there are n (records are written off the request path)."""
    deadline = time.monotonic() + timeout
    while True:
        conn = sqlite3.connect(f"file:{proxy.db}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            found = [
                dict(r)
                for r in conn.execute(
                    "SELECT * FROM calls WHERE session = ? ORDER BY id", (session,)
                )
            ]
        finally:
            conn.close()
        if len(found) >= n or time.monotonic() > deadline:
            assert len(found) == n, f"{session}: {len(found)} row(s), want {n}: {found}"
            return found
        time.sleep(0.05)


def body(stream: bool = False, messages: list | None = None) -> bytes:
    messages = messages or [{"role": "user", "content": "hi"}]
    return json.dumps(
        {"model": MODEL, "max_tokens": 8, "stream": stream, "messages": messages}
    ).encode()


def headers(session: str, fault: str = "ok", **extra: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-api-key": "sk-ant-test",
        "x-trimline-session": session,
        "x-fault": fault,
        "x-tag": session,  # not an x-trimline- header: it reaches the upstream
        **extra,
    }


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# -- upstream faults -------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503, 529])
@pytest.mark.parametrize("stream", [False, True])
def test_error_status_reaches_the_agent_exactly_and_is_not_retried(
    proxy: Proxy, upstream: FaultServer, status: int, stream: bool
) -> None:
    session = f"s-{uuid.uuid4()}"
    fault = f"status-{status}"
    before = len(upstream.requests(fault))
    r = httpx.post(
        f"{proxy.url}/v1/messages", content=body(stream), headers=headers(session, fault)
    )
    assert r.status_code == status
    for name, value in ERROR_HEADERS:
        assert r.headers.get(name) == value, name
    assert r.content == STATUS_REPLIES[fault].body  # type: ignore[attr-defined]
    (row,) = rows(proxy, session)
    assert row["status"] == status
    # Trimline never retries: the provider saw exactly one request.
    time.sleep(0.2)
    assert len(upstream.requests(fault)) == before + 1


def test_upstream_refusing_gives_a_gateway_error_and_is_recorded(tmp_path: Path) -> None:
    dead = free_port()  # nothing listens here
    session = f"s-{uuid.uuid4()}"
    with trimline_serve(tmp_path, upstream=f"http://127.0.0.1:{dead}") as p:
        r = httpx.post(f"{p.url}/v1/messages", content=body(), headers=headers(session))
        # A refused upstream connection is a 502, as from any gateway, in Anthropic's shape.
        assert r.status_code == 502
        assert r.json()["error"]["type"] == "api_error"
        (row,) = rows(p, session)
    assert row["status"] == 0
    assert "refused" in row["error"].lower() or "connect call failed" in row["error"].lower()


def test_reset_mid_stream_reaches_the_agent_and_keeps_the_usage_seen(
    proxy: Proxy, upstream: FaultServer
) -> None:
    session = f"s-{uuid.uuid4()}"
    before = len(upstream.requests("reset"))
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST",
            f"{proxy.url}/v1/messages",
            content=body(stream=True),
            headers=headers(session, "reset"),
        ) as r,
    ):
        assert r.status_code == 200
        for _ in r.iter_raw():
            pass
    (row,) = rows(proxy, session)
    assert row["status"] == 200
    assert row["error"] and "cancelled" not in row["error"]
    assert row["input_tokens"] == 11  # from message_start, before the reset
    assert len(upstream.requests("reset")) == before + 1


def test_upstream_that_never_answers_is_left_to_the_agents_timeout(
    proxy: Proxy, upstream: FaultServer
) -> None:
    session = f"s-{uuid.uuid4()}"
    before = len(upstream.requests("hang"))
    hung_up = len(DISCONNECTS)
    t0 = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{proxy.url}/v1/messages",
            content=body(),
            headers=headers(session, "hang"),
            timeout=httpx.Timeout(5, read=1.0),
        )
    assert time.monotonic() - t0 < 5
    (row,) = rows(proxy, session)
    assert row["status"] == 0 and row["error"].startswith("cancelled")
    # The proxy hangs up on the provider too: no connection is left behind.
    deadline = time.monotonic() + 5
    while len(DISCONNECTS) == hung_up and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(DISCONNECTS) > hung_up
    assert len(upstream.requests("hang")) == before + 1


def test_client_disconnect_mid_stream_is_recorded_as_cancelled(
    proxy: Proxy, upstream: FaultServer
) -> None:
    session = f"s-{uuid.uuid4()}"
    with httpx.stream(
        "POST",
        f"{proxy.url}/v1/messages",
        content=body(stream=True),
        headers=headers(session, "slow"),
    ) as r:
        chunks = r.iter_raw()
        assert b"message_start" in next(chunks)
        next(chunks)
    (row,) = rows(proxy, session)
    assert row["error"].startswith("cancelled")
    assert row["status"] == 200
    assert (row["input_tokens"], row["output_tokens"]) == (11, 1)  # what was seen so far
    assert row["latency_ms"] is not None


def test_many_client_disconnects_leak_no_memory_nor_connections(
    proxy: Proxy, upstream: FaultServer
) -> None:
    session = f"s-{uuid.uuid4()}"

    def one() -> None:
        with httpx.stream(
            "POST",
            f"{proxy.url}/v1/messages",
            content=body(stream=True),
            headers=headers(session, "slow"),
        ) as r:
            chunks = r.iter_raw()
            next(chunks)
            next(chunks)

    def batch(n: int) -> None:
        threads = [threading.Thread(target=one) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

    pid = proxy.process.pid
    batch(10)  # warm up: allocator pools, lazily created state
    rows(proxy, session, 10)
    rss_before = rss_kb(pid)
    fds_before = len(list(Path(f"/proc/{pid}/fd").iterdir()))
    for _ in range(5):
        batch(10)
    found = rows(proxy, session, 60)
    assert all(r["error"].startswith("cancelled") for r in found)
    # Every upstream stream was closed by the proxy once its client left.
    deadline = time.monotonic() + 10
    while upstream.active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.active == 0
    growth_mb = (rss_kb(pid) - rss_before) / 1024
    fds_after = len(list(Path(f"/proc/{pid}/fd").iterdir()))
    assert growth_mb < 8, f"RSS grew {growth_mb:.1f} MB over 50 disconnects"
    assert fds_after <= fds_before + 4, (fds_before, fds_after)


# -- the metering store unavailable ---------------------------------------------


def test_calls_flow_while_the_database_is_locked_and_no_record_is_lost(
    upstream: FaultServer, tmp_path: Path
) -> None:
    session = f"s-{uuid.uuid4()}"
    with trimline_serve(tmp_path, upstream=upstream.url) as p:
        httpx.post(f"{p.url}/v1/messages", content=body(), headers=headers(session))
        rows(p, session, 1)
        # Longer than the store's busy timeout (5 s): writes fail, not just wait.
        blocker = sqlite3.connect(p.db, timeout=30)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            with httpx.Client(timeout=10) as c:
                for i in range(12):
                    t0 = time.monotonic()
                    r = c.post(
                        f"{p.url}/v1/messages",
                        content=body(messages=[{"role": "user", "content": f"turn {i}"}]),
                        headers=headers(session),
                    )
                    assert r.status_code == 200
                    assert time.monotonic() - t0 < 2, "a call waited for the database"
                    time.sleep(0.6)
        finally:
            blocker.rollback()
            blocker.close()
        rows(p, session, 13, timeout=20)
        log = p.log.read_text()
    assert "held back" in log  # the outage was reported


class FlakyStore:
    """store.write that fails while ``down`` is set, as a locked or read-only database does."""

    def __init__(self, real: Callable) -> None:
        self.real = real
        self.down = threading.Event()
        self.attempts = 0

    def __call__(self, conn, records):
        self.attempts += 1
        if self.down.is_set():
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return self.real(conn, records)


def record(i: int) -> CallRecord:
    return CallRecord(
        ts=float(i),
        provider="anthropic",
        endpoint="messages",
        session="s",
        model=MODEL,
        stream=False,
        status=200,
        usage=Usage(input_tokens=10, output_tokens=2),
    )


def test_writer_holds_records_back_while_the_store_is_down_and_flushes_them_after(
    store_target: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyStore(store.write)
    monkeypatch.setattr(store, "write", flaky)
    writer = RecordWriter(store_target, max_pending=1000)
    flaky.down.set()
    for i in range(300):
        writer.submit(record(i))
    writer.flush()
    assert writer.counts()["records_pending"] == 300
    assert writer.counts()["records_dropped"] == 0
    assert count(store_target) == 0
    flaky.down.clear()
    deadline = time.monotonic() + 10
    while writer.counts()["records_pending"] and time.monotonic() < deadline:
        time.sleep(0.05)
    writer.close()
    assert count(store_target) == 300
    assert writer.counts() == {
        "records_written": 300,
        "records_pending": 0,
        "records_dropped": 0,
        "store_errors": writer.store_errors,
    }
    assert writer.store_errors >= 1


def test_writer_bounds_what_it_holds_back_and_counts_what_it_drops(
    store_target: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyStore(store.write)
    monkeypatch.setattr(store, "write", flaky)
    monkeypatch.setattr("trimline.metering.writer.STOP_GRACE", 0.5)
    writer = RecordWriter(store_target, max_pending=100)
    flaky.down.set()
    for i in range(250):
        writer.submit(record(i))
    writer.flush()
    assert writer.counts()["records_pending"] == 100
    assert writer.counts()["records_dropped"] == 150
    # Stopping while the store is still down: what is left is counted, never silently lost.
    writer.close()
    assert writer.counts()["records_dropped"] == 250
    assert writer.written + writer.dropped == 250


def test_decisions_are_held_back_too(
    store_target: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store.write_decisions
    down = threading.Event()

    def flaky(conn, decisions):
        if down.is_set():
            raise sqlite3.OperationalError("database is locked")
        return real(conn, decisions)

    monkeypatch.setattr(store, "write_decisions", flaky)
    writer = RecordWriter(store_target)
    down.set()
    for i in range(20):
        writer.submit(Decision(bytes([i]) * 20, b"x"))
    writer.flush()
    down.clear()
    writer.close()
    assert count(store_target, "decisions") == 20


def test_a_record_that_cannot_be_priced_does_not_stop_the_writer(
    store_target: str | Path,
) -> None:
    # An OpenAI-compatible server that reports more cached tokens than prompt tokens gives a
    # negative input count, which the price library refuses: the writer thread used to die on
    # it, and every later record was lost.
    writer = RecordWriter(store_target)
    bad = record(0)
    bad.usage = Usage(input_tokens=-5, output_tokens=2, cache_read_input_tokens=100)
    writer.submit(bad)
    for i in range(1, 10):
        writer.submit(record(i))
    writer.flush()
    writer.close()
    assert count(store_target) == 10
    assert writer.dropped == 0


def test_impossible_usage_from_upstream_loses_no_record(tmp_path: Path) -> None:
    session = f"s-{uuid.uuid4()}"
    with FakeOpenAI() as fake, trimline_serve(tmp_path, upstream=fake.url) as p:
        fake.usage.cached_tokens = fake.usage.input_tokens + 100
        for i in range(3):
            r = httpx.post(
                f"{p.url}/v1/chat/completions",
                json={"model": "gpt-5", "messages": [{"role": "user", "content": f"hi {i}"}]},
                headers={"authorization": "Bearer sk-test", "x-trimline-session": session},
            )
            assert r.status_code == 200
        found = rows(p, session, 3)
    assert all(r["cost_usd"] is None for r in found)


# -- bad request bodies ------------------------------------------------------------


def _tool_turn(content: object, *, use_id: str = "toolu_1", with_use: bool = True) -> list:
    messages: list = [{"role": "user", "content": "Run the tests."}]
    if with_use:
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": use_id,
                        "name": "Bash",
                        "input": {"command": "pytest"},
                    }
                ],
            }
        )
    messages.append(
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use_id, "content": content}],
        }
    )
    return messages


def _doc(messages: list) -> bytes:
    return json.dumps({"model": MODEL, "max_tokens": 8, "messages": messages}).encode()


IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}
DOCUMENT = {
    "type": "document",
    "source": {"type": "text", "media_type": "text/plain", "data": "a document"},
}
DEEP = b'{"model": "m", "messages": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"

# (name, raw body, extra headers, whether the parse error is recorded)
BAD_BODIES = [
    ("not json", b"this is not json at all", {}, True),
    ("truncated", _doc(_tool_turn(pytest_log()))[:-37], {}, True),
    ("a list", b'[{"model": "m"}]', {}, True),
    ("a string", b'"messages"', {}, True),
    ("a number", b"42", {}, True),
    ("messages not a list", b'{"model": "m", "messages": {"role": "user"}}', {}, False),
    ("messages of scalars", b'{"model": "m", "messages": [1, "a", null, true]}', {}, False),
    ("content of scalars", _doc([{"role": "user", "content": 7}, {"role": 3}]), {}, False),
    ("deeply nested", DEEP, {}, True),
    ("invalid utf-8", b'{"model": "m", "messages": [{"role": "user", "content": "\xff\xfe"}]}', {}, True),
    # Valid JSON that orjson refuses: read by the standard library, nothing to report.
    ("lone surrogate", b'{"model": "m", "messages": [{"role": "user", "content": "\\ud800"}]}', {}, False),
    ("unknown encoding", gzip.compress(_doc(_tool_turn(pytest_log()))), {"content-encoding": "x-rot13"}, True),
    ("bad gzip", b"\x1f\x8b\x08\x00garbage", {"content-encoding": "gzip"}, True),
    ("image result", _doc(_tool_turn([IMAGE])), {}, False),
    ("document result", _doc(_tool_turn([DOCUMENT])), {}, False),
    ("nested lists", _doc(_tool_turn([[{"type": "text", "text": "x"}], [[]]])), {}, False),
    ("null result", _doc(_tool_turn(None)), {}, False),
    ("number result", _doc(_tool_turn(12.5)), {}, False),
    ("dict result", _doc(_tool_turn({"type": "text", "text": pytest_log()})), {}, False),
    ("text part without text", _doc(_tool_turn([{"type": "text", "text": None}, {"type": "text"}])), {}, False),
    ("gzip without its trailer", gzip.compress(_doc(_tool_turn(pytest_log())))[:-8], {"content-encoding": "gzip"}, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "extra", "error"),
    [pytest.param(raw, extra, error, id=name) for name, raw, extra, error in BAD_BODIES],
)
def test_bad_body_goes_upstream_unchanged(
    proxy: Proxy, upstream: FaultServer, raw: bytes, extra: dict, error: bool
) -> None:
    session = f"s-{uuid.uuid4()}"
    r = httpx.post(
        f"{proxy.url}/v1/messages", content=raw, headers=headers(session, **extra), timeout=30
    )
    assert r.status_code == 200  # the provider's answer, passed on
    assert r.json()["id"] == "msg_fault"
    (sent,) = upstream.tagged(session)
    assert sent.body == raw, "the body changed on its way up"
    assert all(not k.startswith("x-trimline-") for k in sent.headers)
    (row,) = rows(proxy, session)
    assert row["status"] == 200
    if error:
        assert row["error"] and row["error"].startswith("request:"), row["error"]
    else:
        assert row["error"] is None


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param(_tool_turn(pytest_log(), with_use=False), id="no tool_use"),
        pytest.param(_tool_turn(pytest_log(), use_id=17), id="non-string id"),  # type: ignore[arg-type]
    ],
)
def test_tool_result_without_its_tool_use_is_compressed_by_content(
    proxy: Proxy, upstream: FaultServer, messages: list
) -> None:
    session = f"s-{uuid.uuid4()}"
    r = httpx.post(f"{proxy.url}/v1/messages", content=_doc(messages), headers=headers(session))
    assert r.status_code == 200
    (sent,) = (json.loads(q.body) for q in upstream.tagged(session))
    result = sent["messages"][-1]["content"][0]
    assert "[trimline]" in result["content"]
    assert "1 failed, 600 passed" in result["content"]
    result["content"] = pytest_log()
    assert sent == json.loads(_doc(messages))
    (row,) = rows(proxy, session)
    assert row["error"] is None


def test_duplicate_tool_use_ids_are_forwarded_validly(proxy: Proxy, upstream: FaultServer) -> None:
    session = f"s-{uuid.uuid4()}"
    use = {"type": "tool_use", "id": "dup", "name": "Bash", "input": {"command": "pytest -v"}}
    messages = [
        {"role": "user", "content": "Run it twice."},
        {"role": "assistant", "content": [use, {**use, "input": {"command": "ls"}}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "dup", "content": pytest_log()},
                {"type": "tool_result", "tool_use_id": "dup", "content": "a\nb"},
            ],
        },
    ]
    r = httpx.post(f"{proxy.url}/v1/messages", content=_doc(messages), headers=headers(session))
    assert r.status_code == 200
    (sent,) = (json.loads(q.body) for q in upstream.tagged(session))
    results = sent["messages"][-1]["content"]
    assert [x["tool_use_id"] for x in results] == ["dup", "dup"]
    assert results[1]["content"] == "a\nb"
    assert sent["messages"][:2] == messages[:2]
    (row,) = rows(proxy, session)
    assert row["error"] is None


def test_a_50_mb_body_goes_through(proxy: Proxy, upstream: FaultServer) -> None:
    """Screenshots in the history: big, but under the 64 MB bound, so it is parsed."""
    session = f"s-{uuid.uuid4()}"
    image = {**IMAGE, "source": {**IMAGE["source"], "data": "A" * (5 << 20)}}
    messages = [{"role": "user", "content": [image, {"type": "text", "text": "what is this?"}]}]
    messages *= 10
    messages += _tool_turn(pytest_log())[1:]
    raw = _doc(messages)
    assert len(raw) > 50 << 20
    t0 = time.monotonic()
    r = httpx.post(f"{proxy.url}/v1/messages", content=raw, headers=headers(session), timeout=60)
    assert r.status_code == 200
    assert time.monotonic() - t0 < 20
    (sent,) = (json.loads(q.body) for q in upstream.tagged(session))
    assert "[trimline]" in sent["messages"][-1]["content"][0]["content"]
    assert sent["messages"][:10] == messages[:10]
    (row,) = rows(proxy, session, timeout=30)
    assert row["error"] is None


def test_a_body_over_64_mb_is_not_parsed_and_goes_on_unchanged(
    proxy: Proxy, upstream: FaultServer
) -> None:
    session = f"s-{uuid.uuid4()}"
    raw = _doc(_tool_turn("y" * (66 << 20)))
    r = httpx.post(f"{proxy.url}/v1/messages", content=raw, headers=headers(session), timeout=60)
    assert r.status_code == 200
    assert [q.body for q in upstream.tagged(session)] == [raw]
    (row,) = rows(proxy, session)
    assert "TooLarge" in row["error"]


def test_only_changed_tool_output_bytes_differ_upstream(
    proxy: Proxy, upstream: FaultServer
) -> None:
    """Through the real proxy: a big integer and the agent's own escapes in history, a
    duplicate key, a new pytest log. Upstream, the body is the agent's bytes with the log's
    string replaced, nothing else; a later turn with an unreadable element (invalid UTF-8)
    still sends the log compressed, as it went before."""
    session = f"s-{uuid.uuid4()}"
    log_text = pytest_log()
    head = (
        b'{"model": "' + MODEL.encode() + b'", "max_tokens": 100000000000000000000000,'
        b' "messages": [{"role": "user", "content": "caf\\u00e9 \\/ go"},'
        b' {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name":'
        b' "Bash", "input": {"command": "pytest", "seed": 123456789012345678901234567890}}]},'
        b' {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",'
        b' "content": "x", "content": '
    )
    encoded = json.dumps(log_text).encode()
    raw = head + encoded + b"}]}]}"
    r = httpx.post(f"{proxy.url}/v1/messages", content=raw, headers=headers(session), timeout=30)
    assert r.status_code == 200
    (sent,) = upstream.tagged(session)
    assert sent.body.startswith(head) and sent.body.endswith(b"}]}]}")
    compressed = json.loads(sent.body[len(head) : -len(b"}]}]}")])
    assert isinstance(compressed, str) and len(compressed) < len(log_text)
    # The next turn carries an element that cannot be read: it goes as it came, and the
    # history before it keeps its compressed bytes (no prompt-cache miss).
    nxt = raw[: -len(b"]}")] + b', {"role": "user", "content": "bad \xff byte"}]}'
    r = httpx.post(f"{proxy.url}/v1/messages", content=nxt, headers=headers(session), timeout=30)
    assert r.status_code == 200
    first, second = upstream.tagged(session)
    assert (
        second.body
        == first.body[: -len(b"]}")] + b', {"role": "user", "content": "bad \xff byte"}]}'
    )
