"""What was sent upstream for each tool output, decided once and kept.

A block's bytes, once sent, must never change on a later turn: a provider's
prompt cache would miss and the bill would rise. So the first decision for a
block (compressed to these bytes, or left alone) is remembered by content —
tool, input, error flag and text, never position, age or ``cache_control`` —
in memory and in the database, and replayed on every later turn, across
restarts and config changes alike.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import orjson
import zstandard
from trimline.compressors import Context, Elision, Result
from trimline.metering import db
from trimline.metering.records import Decision

log = logging.getLogger(__name__)
RECONNECT_EVERY = 5.0  # seconds between attempts to reach an unavailable database


def decision_key(ctx: Context, text: str) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    h.update(orjson.dumps([ctx.tool, ctx.tool_input, ctx.is_error], option=orjson.OPT_SORT_KEYS))
    h.update(b"\0")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.digest()


def encode(result: Result) -> bytes:
    return zstandard.ZstdCompressor(level=3).compress(orjson.dumps(result))


def decode(data: bytes) -> Result:
    d = orjson.loads(zstandard.ZstdDecompressor().decompress(data))
    elided = tuple(Elision(**e) for e in d["elided"])
    return Result(d["text"], d["kind"], d["tokens_before"], d["tokens_after"], elided)


def left_alone(result: Result) -> Result:
    """A decision to send the block as it came: no need to keep its text."""
    return Result("", result.kind, result.tokens_before, result.tokens_after)


class Decisions:
    """An LRU in front of the ``decisions`` table, bounded in entries and bytes."""

    def __init__(
        self,
        db_path: str | Path,
        submit: Callable[[Decision], None],
        *,
        max_entries: int = 8192,
        max_bytes: int = 64 << 20,
    ) -> None:
        self.submit = submit
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[bytes, Result] = OrderedDict()
        self._lock = threading.Lock()
        self.db_path = db.target(db_path)
        self._conn: db.SqliteConnection | db.PgConnection | None = None
        self._next_connect = 0.0

    def get(self, key: bytes) -> Result | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return hit
            row = self._lookup(key)
        if row is None:
            with self._lock:
                self.misses += 1
            return None
        result = decode(row[0])
        self._remember(key, result)
        return result

    def _lookup(self, key: bytes) -> tuple[bytes] | None:
        """The stored decision; None when the database cannot say (an outage is a miss: the
        block is then compressed afresh, or, if it is history, sent as it came)."""
        try:
            if self._conn is None:
                if time.monotonic() < self._next_connect:
                    return None
                self._next_connect = time.monotonic() + RECONNECT_EVERY
                self._conn = db.connect(self.db_path, readonly=True)
            return self._conn.execute(
                "SELECT result FROM decisions WHERE key = ?", (key,)
            ).fetchone()
        except db.UNAVAILABLE as e:
            log.warning("decisions unavailable (%s: %s)", type(e).__name__, e)
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            return None

    def put(self, key: bytes, result: Result) -> Result:
        stored = result if result.changed else left_alone(result)
        self._remember(key, stored)
        self.submit(Decision(key, encode(stored), stored.text))
        return stored

    def _remember(self, key: bytes, result: Result) -> None:
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = result
            self.bytes += len(result.text)
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self.bytes -= len(old.text)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
