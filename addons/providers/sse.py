"""Splits a Server-Sent Events byte stream into events, chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable

# No usage report comes near this size: a longer event is skipped rather than buffered.
MAX_EVENT_BYTES = 4 << 20


class SSEReader:
    """Feeds complete events to ``on_event(name, data)``. Each byte is scanned once, and
    at most one event (bounded by ``MAX_EVENT_BYTES``) is held."""

    def __init__(self, on_event: Callable[[str, bytes], None]) -> None:
        self._on_event = on_event
        self._buf = bytearray()
        self._scanned = 0
        self._skipping = False

    def feed(self, chunk: bytes) -> None:
        self._buf += chunk
        while True:
            # Resume where the last scan stopped, less what may be half a separator.
            end, sep = self._separator(max(0, self._scanned - 3))
            if end == -1:
                if len(self._buf) > MAX_EVENT_BYTES:
                    del self._buf[:-3]
                    self._skipping = True
                self._scanned = len(self._buf)
                return
            raw = bytes(self._buf[:end])
            del self._buf[: end + sep]
            self._scanned = 0
            if self._skipping:
                self._skipping = False  # the tail of an oversized event
                continue
            self._dispatch(raw)

    def _separator(self, start: int) -> tuple[int, int]:
        """Where the first blank line after ``start`` begins, and its length (servers may use CRLF)."""
        lf = self._buf.find(b"\n\n", start)
        crlf = self._buf.find(b"\r\n\r\n", start)
        if crlf != -1 and (lf == -1 or crlf < lf):
            return crlf, 4
        return lf, 2

    def _dispatch(self, raw: bytes) -> None:
        name = "message"
        data: list[bytes] = []
        for line in raw.splitlines():
            if line.startswith(b"event:"):
                name = line[6:].strip().decode("utf-8", "replace")
            elif line.startswith(b"data:"):
                data.append(line[5:].lstrip(b" "))
        if data:
            self._on_event(name, b"\n".join(data))
