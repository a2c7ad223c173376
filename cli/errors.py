"""Failures a person can act on: one line naming the thing and what to do, never a traceback.

Commands raise ``UserError`` with that line; ``main`` prints it on stderr and exits non-zero
(``--debug`` adds the traceback). ``describe`` turns the exceptions that reach ``main`` from
files, databases and the network into such a line when the command did not.
"""

from __future__ import annotations

import errno
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


class UserError(Exception):
    """A failure the user caused and can fix; the message is the whole story."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(one_line(message))
        self.code = code


_NOISE = re.compile(r"^\s*For further information visit ", re.IGNORECASE)


def one_line(text: str) -> str:
    """A multi-line message (pydantic's, say) folded into one line."""
    parts = [p.strip() for p in str(text).splitlines() if p.strip() and not _NOISE.match(p)]
    return "; ".join(parts)


def mask(url: str) -> str:
    """A URL as it may be printed: any password replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def db_failure(target: str | Path, e: BaseException) -> UserError:
    """What went wrong opening or reading the database at ``target``."""
    name = mask(str(target))
    if isinstance(e, sqlite3.OperationalError):
        text = str(e)
        if "disk is full" in text or "disk I/O" in text:
            return UserError(f"database {name}: the disk is full ({text}); free space or use --db")
        if "unable to open" in text or "readonly" in text:
            return UserError(
                f"database {name}: cannot open or create it ({text}); "
                "check the folder exists and is writable, or choose another --db"
            )
        if "locked" in text:
            return UserError(f"database {name}: locked by another process; try again")
    if isinstance(e, sqlite3.DatabaseError):
        return UserError(
            f"database {name}: not a SQLite database, or corrupt ({e}); "
            "point --db at a Trimline database, or move this file away to start a new one"
        )
    if type(e).__module__.startswith("psycopg"):
        detail = one_line(str(e)).split("; ")[0] or type(e).__name__
        return UserError(
            f"database {name}: cannot reach PostgreSQL ({detail}); "
            "check that the server runs and the URL's host, port, user and password"
        )
    if isinstance(e, OSError):
        return os_failure(e, f"database {name}")
    return UserError(f"database {name}: {type(e).__name__}: {e}")


def os_failure(e: OSError, what: str | None = None) -> UserError:
    """A file-system error as one line: the file, the reason, the fix."""
    where = what or (str(e.filename) if e.filename else "a file")
    reason = e.strerror or str(e)
    fix = {
        errno.ENOENT: "check the path",
        errno.EACCES: "check its permissions",
        errno.EPERM: "check its permissions",
        errno.EROFS: "the file system is read-only; choose another place",
        errno.ENOSPC: "the disk is full; free some space or choose another place",
        errno.EISDIR: "give a file, not a directory",
        errno.ENOTDIR: "a part of the path is not a directory",
    }.get(e.errno or 0, "check the path")
    return UserError(f"{where}: {reason}; {fix}")


def describe(e: BaseException) -> str | None:
    """The one line for an exception no command caught, or None for a real bug."""
    if isinstance(e, UserError):
        return str(e)
    if isinstance(e, OSError):
        if isinstance(e, ConnectionError | TimeoutError) and not e.filename:
            return f"{e.strerror or e}; check the address and that the server runs"
        return str(os_failure(e))
    if isinstance(e, sqlite3.Error) or type(e).__module__.startswith("psycopg"):
        return str(db_failure("(the database)", e))
    if isinstance(e, re.error):
        return f"bad regular expression: {e}"
    return None
