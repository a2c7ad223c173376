"""Identical request bodies seen again: retries, and retry loops.

In memory, per proxy process: a hash of the session and the body as the agent sent it,
with the times it was last seen. Cheap enough for the request path (one hash, one dict
lookup); bounded to the most recent bodies.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict, deque

import xxhash

MAX_BODIES = 20_000
_SEED = secrets.randbits(64)


class Seen:
    __slots__ = ("announced", "times")

    def __init__(self, keep: int) -> None:
        self.times: deque[float] = deque(maxlen=keep)
        self.announced = False


class RetryTracker:
    def __init__(self, retry_window_s: float, loop_count: int, loop_seconds: float) -> None:
        self.retry_window_s = retry_window_s
        self.loop_count = loop_count
        self.loop_seconds = loop_seconds
        self._seen: OrderedDict[bytes, Seen] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(session: str, body: bytes) -> bytes:
        # xxh3 runs at memory speed (blake2b cost 1 ms per MB of body on every request);
        # a seed drawn per process keeps anyone from making two bodies collide on purpose.
        h = xxhash.xxh3_128(seed=_SEED)
        h.update(session.encode())
        h.update(b"\0")
        h.update(body)
        return h.digest()

    def observe(self, key: bytes, now: float) -> tuple[bool, int, bool]:
        """(a retry: seen within the retry window; how many times within the loop window,
        this one included; True the first time that count reaches the loop size)."""
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                seen = self._seen[key] = Seen(self.loop_count)
                if len(self._seen) > MAX_BODIES:
                    self._seen.popitem(last=False)
            else:
                self._seen.move_to_end(key)
            retry = bool(seen.times) and now - seen.times[-1] <= self.retry_window_s
            seen.times.append(now)
            in_loop = sum(1 for t in seen.times if now - t <= self.loop_seconds)
            first = in_loop >= self.loop_count and not seen.announced
            if first:
                seen.announced = True
            elif in_loop < self.loop_count:
                seen.announced = False
            return retry, in_loop, first
