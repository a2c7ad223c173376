"""The metering store under test: a fresh SQLite file or a fresh PostgreSQL schema.

PostgreSQL comes from ``TRIMLINE_TEST_POSTGRES`` (a URL to a database the tests may create
schemas in). Without it the PostgreSQL variants skip, unless
``TRIMLINE_TEST_POSTGRES_REQUIRED=1`` says a missing server is a failure.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from trimline.metering import db

from tests.proxy import free_port

BACKENDS = ["sqlite", "postgres"]


def postgres_url() -> str:
    """The test server's URL, or a skip (a failure when the server is required)."""
    url = os.environ.get("TRIMLINE_TEST_POSTGRES")
    if not url:
        if os.environ.get("TRIMLINE_TEST_POSTGRES_REQUIRED") == "1":
            pytest.fail("TRIMLINE_TEST_POSTGRES_REQUIRED=1 but TRIMLINE_TEST_POSTGRES is unset")
        pytest.skip("PostgreSQL tests need TRIMLINE_TEST_POSTGRES=postgresql://...")
    return url


def with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a new, empty schema, dropped afterwards."""
    url = postgres_url()
    schema = f"trimline_t_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        if os.environ.get("TRIMLINE_TEST_POSTGRES_REQUIRED") == "1":
            raise
        pytest.skip(f"PostgreSQL at TRIMLINE_TEST_POSTGRES unreachable: {e}")
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield with_search_path(url, schema)
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def fresh_store(backend: str, tmp: Path) -> Iterator[str | Path]:
    """A ``--db`` value for an empty store of the given backend."""
    if backend == "sqlite":
        yield tmp / "t.db"
        return
    with postgres_schema() as url:
        yield url


def query(target: str | Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of one query, through the same surface the product uses."""
    conn = db.connect(target)
    try:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def count(target: str | Path, table: str = "calls") -> int:
    return query(target, f"SELECT COUNT(*) FROM {table}")[0][0]


def via(url: str, host: str, port: int) -> str:
    """The same URL, reaching the server at another address."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{userinfo}{host}:{port}"))


class Relay:
    """A TCP relay in front of the test server that can go down and come back on the same
    port: to the proxy, a PostgreSQL server stopped mid-run and restarted (the shared server
    itself is never stopped)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.port = free_port()
        self.url = via(url, "127.0.0.1", self.port)
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Refuses new connections and cuts the open ones, as a stopped server does."""
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def close(self) -> None:
        self.down()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    server.close()
                    return
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
