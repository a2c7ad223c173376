"""Compressors in worker threads, with a limit on the CPU time one block may take."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from trimline.compressors import Context, Result, compress

log = logging.getLogger("trimline")


class BoundedCompress:
    """``compress`` in a few worker threads, abandoning a block that takes too long.

    The limit is on the worker's CPU time, so a busy proxy does not abandon ordinary
    blocks; wall time is a backstop (five times the limit, waiting for a worker included).
    A thread cannot be killed: an abandoned compressor runs on to its end, and the pool's
    size caps how many can burn CPU at once.
    """

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="trimline-compress")
        self.timeouts = 0

    def __call__(self, text: str, context: Context, threshold: int, limit_ms: int) -> Result:
        if limit_ms <= 0 or len(text) < threshold * 2:
            return compress(text, context, threshold)
        clock: list[tuple[int, float]] = []

        def work() -> Result:
            if hasattr(time, "pthread_getcpuclockid"):
                clock.append(
                    (time.pthread_getcpuclockid(threading.get_ident()), time.thread_time())
                )
            return compress(text, context, threshold)

        limit = limit_ms / 1000
        future = self._pool.submit(work)
        deadline = time.monotonic() + 5 * limit
        while True:
            try:
                return future.result(timeout=min(0.05, limit))
            except FutureTimeout:
                pass
            cpu = time.clock_gettime(clock[0][0]) - clock[0][1] if clock else 0.0
            if cpu > limit or time.monotonic() > deadline:
                break
        future.cancel()
        self.timeouts += 1
        log.warning(
            "trimline: compressor over %d ms on a %s block of %d chars: left alone",
            limit_ms,
            context.tool or "tool",
            len(text),
        )
        tokens = max(1, len(text) // 4)  # an estimate: counting could be slow on such input
        return Result(text, "timeout", tokens, tokens)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
