"""Compressed results cached by content: a re-sent history costs a lookup."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import orjson

from compressors import Context, Result


def block_key(ctx: Context, text: str, threshold: int) -> bytes:
    """Depends on the block alone (tool, input, error flag, text), never on its position."""
    h = hashlib.blake2b(digest_size=20)
    h.update(
        orjson.dumps(
            [ctx.tool, ctx.tool_input, ctx.is_error, threshold], option=orjson.OPT_SORT_KEYS
        )
    )
    h.update(b"\0")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.digest()


class ResultCache:
    """An LRU of compression results bounded in entries and bytes, safe across threads."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[bytes, Result] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: bytes, compute: Callable[[], Result]) -> tuple[Result, bool]:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return hit, True
        result = compute()
        with self._lock:
            self.misses += 1
            if key not in self._entries:
                self._entries[key] = result
                self.bytes += len(result.text)
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self.bytes -= len(old.text)
        return result, False
