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
import json
import logging
import sys
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
    call = [ctx.tool, ctx.tool_input, ctx.is_error]
    try:
        h.update(orjson.dumps(call, option=orjson.OPT_SORT_KEYS))
    except TypeError:  # a lone surrogate in the input: the standard library escapes it
        h.update(json.dumps(call, sort_keys=True).encode())
    h.update(b"\0")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.digest()


def encode(result: Result) -> bytes:
    return zstandard.ZstdCompressor(level=3).compress(orjson.dumps(result))


def decode(data: bytes) -> Result:
    d = orjson.loads(zstandard.ZstdDecompressor().decompress(data))
    elided = tuple(Elision(**e) for e in d["elided"])
    return Result(d["text"], d["kind"], d["tokens_before"], d["tokens_after"], elided)


def entry_bytes(result: Result) -> int:
    """What an entry holds in memory: its text as Python stores it (with the UTF-8 copy that
    encoding it leaves attached), the result and its elisions, the key and the LRU's links
    (measured with ``sys.getsizeof`` and tracemalloc: ``tests/test_splice.py``)."""
    return sys.getsizeof(result.text) + 120 * len(result.elided) + 400


def left_alone(result: Result) -> Result:
    """A decision to send the block as it came: no need to keep its text."""
    return Result("", result.kind, result.tokens_before, result.tokens_after)


class Decisions:
    """An LRU in front of the ``decisions`` table, bounded in entries and in bytes of memory."""

    def __init__(
        self,
        db_path: str | Path,
        submit: Callable[[Decision], None],
        *,
        max_entries: int = 8192,
        max_bytes: int = 16 << 20,
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

    def put(self, key: bytes, result: Result) -> tuple[Result, bool]:
        """The decision kept for the block, and True if it is this one (another request
        may have decided the same block first: then that one stands)."""
        stored = result if result.changed else left_alone(result)
        # Encoded first: orjson leaves a UTF-8 copy of a non-ASCII text attached to it, which
        # the entry's size must include.
        encoded = encode(stored)
        kept = self._remember(key, stored)
        if kept is stored:
            self.submit(Decision(key, encoded, stored.text))
        return kept, kept is stored

    def _remember(self, key: bytes, result: Result) -> Result:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                return found
            self._entries[key] = result
            self.bytes += entry_bytes(result)
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self.bytes -= entry_bytes(old)
            return result

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
