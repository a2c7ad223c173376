"""Who may read the stats port, over real HTTP: beyond loopback only with a token, the token
checked on every path, and never a CORS header."""

from __future__ import annotations

import base64
import http.client
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from trimline.metering.access import (
    TOKEN_ENV,
    AccessError,
    authorized,
    is_loopback,
    require_safe_binding,
    resolve_token,
)

from tests.fake_anthropic import FakeAnthropic
from tests.proxy import Proxy, free_port, trimline_serve
from tests.test_security import listening

pytestmark = pytest.mark.integration

TOKEN = f"stats-{uuid.uuid4().hex}"
PATHS = ("/stats", "/stats/totals", "/metrics", "/", "/openapi.json", "/stats/by/team", "/nope")


def request(
    p: Proxy, path: str, headers: dict[str, str], method: str = "GET"
) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", p.stats_port, timeout=10)
    try:
        conn.request(method, path, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def assert_no_cors(headers: dict) -> None:
    assert not [k for k in headers if k.startswith("access-control-")], headers


def test_serve_refuses_a_public_stats_port_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if k != "TRIMLINE_STATS_TOKEN"}
    args = ["--mode", "reverse", "--upstream", "http://127.0.0.1:9", "--db", str(tmp_path / "t.db")]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trimline.cli",
            "serve",
            *args,
            "--port",
            str(free_port()),
            "--stats-port",
            str(free_port()),
            "--stats-host",
            "0.0.0.0",
            "--confdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    assert "without a token" in done.stderr and "--stats-token" in done.stderr
    # The same rule holds when the addon runs under plain mitmdump.
    mitmdump = Path(sys.executable).with_name("mitmdump")
    done = subprocess.run(
        [
            str(mitmdump),
            "-s",
            "addons/trimline.py",
            "--listen-port",
            str(free_port()),
            "--set",
            f"confdir={tmp_path}",
            "--set",
            f"trimline_db={tmp_path / 'm.db'}",
            "--set",
            "trimline_stats_port=0",
            "--set",
            "trimline_stats_host=0.0.0.0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "PYTHONPATH": str(Path.cwd())},
    )
    assert done.returncode != 0
    assert "without a token" in done.stdout + done.stderr


def test_a_token_is_required_on_every_path_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIMLINE_STATS_TOKEN", TOKEN)
    with (
        FakeAnthropic() as fa,
        trimline_serve(tmp_path, "--stats-host", "0.0.0.0", upstream=fa.url) as p,
    ):
        # It really listens beyond loopback.
        assert "00000000" in listening(p.stats_port)
        wrong = base64.b64encode(b"x:" + TOKEN[:-1].encode()).decode()
        for path in PATHS:
            for headers in (
                {},
                {"Authorization": f"Bearer {TOKEN[:-1]}"},
                {"Authorization": f"Bearer {TOKEN}x"},
                {"Authorization": TOKEN},
                {"Authorization": f"Basic {wrong}"},
                {"Authorization": "Basic !!!"},
                {"Cookie": f"token={TOKEN}"},
            ):
                status, h, body = request(p, path, {**headers, "Origin": "http://evil.example"})
                assert status == 401, (path, headers)
                assert TOKEN.encode() not in body
                assert_no_cors(h)
            status, h, _ = request(
                p, path, {"Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example"}
            )
            assert status == (404 if path == "/nope" else 200), path
            assert_no_cors(h)
        # A browser can open the dashboard with HTTP Basic, the token as password.
        basic = base64.b64encode(f"me:{TOKEN}".encode()).decode()
        status, _, body = request(p, "/", {"Authorization": f"Basic {basic}"})
        assert status == 200 and b'id="spend"' in body
        status, h, _ = request(p, "/", {})
        assert h["www-authenticate"].startswith("Basic")
        # A CORS preflight gets no CORS answer either.
        status, h, _ = request(
            p,
            "/stats",
            {"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
            method="OPTIONS",
        )
        assert status >= 400
        assert_no_cors(h)
    assert TOKEN not in p.log.read_text(errors="replace")


def test_access_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert resolve_token("") is None and resolve_token(" ") is None
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert resolve_token("") == "from-env" and resolve_token("flag") == "flag"
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        assert is_loopback(host), host
        require_safe_binding(host, None)
    for host in ("0.0.0.0", "::", "10.0.0.1", "example.com", ""):
        assert not is_loopback(host), host
        with pytest.raises(AccessError):
            require_safe_binding(host, None)
        require_safe_binding(host, "t")
    assert authorized(None, None)
    assert not authorized(None, "t") and not authorized("Bearer ", "t")
    assert authorized("Bearer t", "t") and not authorized("Bearer tt", "t")
