"""A local stand-in for the Anthropic Messages API: records what it receives, answers in its wire format.

Streaming requests (``"stream": true``) get an SSE stream shaped like the real
API's (message_start with input usage, content deltas, message_delta with
cumulative usage, message_stop); others get one JSON message.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def decoded(self) -> bytes:
        encoding = {k.lower(): v for k, v in self.headers.items()}.get("content-encoding", "")
        return gzip.decompress(self.body) if encoding == "gzip" else self.body

    def json(self) -> dict:
        return json.loads(self.decoded())


@dataclass
class Usage:
    input_tokens: int = 1200
    output_tokens: int = 42
    cache_creation_input_tokens: int = 300
    cache_read_input_tokens: int = 9000


@dataclass
class FakeAnthropic:
    usage: Usage = field(default_factory=Usage)
    text: str = "Done."
    received: list[Received] = field(default_factory=list)
    chunk_delay: float = 0.0

    def __post_init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeAnthropic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def messages(self) -> list[Received]:
        return [r for r in self.received if r.path.split("?")[0].endswith("/v1/messages")]

    def _message(self, model: str) -> dict:
        u = self.usage
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": self.text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": u.input_tokens,
                "output_tokens": u.output_tokens,
                "cache_creation_input_tokens": u.cache_creation_input_tokens,
                "cache_read_input_tokens": u.cache_read_input_tokens,
            },
        }

    def _events(self, model: str) -> list[tuple[str, dict]]:
        u = self.usage
        start = self._message(model)
        start["content"] = []
        start["stop_reason"] = None
        start["usage"] = dict(start["usage"], output_tokens=1)
        half = len(self.text) // 2
        return [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            ("ping", {"type": "ping"}),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": self.text[:half]},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": self.text[half:]},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": u.output_tokens},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]

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
                body = self.rfile.read(length)
                fake.received.append(Received("POST", self.path, dict(self.headers.items()), body))
                try:
                    request = fake.received[-1].json()
                except ValueError:
                    self._json(
                        {
                            "type": "error",
                            "error": {"type": "invalid_request_error", "message": "invalid JSON"},
                        },
                        400,
                    )
                    return
                model = request.get("model", "claude-sonnet-4-5")
                if self.path.split("?")[0].endswith("/count_tokens"):
                    self._json({"input_tokens": len(body) // 4})
                elif request.get("stream"):
                    self._stream(model)
                else:
                    self._json(fake._message(model))

            def _json(self, payload: dict, status: int = 200) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for name, data in fake._events(model):
                    chunk = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    if fake.chunk_delay:
                        time.sleep(fake.chunk_delay)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
