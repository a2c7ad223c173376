"""Sends requests for a host somewhere else. For tests: the real API host goes to a loopback fake.

Needs ``connection_strategy=lazy``: with the default eager strategy mitmproxy
resolves the real host at CONNECT time, before any hook could redirect it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mitmproxy import ctx, http


class Redirect:
    def __init__(self) -> None:
        self.targets: dict[str, tuple[str, str, int]] = {}

    def load(self, loader: Any) -> None:
        loader.add_option(
            "trimline_redirect",
            str,
            "",
            "Test only: comma-separated HOST=URL pairs, e.g. api.anthropic.com=http://127.0.0.1:9000.",
        )

    def configure(self, updated: set[str]) -> None:
        if "trimline_redirect" not in updated:
            return
        self.targets = {}
        for pair in filter(None, (p.strip() for p in ctx.options.trimline_redirect.split(","))):
            host, _, url = pair.partition("=")
            parts = urlsplit(url)
            if not host or parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"trimline_redirect: bad pair {pair!r}, want HOST=http(s)://host:port"
                )
            port = parts.port or (443 if parts.scheme == "https" else 80)
            self.targets[host.strip()] = (parts.scheme, parts.hostname, port)

    def request(self, flow: http.HTTPFlow) -> None:
        target = self.targets.get(flow.request.pretty_host)
        if target:
            flow.request.scheme, flow.request.host, flow.request.port = target
