"""The stats port: the JSON stats API (``metering.api``), ``/metrics`` and the dashboard,
served on loopback by default; beyond loopback only with a token (``metering.access``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson
from prometheus_client import CONTENT_TYPE_LATEST
from trimline.metering import access, api, dashboard, db, queries, stats, store, weekly
from trimline.metering.metrics import METRICS
from trimline.metering.queries import BadQuery

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
        token: str | None = None,
    ) -> None:
        access.require_safe_binding(host, token)
        self.db_path = db.target(db_path)
        self.live = live
        self.token = token
        METRICS.sources.live = live
        METRICS.sources.budgets = self._budgets
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

    def _budgets(self) -> list[dict[str, object]]:
        conn = store.connect(self.db_path, readonly=True)
        try:
            return stats.budgets(conn)
        finally:
            conn.close()

    def _answer(self, path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        """Status, content type and body for a GET (no CORS header: same origin only)."""
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, METRICS.render()
        if path == "/openapi.json":
            return 200, "application/json", orjson.dumps(api.openapi())
        found = api.match(path)
        if found is None:
            endpoints = [r.path for r in api.ROUTES]
            return (
                404,
                "application/json",
                orjson.dumps({"error": "not found", "endpoints": endpoints}),
            )
        route, raw_args = found
        args = {k: unquote(v) for k, v in raw_args.items()}
        conn = store.connect(self.db_path, readonly=True)
        try:
            if path == "/":
                return 200, "text/html; charset=utf-8", dashboard.render(conn).encode()
            if route.path == "/weekly":
                since, until = (
                    queries.parse_time(query.get("since")),
                    queries.parse_time(query.get("until")),
                )
                page = weekly.render_weekly(conn, "html", since, until, stats.budget_config())
                return 200, "text/html; charset=utf-8", page.encode()
            if route.path == "/sessions/{id}":
                page = dashboard.session_page(conn, args["id"])
                if page is None:
                    raise api.NotFound(f"no session {args['id']!r}")
                return 200, "text/html; charset=utf-8", page.encode()
            body = route.handler(conn, query, **args)
            if path == "/stats" and self.live is not None:
                body["totals"].update(self.live())
        finally:
            conn.close()
        return 200, "application/json", orjson.dumps(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not access.authorized(self.headers.get("Authorization"), server.token):
                    self._send(
                        401,
                        "application/json",
                        b'{"error":"unauthorized"}',
                        {"WWW-Authenticate": 'Basic realm="trimline", charset="UTF-8"'},
                    )
                    return
                url = urlsplit(self.path)
                query = dict(parse_qsl(url.query))
                try:
                    status, kind, data = server._answer(url.path, query)
                except BadQuery as e:
                    status, kind, data = 400, "application/json", orjson.dumps({"error": str(e)})
                except api.NotFound as e:
                    status, kind, data = 404, "application/json", orjson.dumps({"error": str(e)})
                except Exception as e:
                    log.exception("stats query failed")
                    status, kind = 500, "application/json"
                    data = orjson.dumps({"error": type(e).__name__})
                self._send(status, kind, data)

            def _send(
                self, status: int, kind: str, data: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Content-Type-Options", "nosniff")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("stats: " + format, *args)

        return Handler
