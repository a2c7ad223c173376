"""A timed run with memory sampled: ``python -m benchmarks.soak [--minutes 30]``.

``--concurrency`` agents (default 8) stream turn after turn through ``trimline
serve`` against a fake Messages API on loopback, each conversation growing for
``--turns`` turns before a new one starts (new sessions, new blocks: every cache
sees fresh keys for the whole run). The proxy's RSS is sampled every ``--every``
seconds. It plateaus when the last third of the run grew less than ``--slack-mb``
(default 16) over the middle third: bounded caches, no per-request growth.
Exit status 1 if it did not, or if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.load import fake_upstream, session_bodies
from tests.proxy import trimline_serve


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def agents(url: str, concurrency: int, turns: int, until: float, counts: dict) -> None:
    async with httpx.AsyncClient(timeout=60) as client:

        async def agent(worker: int) -> None:
            conversation = 0
            while time.monotonic() < until:
                session = worker * 1_000_000 + conversation
                for body in session_bodies(session, turns, max_chars=8_000):
                    if time.monotonic() >= until:
                        return
                    try:
                        async with client.stream(
                            "POST",
                            f"{url}/v1/messages",
                            content=body,
                            headers={
                                "content-type": "application/json",
                                "x-trimline-session": f"soak-{session}",
                            },
                        ) as r:
                            async for _ in r.aiter_raw():
                                pass
                        counts["ok" if r.status_code == 200 else "failed"] += 1
                    except httpx.HTTPError:
                        counts["failed"] += 1
                conversation += 1

        await asyncio.gather(*(agent(w) for w in range(concurrency)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--turns", type=int, default=12)
    p.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    p.add_argument("--slack-mb", type=float, default=16.0)
    p.add_argument(
        "--warm-minutes",
        type=float,
        help="where the flatness check starts (default: a sixth of the run, minute 5 of 30)",
    )
    args = p.parse_args(argv)
    counts = {"ok": 0, "failed": 0}
    samples: list[tuple[float, float, int]] = []
    with (
        fake_upstream() as upstream,
        tempfile.TemporaryDirectory() as tmp,
        trimline_serve(Path(tmp), upstream=upstream) as proxy,
    ):
        pid = proxy.process.pid
        start = time.monotonic()
        until = start + args.minutes * 60

        async def run() -> None:
            load = asyncio.create_task(
                agents(proxy.url, args.concurrency, args.turns, until, counts)
            )
            while not load.done():
                samples.append((time.monotonic() - start, rss_mb(pid), counts["ok"]))
                t, rss, n = samples[-1]
                print(f"{t:7.0f} s  RSS {rss:7.1f} MB  {n:7d} requests", flush=True)
                await asyncio.wait({load}, timeout=args.every)
            await load

        asyncio.run(run())
        samples.append((time.monotonic() - start, rss_mb(pid), counts["ok"]))
        stats = proxy.wait_for_requests(counts["ok"], timeout=60)["totals"]

    third = max(1, len(samples) // 3)
    middle = [s[1] for s in samples[third : 2 * third]] or [samples[0][1]]
    last = [s[1] for s in samples[2 * third :]]
    growth = max(last) - max(middle)
    plateau = growth < args.slack_mb
    elapsed = samples[-1][0]
    print(
        f"\n{counts['ok']} requests in {elapsed / 60:.1f} min ({counts['ok'] / elapsed:.1f}/s), "
        f"{counts['failed']} failed; {stats['requests']} recorded"
    )
    # The measure: from a sixth of the run (minute 5 of 30) to the end, within 10%.
    start_at = args.warm_minutes * 60 if args.warm_minutes is not None else elapsed / 6
    warm = next((s for s in samples if s[0] >= start_at), samples[-1])
    change = (samples[-1][1] - warm[1]) / warm[1]
    print(
        f"RSS at {warm[0] / 60:.1f} min {warm[1]:.1f} MB, at the end {samples[-1][1]:.1f} MB: "
        f"{change:+.1%} ({'flat' if abs(change) <= 0.10 else 'NOT flat'}, ±10%)"
    )
    print(
        f"RSS: start {samples[0][1]:.1f} MB, peak {max(s[1] for s in samples):.1f} MB, "
        f"end {samples[-1][1]:.1f} MB; last third vs middle third {growth:+.1f} MB: "
        + ("plateaus" if plateau else f"STILL GROWING (over {args.slack_mb} MB)")
    )
    return 0 if plateau and abs(change) <= 0.10 and not counts["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
