"""Starts a real ``trimline serve`` process on loopback for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"trimline serve exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port}")


@dataclass
class Proxy:
    port: int
    stats_port: int
    db: Path | str  # a SQLite file, or a postgresql:// URL
    confdir: Path
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_cert(self) -> Path:
        return self.confdir / "mitmproxy-ca-cert.pem"

    def stats(self) -> dict:
        # Generous: on a loaded machine with a big database the stats queries take a while.
        with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/stats", timeout=60) as r:
            return orjson.loads(r.read())

    def wait_for_session(self, session: str, n: int = 1, timeout: float = 10.0) -> dict:
        """The session's /stats row once it has n model calls (records are written off the request path)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = [r for r in self.stats()["by_session"] if r["session"] == session]
            if rows and rows[0]["requests"] >= n:
                return rows[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"session {session} has no {n} call(s) in /stats: {rows}")
            time.sleep(0.05)

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> dict:
        """Stats once at least n model calls are recorded (records are written off the request path)."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.stats()
            if data["totals"]["requests"] >= n or time.monotonic() > deadline:
                return data
            time.sleep(0.05)


@contextmanager
def trimline_serve(
    tmp: Path,
    *extra: str,
    mode: str = "reverse",
    upstream: str | None = None,
    db: str | Path | None = None,
    name: str = "serve",
) -> Iterator[Proxy]:
    """``db``: the store (default a SQLite file in tmp); ``name`` tells replicas' logs apart."""
    port, stats_port = free_port(), free_port()
    proxy = Proxy(
        port, stats_port, db or tmp / "trimline.db", tmp / "mitmproxy", tmp / f"{name}.log"
    )
    args = [
        sys.executable,
        "-m",
        "trimline.cli",
        "serve",
        "--mode",
        mode,
        "--port",
        str(port),
        "--stats-port",
        str(stats_port),
        "--db",
        str(proxy.db),
        "--confdir",
        str(proxy.confdir),
        *extra,
    ]
    if upstream:
        args += ["--upstream", upstream]
    env = dict(os.environ, TRIMLINE_HOME=str(tmp))
    with open(proxy.log, "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        proxy.process = proc
        try:
            _wait_port(port, proc)
            _wait_port(stats_port, proc)
            yield proxy
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
