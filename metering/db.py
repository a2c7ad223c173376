"""One connection surface for the metering database: a SQLite file or a PostgreSQL URL.

Queries are written once, against the ``sqlite3`` connection surface: ``conn.execute(sql,
params)`` with ``?`` placeholders, cursors with ``fetchone``/``fetchall``/``description``/
``rowcount``, ``conn.executemany``, ``with conn:`` as a transaction, ``INSERT ... RETURNING
id`` for an inserted id. On SQLite that surface is ``sqlite3`` itself (plus a ``dialect``
attribute and a few functions PostgreSQL has built in); on PostgreSQL, ``PgConnection``
translates placeholders and turns the driver's transactions into the same shape.
"""

from __future__ import annotations

import functools
import math
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.adapt import Loader
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from trimline.core.paths import private_file

PG_SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT = 5  # seconds: the writer and /stats must not hang on an unreachable server

# What an unreachable, locked, read-only or restarting store raises: callers hold
# records back and retry, they never give up on the store for good.
UNAVAILABLE: tuple[type[Exception], ...] = (sqlite3.OperationalError, psycopg.OperationalError)


def is_url(target: str | Path) -> bool:
    return str(target).startswith(PG_SCHEMES)


def target(value: str | Path) -> str | Path:
    """A ``--db`` value as the store is named: a URL stays text, anything else is a path."""
    return str(value) if is_url(value) else Path(value)


def redact(target: str | Path) -> str:
    """The target as it may be logged: a URL without its password."""
    text = str(target)
    if not is_url(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def connect(target: str | Path, *, readonly: bool = False) -> SqliteConnection | PgConnection:
    """Opens the database (no migration: see ``metering.store.connect``)."""
    if is_url(target):
        return PgConnection(str(target), readonly=readonly)
    return connect_sqlite(Path(target), readonly=readonly)


# -- SQLite ---------------------------------------------------------------------


class SqliteConnection(sqlite3.Connection):
    dialect = "sqlite"


def _floor(x: float | None) -> float | None:
    # PostgreSQL's floor() of a double is a double: return the same type here.
    return None if x is None else float(math.floor(x))


def _greatest(*xs: Any) -> Any:
    # PostgreSQL's GREATEST/LEAST ignore NULLs (SQLite's scalar MAX/MIN return NULL).
    present = [x for x in xs if x is not None]
    return max(present) if present else None


def _least(*xs: Any) -> Any:
    present = [x for x in xs if x is not None]
    return min(present) if present else None


def connect_sqlite(path: Path, *, readonly: bool = False) -> SqliteConnection:
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, factory=SqliteConnection
        )
    else:
        private_file(path)
        conn = sqlite3.connect(path, check_same_thread=False, factory=SqliteConnection)
    conn.create_function("FLOOR", 1, _floor, deterministic=True)
    conn.create_function("GREATEST", -1, _greatest, deterministic=True)
    conn.create_function("LEAST", -1, _least, deterministic=True)
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


# -- PostgreSQL -----------------------------------------------------------------


class _NumberLoader(Loader):
    """``numeric`` as int or float, as SQLite gives them: SUM over BIGINT is ``numeric`` in
    PostgreSQL, and a ``Decimal`` would neither serialise as JSON nor mix with floats."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """``?`` placeholders to ``%s`` and literal ``%`` to ``%%``; quoted text and ``--``
    comments keep their question marks."""
    out: list[str] = []
    quote = ""  # the closing quote we are inside, or "\n" inside a comment
    i = 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in ("'", '"'):
            quote = ch
        elif sql.startswith("--", i):
            quote = "\n"
        elif ch == "?":
            out.append("%s")
            i += 1
            continue
        out.append("%%" if ch == "%" else ch)
        i += 1
    return "".join(out)


class PgConnection:
    """A psycopg connection with the sqlite3 surface. Outside ``with conn:`` each statement
    commits on its own (autocommit), so a read never leaves a transaction open."""

    dialect = "postgresql"

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        extra: dict[str, Any] = {}
        if readonly:
            # Added to what the URL's own ``options`` say (a search_path, say).
            options = conninfo_to_dict(url).get("options") or ""
            extra["options"] = f"{options} -c default_transaction_read_only=on".strip()
        self.raw = psycopg.connect(
            make_conninfo(url, **extra), autocommit=True, connect_timeout=CONNECT_TIMEOUT
        )
        self.raw.adapters.register_loader("numeric", _NumberLoader)
        self._transactions: list[psycopg.Transaction] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self.raw.execute(translate(sql), tuple(params))

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> psycopg.Cursor:
        cur = self.raw.cursor()
        rows = [tuple(p) for p in seq]
        if rows:
            cur.executemany(translate(sql), rows)
        return cur

    def executescript(self, sql: str) -> None:
        """Several statements, no parameters (migrations)."""
        self.raw.execute(sql)

    def commit(self) -> None:
        """Statements outside ``with conn:`` are already committed."""

    def rollback(self) -> None:
        if not self._transactions:
            self.raw.rollback()

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return self.raw.closed

    def __enter__(self) -> PgConnection:
        tx = self.raw.transaction()
        tx.__enter__()
        self._transactions.append(tx)
        return self

    def __exit__(self, *exc: Any) -> None:
        tx = self._transactions.pop()
        tx.__exit__(*exc)
