"""Runs mitmproxy in-process with the Trimline addon (what ``mitmdump -s addons/trimline.py`` does)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from mitmproxy import options
from mitmproxy.tools.dump import DumpMaster

from addons.recorder import Recorder
from addons.redirect import Redirect
from addons.trimline import Trimline


def build_options(
    *,
    mode: str,
    upstream: str | None,
    host: str,
    port: int,
    stats_port: int,
    db: Path,
    threshold: int,
    hosts: str,
    confdir: str | None,
    redirect: str,
    record: str = "",
    prices: str = "",
    routing: str = "",
) -> dict[str, object]:
    if mode == "reverse":
        if not upstream:
            raise SystemExit("trimline serve: --mode reverse needs --upstream URL")
        proxy_mode = f"reverse:{upstream}"
    elif mode == "forward":
        proxy_mode = "regular"
    else:
        raise SystemExit(f"trimline serve: unknown mode {mode!r}")
    opts: dict[str, object] = {
        "mode": [proxy_mode],
        "listen_host": host,
        "listen_port": port,
        # Lazy: connect upstream only once the request is known (and possibly redirected).
        "connection_strategy": "lazy",
        "trimline_db": str(db),
        "trimline_stats_port": stats_port,
        "trimline_threshold": threshold,
        "trimline_hosts": hosts,
        "trimline_redirect": redirect,
        "trimline_record": record,
        "trimline_prices": prices,
        "trimline_routing": routing,
    }
    if confdir:
        opts["confdir"] = confdir
    return opts


async def run(opts: dict[str, object]) -> None:
    master = DumpMaster(options.Options(), with_termlog=True, with_dumper=False)
    # Order matters: the recorder reads what the Trimline addon learned of each call,
    # and redirection happens last, once the API host has been recognised.
    master.addons.add(Trimline(), Recorder(), Redirect())
    master.options.update(**opts)
    # A clean stop runs the addons' done hooks, which write every queued record.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, master.shutdown)
    await master.run()


def serve(opts: dict[str, object]) -> None:
    asyncio.run(run(opts))
