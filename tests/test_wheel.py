"""Trimline as users get it: a wheel built from this checkout, installed in a fresh venv,
run from a folder outside the repository (so nothing here can be imported by accident)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.fake_anthropic import FakeAnthropic
from tests.proxy import free_port
from tests.routing_shapes import claude_title

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.wheel


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("wheel")
    dist = where / "dist"
    pip = ["--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *pip, "--no-deps", "-w", dist, ROOT],
        check=True,
        cwd=where,
        timeout=600,
    )
    (wheel,) = dist.glob("trimline-*.whl")
    env = where / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", env], check=True, timeout=120)
    subprocess.run([env / "bin" / "pip", "install", *pip, wheel], check=True, timeout=900)
    return env


def run(venv: Path, cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean["TRIMLINE_HOME"] = str(cwd / "home")
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    assert not tmp_path.resolve().is_relative_to(ROOT)
    return tmp_path


def test_one_import_package_named_trimline(venv: Path, outside: Path) -> None:
    python = venv / "bin" / "python"
    assert run(venv, outside, python, "-c", "import trimline.compressors").returncode == 0
    for foreign in ("addons", "compressors", "metering", "cli", "core"):
        done = run(venv, outside, python, "-c", f"import {foreign}")
        assert done.returncode != 0 and "No module named" in done.stderr, foreign
    files = run(venv, outside, venv / "bin" / "pip", "show", "-f", "trimline").stdout
    tops = {
        line.strip().split("/")[0]
        for line in files.split("Files:")[1].splitlines()
        if line.strip() and not line.strip().startswith(("trimline-", "../"))
    }
    assert tops == {"trimline"}, tops


def test_version_compress_and_route_explain(venv: Path, outside: Path) -> None:
    trimline = venv / "bin" / "trimline"
    version = run(venv, outside, trimline, "--version")
    assert version.returncode == 0 and "0." in version.stdout, version
    log = ROOT / "fixtures" / "logs" / "pytest_verbose.txt"
    done = run(venv, outside, trimline, "compress", log, "--command", "pytest -v", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["tokens_after"] < out["tokens_before"]
    request = outside / "title.json"
    request.write_bytes(orjson.dumps(claude_title()))
    explained = run(venv, outside, trimline, "route", "--explain", request, "--json")
    assert explained.returncode == 0, explained.stderr
    assert json.loads(explained.stdout)["rule"] == "side-request"


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as upstream:
        yield upstream


def test_serve_answers_through_a_fake_upstream_and_stats_show_it(
    venv: Path, outside: Path, fake: FakeAnthropic
) -> None:
    port, stats_port = free_port(), free_port()
    db = outside / "t.db"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean["TRIMLINE_HOME"] = str(outside / "home")
    serve = subprocess.Popen(
        [
            venv / "bin" / "trimline",
            "serve",
            "--mode",
            "reverse",
            "--port",
            str(port),
            "--stats-port",
            str(stats_port),
            "--db",
            db,
            "--confdir",
            outside / "mitmproxy",
            "--upstream",
            fake.url,
        ],
        cwd=outside,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = {
            "model": "claude-sonnet-4-5",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "hello"}],
        }
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = httpx.post(
                    f"http://127.0.0.1:{port}/v1/messages",
                    json=body,
                    headers={"x-api-key": "sk-test", "anthropic-version": "2023-06-01"},
                    timeout=30,
                )
                break
            except httpx.TransportError:
                assert serve.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert reply.status_code == 200 and reply.json()["id"] == "msg_fake"
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    stats = run(venv, outside, venv / "bin" / "trimline", "stats", "--db", db, "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["totals"]["requests"] == 1, stats.stdout
