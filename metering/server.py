"""The stats endpoint: ``GET /stats`` as JSON, served on loopback by default."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson

from metering import db, stats, store

log = logging.getLogger(__name__)


class StatsServer:
    """``live`` adds figures only the running proxy knows (records waiting for the store,
    records dropped) to the totals."""

    def __init__(
        self,
        db_path: str | Path,
        host: str = "127.0.0.1",
        port: int = 8081,
        live: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        self.db_path = db.target(db_path)
        self.live = live
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="trimline-stats", daemon=True
        )

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        db_path = self.db_path
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != "/stats":
                    self._send(404, {"error": "not found", "endpoints": ["/stats"]})
                    return
                try:
                    conn = store.connect(db_path, readonly=True)
                    try:
                        body = stats.stats(conn)
                        if server.live is not None:
                            body["totals"].update(server.live())
                    finally:
                        conn.close()
                except Exception as e:
                    log.exception("stats query failed")
                    self._send(500, {"error": type(e).__name__})
                    return
                self._send(200, body)

            def _send(self, status: int, payload: object) -> None:
                data = orjson.dumps(payload)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("stats: " + format, *args)

        return Handler
