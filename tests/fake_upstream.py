"""A local stand-in for a model provider: records what it receives, answers in its wire format.

Subclasses say how to answer; this class serves HTTP/1.1 on loopback, records
every request and writes JSON bodies and SSE streams (chunked, flushed per event).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower())

    def decoded(self) -> bytes:
        return (
            gzip.decompress(self.body) if self.header("content-encoding") == "gzip" else self.body
        )

    def json(self) -> dict:
        return json.loads(self.decoded())


class Reply:
    """What a handler sends back: JSON, or a list of SSE events ``(name or None, payload)``."""

    def __init__(
        self, payload: object = None, *, status: int = 200, events: list | None = None
    ) -> None:
        self.payload, self.status, self.events = payload, status, events


class FakeUpstream:
    chunk_delay = 0.0

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def bodies(self, suffix: str) -> list[Received]:
        return [r for r in self.received if r.path.split("?")[0].endswith(suffix)]

    def answer(self, path: str, request: dict) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, delayed ACKs add 40 ms.
            disable_nagle_algorithm = True

            def do_HEAD(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received = Received(
                    "POST", self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                fake.received.append(received)
                try:
                    request = received.json()
                except ValueError:
                    self._json(
                        {
                            "type": "error",
                            "error": {"type": "invalid_request_error", "message": "invalid JSON"},
                        },
                        400,
                    )
                    return
                reply = fake.answer(self.path, request)
                if reply.events is not None:
                    self._stream(reply.events)
                else:
                    self._json(reply.payload, reply.status)

            def _json(self, payload: object, status: int = 200) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, events: list) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for name, data in events:
                    text = data if isinstance(data, str) else json.dumps(data)
                    chunk = (
                        f"event: {name}\n" if name else ""
                    ).encode() + f"data: {text}\n\n".encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    if fake.chunk_delay:
                        time.sleep(fake.chunk_delay)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
