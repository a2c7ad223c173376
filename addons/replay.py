"""The last body seen of each conversation, so the next turn pays only for what is new.

Agents re-send their whole history on every turn. A conversation's last body (as the agent
sent it and as it went upstream, with where each element ends) is kept here; the next
body that starts with the same bytes reuses the rewritten bytes of that common part and
is walked only from there. Identity is checked byte for byte (a memcmp), never trusted to
a hash: the hash only finds the candidates. Bounded in bytes, least recently used out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from trimline.addons.providers.base import Scan

MAX_BYTES = 48 << 20
CANDIDATES = 4  # bodies kept per key (forks and sub-agents share a conversation's start)
# Python objects per element and per tool call, in bytes, for the memory bound.
_MARK_BYTES, _CALL_BYTES = 120, 400


@dataclass(slots=True)
class Mark:
    """One conversation element: where it ends in the original bytes and in the bytes sent,
    and running totals through it (estimated tokens before and after, blocks sent changed)."""

    end: int
    out_end: int
    before: int
    after: int
    changed: int


@dataclass(slots=True)
class Seen:
    raw: bytes
    out: bytes | None  # None: sent as it came
    list_open: int  # the conversation array's ``[``
    marks: list[Mark]
    scan: Scan
    head_tokens: int
    tail_start: int
    tail_tokens: int
    fields: dict[str, Any] = field(default_factory=dict)  # small top-level members, parsed
    conversation: str | None = None

    @property
    def nbytes(self) -> int:
        return (
            len(self.raw)
            + (len(self.out) if self.out is not None else 0)
            + _MARK_BYTES * len(self.marks)
            + _CALL_BYTES * len(self.scan.calls)
        )


def common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix, by memcmp over chunks then halving."""
    n = min(len(a), len(b))
    view = memoryview(b)
    lo, step = 0, 1 << 20
    while lo < n:
        hi = min(n, lo + step)
        if a.startswith(view[lo:hi], lo):
            lo = hi
            continue
        while hi - lo > 1:  # a[:lo] == b[:lo], a[:hi] != b[:hi]
            mid = (lo + hi) // 2
            if a.startswith(view[lo:mid], lo):
                lo = mid
            else:
                hi = mid
        return lo
    return n


class Replay:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self._entries: OrderedDict[bytes, list[Seen]] = OrderedDict()
        self._lock = threading.Lock()

    def candidates(self, key: bytes) -> list[Seen]:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return []
            self._entries.move_to_end(key)
            return list(found)

    def keep(self, key: bytes, seen: Seen, replaces: Seen | None) -> None:
        size = seen.nbytes
        if size > self.max_bytes // 4:
            return  # one body must not flush everyone else's
        with self._lock:
            found = self._entries.setdefault(key, [])
            self._entries.move_to_end(key)
            if replaces is not None and any(s is replaces for s in found):
                found[:] = [s for s in found if s is not replaces]
                self.bytes -= replaces.nbytes
            found.insert(0, seen)
            self.bytes += size
            while len(found) > CANDIDATES:
                self.bytes -= found.pop().nbytes
            while self.bytes > self.max_bytes and self._entries:
                _, old = self._entries.popitem(last=False)
                self.bytes -= sum(s.nbytes for s in old)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0
