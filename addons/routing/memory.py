"""A small, bounded memory of each session's recent calls, in this process only.

It answers two questions for the router: how much of this request's prefix is likely
in a model's prompt cache (a call to that model in the session, within the cache's TTL,
sent the same leading messages), and whether the session is on an error streak and
must stay on the model it asked for. Lost on restart: then nothing is assumed cached,
which can only make routing look cheaper for the first turn after a restart.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

MAX_SESSIONS = 2000
CALLS_PER_SESSION = 6


@dataclass(slots=True)
class _Call:
    ts: float
    model: str
    hashes: tuple[bytes, ...]
    tokens: tuple[int, ...]


@dataclass(slots=True)
class _Session:
    calls: deque[_Call] = field(default_factory=lambda: deque(maxlen=CALLS_PER_SESSION))
    streak: int = 0  # consecutive requests that carried an error result, or fell back
    pinned: int = 0  # requests still to keep on the model asked for


class SessionMemory:
    def __init__(self, ttl_s: float = 300.0) -> None:
        self.ttl_s = ttl_s
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, session: str) -> _Session:
        s = self._sessions.get(session)
        if s is None:
            s = self._sessions[session] = _Session()
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(session)
        return s

    def cached_tokens(
        self,
        session: str,
        model: str,
        hashes: tuple[bytes, ...],
        tokens: tuple[int, ...],
        now: float | None = None,
    ) -> int:
        """Tokens of the longest prefix a recent call to ``model`` in the session also sent."""
        now = time.time() if now is None else now
        best = 0
        with self._lock:
            s = self._sessions.get(session)
            calls = list(s.calls) if s else []
        for call in calls:
            if call.model != model or now - call.ts > self.ttl_s:
                continue
            k = 0
            limit = min(len(call.hashes), len(hashes))
            while k < limit and call.hashes[k] == hashes[k]:
                k += 1
            if k:
                best = max(best, tokens[k - 1])
        return best

    def remember(
        self,
        session: str,
        model: str,
        hashes: tuple[bytes, ...],
        tokens: tuple[int, ...],
        now: float | None = None,
    ) -> None:
        """A call that reached ``model`` (so its prefix is in that model's cache now)."""
        if not session or not hashes:
            return
        with self._lock:
            self._get(session).calls.append(
                _Call(time.time() if now is None else now, model, hashes, tokens)
            )

    def pinned(self, session: str) -> bool:
        """True while the session must stay on the model it asked for; counts the turn down."""
        with self._lock:
            s = self._sessions.get(session)
            if s is None or s.pinned <= 0:
                return False
            s.pinned -= 1
            return True

    def outcome(self, session: str, *, failed: bool, streak: int, turns: int) -> None:
        """One request's outcome: an error (result or fallback) extends the streak; a streak
        of ``streak`` pins the session for ``turns`` requests; a clean turn resets it."""
        if not session:
            return
        with self._lock:
            s = self._get(session)
            if not failed:
                s.streak = 0
                return
            s.streak += 1
            if streak > 0 and s.streak >= streak:
                s.pinned = max(s.pinned, turns)
                s.streak = 0
