"""The metering store under test: a fresh SQLite file or a fresh PostgreSQL schema.

PostgreSQL comes from ``TRIMLINE_TEST_POSTGRES`` (a URL to a database the tests may create
schemas in). Without it the PostgreSQL variants skip, unless
``TRIMLINE_TEST_POSTGRES_REQUIRED=1`` says a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from metering import db

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
