"""Upstream failures reach the agent in the provider's own error shape, logged and counted.

Real ``trimline serve``, the real anthropic and openai SDKs as clients; the upstream is a
closed port, a plain-HTTP server spoken to in TLS, or a raw socket that cuts its answer.
"""

from __future__ import annotations

import socket
import ssl
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import openai
import orjson
import pytest
from trimline.addons.upstream_errors import TIMEOUT, classify, error_body

from tests.proxy import Proxy, free_port, trimline_serve

pytestmark = pytest.mark.integration

MODEL = "claude-sonnet-4-5"
MESSAGES = [{"role": "user", "content": "hi"}]
HEADER = "x-trimline-overhead-ms"


def upstream_errors(proxy: Proxy) -> int:
    return proxy.stats()["totals"]["upstream_errors"]


def metric(proxy: Proxy, name: str) -> float:
    url = f"http://127.0.0.1:{proxy.stats_port}/metrics"
    with urllib.request.urlopen(url, timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.fixture(scope="module")
def dead(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """A proxy whose upstream port has nothing listening."""
    upstream = f"http://127.0.0.1:{free_port()}"
    with trimline_serve(tmp_path_factory.mktemp("dead"), upstream=upstream) as p:
        yield p


def assert_anthropic_error(e: anthropic.APIStatusError, status: int, kind: str) -> None:
    assert e.status_code == status
    assert e.response.headers["content-type"] == "application/json"
    assert float(e.response.headers[HEADER]) >= 0
    body = e.response.json()
    assert body["type"] == "error" and body["error"]["type"] == kind
    assert "127.0.0.1" in body["error"]["message"]
    assert e.body == body  # the SDK parsed it as a provider error


def test_anthropic_sdk_gets_an_anthropic_error_when_upstream_is_down(dead: Proxy) -> None:
    before = upstream_errors(dead)
    c = anthropic.Anthropic(base_url=dead.url, api_key="sk-ant-test", max_retries=0)
    with pytest.raises(anthropic.InternalServerError) as plain:
        c.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    assert_anthropic_error(plain.value, 502, "api_error")
    with (
        pytest.raises(anthropic.InternalServerError) as streamed,
        c.messages.stream(model=MODEL, max_tokens=8, messages=MESSAGES) as stream,
    ):
        stream.get_final_message()
    assert_anthropic_error(streamed.value, 502, "api_error")
    assert upstream_errors(dead) == before + 2
    assert metric(dead, "trimline_upstream_errors_total") >= before + 2
    log = dead.log.read_text()
    assert "unreachable on POST /v1/messages" in log and "Connect call failed" in log


def test_the_sdks_own_retries_each_meet_the_same_json_error(dead: Proxy) -> None:
    before = upstream_errors(dead)
    c = anthropic.Anthropic(base_url=dead.url, api_key="sk-ant-test", max_retries=2)
    c = c.with_options(timeout=10)
    with pytest.raises(anthropic.InternalServerError) as e:
        c.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    assert_anthropic_error(e.value, 502, "api_error")
    assert upstream_errors(dead) == before + 3  # the first call and two retries


@pytest.mark.parametrize("stream", [False, True])
def test_openai_sdk_gets_an_openai_error_when_upstream_is_down(dead: Proxy, stream: bool) -> None:
    before = upstream_errors(dead)
    c = openai.OpenAI(base_url=f"{dead.url}/v1", api_key="sk-test", max_retries=0)
    for call in (
        lambda: c.chat.completions.create(model="gpt-5", messages=MESSAGES, stream=stream),
        lambda: c.responses.create(model="gpt-5", input="hi", stream=stream),
    ):
        with pytest.raises(openai.InternalServerError) as e:
            call()
        assert e.value.status_code == 502
        assert e.value.response.headers["content-type"] == "application/json"
        assert HEADER in e.value.response.headers
        error = e.value.response.json()["error"]
        assert error["type"] == "server_error" and error["code"] == "upstream_unreachable"
        assert "127.0.0.1" in error["message"]
    assert upstream_errors(dead) == before + 2


def test_other_requests_to_a_dead_upstream_get_json_too(dead: Proxy) -> None:
    r = httpx.get(f"{dead.url}/v1/models", headers={"anthropic-version": "2023-06-01"})
    assert r.status_code == 502 and r.json()["type"] == "error"
    head = httpx.head(f"{dead.url}/")
    assert head.status_code == 502 and head.content == b""


def test_tls_failure_is_a_provider_error(tmp_path: Path) -> None:
    # An upstream that speaks plain HTTP, spoken to in TLS.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def answer() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            conn.close()

    threading.Thread(target=answer, daemon=True).start()
    upstream = f"https://127.0.0.1:{server.getsockname()[1]}"
    try:
        with trimline_serve(tmp_path, upstream=upstream) as p:
            c = anthropic.Anthropic(base_url=p.url, api_key="sk-ant-test", max_retries=0)
            with pytest.raises(anthropic.InternalServerError) as e:
                c.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
            assert_anthropic_error(e.value, 502, "api_error")
            assert e.value.response.headers["x-trimline-upstream-error"] == "tls"
            assert upstream_errors(p) == 1
    finally:
        server.close()


def _cut_after_headers(server: socket.socket) -> None:
    """Answers 200 with a body it never finishes: a non-streamed response cut midway."""
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n"
            b'{"id": "msg_'
        )
        conn.close()


def test_a_response_cut_before_its_status_was_sent_is_a_provider_error(tmp_path: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    threading.Thread(target=_cut_after_headers, args=(server,), daemon=True).start()
    try:
        with trimline_serve(tmp_path, upstream=f"http://127.0.0.1:{server.getsockname()[1]}") as p:
            c = openai.OpenAI(base_url=f"{p.url}/v1", api_key="sk-test", max_retries=0)
            with pytest.raises(openai.InternalServerError) as e:
                c.chat.completions.create(model="gpt-5", messages=MESSAGES)
            assert e.value.status_code == 502
            assert e.value.response.json()["error"]["code"] == "upstream_cut"
            assert HEADER in e.value.response.headers
            assert upstream_errors(p) == 1
            assert "upstream http://127.0.0.1" in p.log.read_text()
    finally:
        server.close()


def test_forward_mode_answers_in_the_providers_shape(tmp_path: Path) -> None:
    dead_port = free_port()
    with trimline_serve(
        tmp_path,
        "--redirect",
        f"api.anthropic.com=http://127.0.0.1:{dead_port}",
        mode="forward",
    ) as proxy:
        http_client = httpx.Client(
            proxy=proxy.url, verify=ssl.create_default_context(cafile=proxy.ca_cert)
        )
        c = anthropic.Anthropic(api_key="sk-ant-test", http_client=http_client, max_retries=0)
        with pytest.raises(anthropic.InternalServerError) as e:
            c.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
        assert_anthropic_error(e.value, 502, "api_error")
        assert upstream_errors(proxy) == 1


def test_a_client_that_leaves_is_not_an_upstream_error() -> None:
    assert classify("Client disconnected.") is None
    assert classify("peer reset by client") is None
    assert classify("[Errno 110] Connect call failed: Connection timed out") is TIMEOUT
    assert TIMEOUT.status == 504
    assert error_body("anthropic", TIMEOUT, "m") == {
        "type": "error",
        "error": {"type": "timeout_error", "message": "m"},
    }
    assert orjson.loads(orjson.dumps(error_body("openai", TIMEOUT, "m")))["error"]["code"] == (
        "upstream_timeout"
    )
