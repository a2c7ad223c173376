"""The originals of compressed tool outputs, so every elision can be undone.

Content-addressed (the id in each marker is ``compressors.base.block_id`` of
the original), zstd-compressed, in ``originals.db`` beside the metering
database. Bounded: entries older than the retention or beyond the size cap
are pruned, least recently stored first.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import time
from pathlib import Path

import zstandard
from trimline.core.paths import data_dir, private_file
from trimline.metering.db import is_url

MAX_BYTES = 512 << 20
RETENTION_DAYS = 30


def path_for(db_path: str | Path) -> Path:
    """Beside a SQLite metering database; with a PostgreSQL one, in this machine's Trimline
    home (originals are only ever read back on the machine that stored them)."""
    if is_url(db_path):
        return data_dir() / "originals.db"
    return Path(db_path).with_name("originals.db")


class Originals:
    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        if readonly:
            self._conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False
            )
        else:
            private_file(self.path)
            self._conn = sqlite3.connect(self.path, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS originals ("
                " id TEXT PRIMARY KEY, stored REAL NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL)"
            )
            self._conn.execute("CREATE INDEX IF NOT EXISTS originals_stored ON originals(stored)")
        self._conn.execute("PRAGMA busy_timeout=5000")

    def put_many(self, items: list[tuple[str, str]]) -> None:
        compressor = zstandard.ZstdCompressor(level=3)
        now = time.time()
        rows = [
            (i, now, len(text), compressor.compress(text.encode("utf-8", "surrogatepass")))
            for i, text in items
        ]
        with self._lock, self._conn:
            # A re-stored original is refreshed, so retention counts from its last use.
            self._conn.executemany(
                "INSERT INTO originals (id, stored, size, data) VALUES (?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET stored = excluded.stored",
                [(i, t, len(d), d) for i, t, _, d in rows],
            )

    def get(self, ident: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT data FROM originals WHERE id = ?", (ident,)).fetchone()
        if row is None:
            return None
        return zstandard.ZstdDecompressor().decompress(row[0]).decode("utf-8", "surrogatepass")

    def prune(self, *, max_bytes: int = MAX_BYTES, retention_days: float = RETENTION_DAYS) -> int:
        """Drops what is past retention, then the oldest until under the cap. Returns rows dropped."""
        with self._lock, self._conn:
            cur = self._conn.execute(
                "DELETE FROM originals WHERE stored < ?", (time.time() - retention_days * 86400,)
            )
            dropped = cur.rowcount
            (total,) = self._conn.execute(
                "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM originals"
            ).fetchone()
            if total > max_bytes:
                excess = total - max_bytes
                victims = []
                for ident, size in self._conn.execute(
                    "SELECT id, LENGTH(data) FROM originals ORDER BY stored"
                ):
                    if excess <= 0:
                        break
                    victims.append((ident,))
                    excess -= size
                self._conn.executemany("DELETE FROM originals WHERE id = ?", victims)
                dropped += len(victims)
        return dropped

    def purge(self, *, older_than_days: float | None = None) -> int:
        """Deletes every original (or those stored before the cut-off) and gives the space back."""
        cutoff = time.time() - older_than_days * 86400 if older_than_days is not None else None
        with self._lock:
            with self._conn:
                if cutoff is None:
                    removed = self._conn.execute("DELETE FROM originals").rowcount
                else:
                    removed = self._conn.execute(
                        "DELETE FROM originals WHERE stored < ?", (cutoff,)
                    ).rowcount
            self._conn.execute("VACUUM")
        return removed

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # read-only, or a reader holds the log open
            # The write-ahead log folded in: the file alone holds every original.
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()


def select(text: str, lines: tuple[int, int] | None = None, grep: str | None = None) -> str:
    """Lines first..last (1-based, inclusive) of an original and/or those matching a pattern,
    each prefixed with its position so a caller can ask for more around it."""
    all_lines = text.split("\n")
    first, last = lines if lines else (1, len(all_lines))
    first, last = max(1, first), min(len(all_lines), last)
    picked = range(first - 1, last)
    if grep is None:
        return "\n".join(all_lines[i] for i in picked)
    pattern = re.compile(grep)
    return "\n".join(f"{i + 1}:{all_lines[i]}" for i in picked if pattern.search(all_lines[i]))
