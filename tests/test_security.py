"""Secrets stay secret, and everything listens on loopback only.

Calls carrying distinctive credentials go through the real proxy (both providers,
reverse and forward mode, streamed and not, compressed and not, failing too);
then every file written under the proxy's directory (databases and their WAL
files, originals, the log, recorded sessions) and every stats response is
searched for them.
"""

from __future__ import annotations

import base64
import ssl
import stat
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from tests.fake_anthropic import FakeAnthropic
from tests.fake_openai import FakeOpenAI
from tests.proxy import Proxy, trimline_serve
from tests.samples import pytest_log
from tests.test_proxy import conversation

pytestmark = pytest.mark.integration

MARK = uuid.uuid4().hex[:12]
SECRETS = {
    "x-api-key": f"sk-ant-api03-SECRETKEY{MARK}",
    "authorization": f"Bearer sk-proj-SECRETBEARER{MARK}",
    "api-key": f"azure-SECRETAZURE{MARK}",
    "cookie": f"session=SECRETCOOKIE{MARK}; other=1",
}
# Proxy credentials are Trimline's zero-code tags (user = team, password = project), so the
# project name is meant to be stored; the raw Proxy-Authorization header never is.
PROJECT = f"project{MARK}"
PROXY_BASIC = base64.b64encode(f"team:{PROJECT}".encode()).decode()


def needles() -> list[bytes]:
    out = []
    for value in SECRETS.values():
        out.append(value.encode())
        # The distinctive part alone, in case a prefix ("Bearer ") was cut.
        out.append(value.split("SECRET", 1)[1].split(";")[0].encode())
    out.append(PROXY_BASIC.encode())
    return out


def leaks(data: bytes) -> list[bytes]:
    return [n for n in needles() if n in data]


def listening(port: int) -> list[str]:
    """Local addresses of the LISTEN sockets on this port (IPv4 and IPv6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1


def exercise_anthropic(url: str, http_client: httpx.Client | None = None) -> None:
    extra = {"api-key": SECRETS["api-key"], "cookie": SECRETS["cookie"]}
    c = anthropic.Anthropic(
        base_url=url if http_client is None else None,
        api_key=SECRETS["x-api-key"],
        http_client=http_client,
        max_retries=0,
        default_headers={**extra, "x-trimline-session": f"sec-{MARK}"},
    )
    c.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=conversation(pytest_log()))
    with c.messages.stream(
        model="claude-sonnet-4-5", max_tokens=8, messages=conversation("short")
    ) as s:
        "".join(s.text_stream)
    # A bearer token too (some gateways), and a body that cannot be parsed.
    client = http_client or httpx.Client()
    r = client.post(
        f"{url or 'https://api.anthropic.com'}/v1/messages",
        content=b"{not json",
        headers={"authorization": SECRETS["authorization"], **extra},
    )
    assert r.status_code == 400


def exercise_openai(url: str, http_client: httpx.Client | None = None) -> None:
    c = openai.OpenAI(
        base_url=f"{url}/v1" if http_client is None else None,
        api_key=SECRETS["authorization"].removeprefix("Bearer "),
        http_client=http_client,
        max_retries=0,
        default_headers={"cookie": SECRETS["cookie"], "api-key": SECRETS["api-key"]},
    )
    messages = [
        {"role": "user", "content": "run the tests"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "shell", "arguments": '{"command": "pytest -v"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": pytest_log()},
    ]
    c.chat.completions.create(model="gpt-5", messages=messages)
    stream = c.chat.completions.create(
        model="gpt-5", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    for _ in stream:
        pass
    c.responses.create(model="gpt-5", input="hello")


def assert_nothing_written_holds_a_secret(tmp: Path, proxy: Proxy) -> None:
    files = [p for p in tmp.rglob("*") if p.is_file()]
    assert any(p.name == "trimline.db" for p in files)
    assert any(p.name == "serve.log" for p in files)
    for path in files:
        if path.name.endswith((".pem", ".p12", ".cer")):
            continue  # mitmproxy's CA
        found = leaks(path.read_bytes())
        assert not found, f"{path} holds {found}"


def stats_responses(proxy: Proxy) -> list[bytes]:
    out = []
    for path in ("/stats", "/stats?session=x", "/nope"):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{proxy.stats_port}{path}") as r:
                out.append(r.read())
        except urllib.error.HTTPError as e:
            out.append(e.read())
    return out


def test_reverse_mode_writes_no_secret_anywhere(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "o").mkdir()
    with FakeAnthropic() as fa, FakeOpenAI() as fo:
        with trimline_serve(
            tmp_path / "a", "--record", str(tmp_path / "a" / "rec"), upstream=fa.url
        ) as pa:
            exercise_anthropic(pa.url)
            pa.wait_for_requests(2)
            for body in stats_responses(pa):
                assert not leaks(body)
        # The keys did reach the provider: they were sent, so the search is meaningful.
        assert any(r.header("x-api-key") == SECRETS["x-api-key"] for r in fa.received)
        with trimline_serve(tmp_path / "o", upstream=fo.url) as po:
            exercise_openai(po.url)
            po.wait_for_requests(3)
            for body in stats_responses(po):
                assert not leaks(body)
        assert any(r.header("authorization") == SECRETS["authorization"] for r in fo.received)
    assert list((tmp_path / "a" / "rec").glob("*.jsonl")), "nothing recorded"
    assert_nothing_written_holds_a_secret(tmp_path, pa)


def test_forward_mode_writes_no_secret_anywhere(tmp_path: Path) -> None:
    with FakeAnthropic() as fa, FakeOpenAI() as fo:
        with trimline_serve(
            tmp_path,
            "--redirect",
            f"api.anthropic.com={fa.url},api.openai.com={fo.url}",
            "--record",
            str(tmp_path / "rec"),
            mode="forward",
        ) as p:
            host = p.url.removeprefix("http://")
            http_client = httpx.Client(
                proxy=f"http://team:{PROJECT}@{host}",
                verify=ssl.create_default_context(cafile=p.ca_cert),
            )
            exercise_anthropic("", http_client)
            exercise_openai("", http_client)
            p.wait_for_requests(5)
            for body in stats_responses(p):
                assert not leaks(body)
            assert any(t["project"] == PROJECT for t in p.stats()["by_team"])
        # Proxy credentials never travel upstream either.
        for r in fa.received + fo.received:
            assert r.header("proxy-authorization") is None
    assert_nothing_written_holds_a_secret(tmp_path, p)


def test_everything_listens_on_loopback_and_the_ca_key_is_private(tmp_path: Path) -> None:
    with FakeAnthropic() as fa, trimline_serve(tmp_path, upstream=fa.url) as p:
        for port in (p.port, p.stats_port):
            addresses = listening(port)
            assert addresses, f"nothing listens on {port}"
            assert set(addresses) <= LOOPBACK, (port, addresses)
        key = p.confdir / "mitmproxy-ca.pem"
        assert key.exists()
        mode = stat.S_IMODE(key.stat().st_mode)
        assert mode & 0o077 == 0, f"CA key is {oct(mode)}"
        # The stats endpoint answers nothing but its own JSON: no CORS wildcard.
        with urllib.request.urlopen(f"http://127.0.0.1:{p.stats_port}/stats") as r:
            assert r.headers.get("access-control-allow-origin") is None
