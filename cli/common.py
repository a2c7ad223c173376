"""What every command shares: the --db option, opening the store to read, JSON and console output."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
import orjson
from rich.console import Console
from trimline.cli.errors import UserError, db_failure, mask
from trimline.core.paths import default_db_path

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = (
    "SQLite database file (default ~/.trimline/trimline.db, or under $TRIMLINE_HOME)"
    " or a postgresql://user:password@host/database URL"
)
PG_SCHEMES = ("postgresql://", "postgres://")


def db_option(func: F) -> F:
    return click.option("--db", metavar="PATH|URL", help=DB_HELP)(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")(
        func
    )


def db_target(value: str | None) -> str | Path:
    """A --db value as the store names it, refusing what is neither a path nor PostgreSQL."""
    if not value:
        return default_db_path()
    if value.startswith(PG_SCHEMES):
        try:
            _ = urlsplit(value).port  # a port that is not a number: ValueError
        except ValueError as e:
            raise UserError(f"--db {mask(value)}: {e}; check the URL's port", code=2) from None
        return value
    scheme, sep, _ = value.partition("://")
    if sep and scheme.replace("+", "").isalpha():
        raise UserError(
            f"--db {mask(value)}: unknown scheme {scheme + '://'!r}; give a SQLite file path"
            " or a postgresql://user:password@host/database URL",
            code=2,
        )
    return Path(value).expanduser()


def _check_sqlite(conn: sqlite3.Connection) -> None:
    # Opening is lazy: a file that is not a database fails on its first read.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()


@contextmanager
def read_store(value: str | None) -> Iterator[Any]:
    """The metering store opened read-only, or one line saying why it cannot be."""
    from trimline.metering import store

    target = db_target(value)
    if isinstance(target, Path) and not target.exists():
        raise UserError(f"no database at {target} yet (run `trimline serve` first, or give --db)")
    if isinstance(target, Path) and target.is_dir():
        raise UserError(f"--db {target}: is a directory; give the database file")
    try:
        conn = store.connect(target, readonly=True)
        if isinstance(target, Path):
            _check_sqlite(conn)
    except Exception as e:
        raise db_failure(target, e) from e
    try:
        yield conn
    except (sqlite3.DatabaseError, OSError) as e:
        raise db_failure(target, e) from e
    except Exception as e:
        if type(e).__module__.startswith("psycopg"):
            raise db_failure(target, e) from e
        raise
    finally:
        conn.close()


def emit_json(data: Any, *, indent: bool = True) -> None:
    option = orjson.OPT_INDENT_2 if indent else 0
    sys.stdout.buffer.write(orjson.dumps(data, option=option) + b"\n")
    sys.stdout.buffer.flush()


def console() -> Console:
    """Standard output at the terminal's width, or $COLUMNS. Piped with no $COLUMNS, nobody's
    screen is there to fit: every column is printed."""
    width = None
    if not sys.stdout.isatty() and not os.environ.get("COLUMNS"):
        width = 10_000
    return Console(highlight=False, soft_wrap=False, emoji=False, width=width)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, emoji=False)


@contextmanager
def working(what: str) -> Iterator[None]:
    """A spinner on stderr while a long query runs, when a person is watching."""
    if not sys.stderr.isatty():
        yield
        return
    with err_console().status(what):
        yield
