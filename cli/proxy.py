"""Runs mitmproxy in-process with the Trimline addon (what ``mitmdump -s addons/trimline.py`` does).

Imported only by ``trimline serve``: the other commands start without mitmproxy."""

from __future__ import annotations

import asyncio
import logging
import signal
import time

from mitmproxy import options
from mitmproxy.tools.dump import DumpMaster
from trimline.addons.recorder import Recorder
from trimline.addons.redirect import Redirect
from trimline.addons.trimline import Trimline
from trimline.addons.upstream_errors import UpstreamErrors
from trimline.core.secrets import mask_logs

log = logging.getLogger("trimline")

# Seconds a stopping proxy (SIGTERM, Ctrl-C) gives calls in flight; a second signal stops at once.
GRACE_SECONDS = 30.0


async def drain(master: DumpMaster, trimline: Trimline, grace: float) -> None:
    """Stops taking connections, lets calls in flight finish (up to ``grace`` seconds), stops.

    A clean stop runs the addons' done hooks, which write every queued record.
    """
    log.info(
        "trimline: stopping; %d call(s) in flight, up to %.0f s to finish",
        trimline.in_flight,
        grace,
    )
    try:
        master.options.update(server=False)  # closes the listening sockets only
    except Exception as e:  # never let a failed close keep the proxy from stopping
        log.warning("trimline: could not stop listening: %s", e)
    deadline = time.monotonic() + grace
    while trimline.in_flight > 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    master.shutdown()


async def run(opts: dict[str, object], grace: float = GRACE_SECONDS) -> None:
    master = DumpMaster(options.Options(), with_termlog=True, with_dumper=False)
    mask_logs()  # the console never shows a credential (error texts can quote one)
    trimline = Trimline()
    # Order matters: the recorder reads what the Trimline addon learned of each call,
    # and redirection happens last, once the API host has been recognised.
    master.addons.add(UpstreamErrors(), trimline, Recorder(), Redirect())
    master.options.update(**opts)
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def stop() -> None:
        if stopping:  # a second signal: no more waiting
            master.shutdown()
            return
        stopping.append(loop.create_task(drain(master, trimline, grace)))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    await master.run()


def serve(opts: dict[str, object], grace: float = GRACE_SECONDS) -> None:
    asyncio.run(run(opts, grace))
