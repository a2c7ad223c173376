"""Splits a Server-Sent Events byte stream into events, chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable


class SSEReader:
    """Feeds complete events to ``on_event(name, data)``; never buffers more than one event."""

    def __init__(self, on_event: Callable[[str, bytes], None]) -> None:
        self._on_event = on_event
        self._buf = b""

    def feed(self, chunk: bytes) -> None:
        self._buf += chunk
        while True:
            # Events end with a blank line; servers may use \r\n.
            end, sep = self._buf.find(b"\n\n"), 2
            crlf = self._buf.find(b"\r\n\r\n")
            if crlf != -1 and (end == -1 or crlf < end):
                end, sep = crlf, 4
            if end == -1:
                return
            raw, self._buf = self._buf[:end], self._buf[end + sep :]
            self._dispatch(raw)

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
