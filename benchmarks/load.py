"""Concurrent agent sessions streaming through Trimline: ``python -m benchmarks.load``.

``--sessions`` agents (default 100) each run ``--turns`` turns (default 10) at once,
streaming every answer, against a fake Messages API in its own process on loopback.
Each turn re-sends the growing history with a new tool output from ``fixtures/``
(so compression runs cold on the new block and warm on the history). The same load
runs straight to the fake, through plain ``mitmdump`` and through ``trimline serve``.
Printed: error rate, latency percentiles, the latency each proxy adds (its
percentile minus the direct one), throughput, and Trimline's ratio to mitmdump.
Bounded: sessions x turns requests per target, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

from benchmarks.common import pct
from fixtures.load import load_all
from tests.proxy import _wait_port, free_port, trimline_serve

FAKE = """
import collections, sys, time
from tests.fake_anthropic import FakeAnthropic
fake = FakeAnthropic(text="All tests pass now. " * 20)
fake.received = collections.deque(maxlen=1)  # keep nothing: this is a load test
fake.httpd.socket.listen(1024)  # the default backlog of 5 drops bursts of connections
fake.__enter__()
print(fake.url, flush=True)
sys.stdin.read()
"""


@contextmanager
def fake_upstream() -> Iterator[str]:
    """The fake API in its own process, so the load generator does not slow it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", FAKE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        yield proc.stdout.readline().decode().strip()
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


@contextmanager
def mitmdump(upstream: str, tmp: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "mitmdump"),
            "-q",
            "--mode",
            f"reverse:{upstream}",
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(port),
            "--set",
            f"confdir={tmp}/mitm",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def session_bodies(session: int, turns: int, max_chars: int = 20_000) -> list[bytes]:
    """One agent's requests: each turn adds a tool call and its output (fixtures, cut)."""
    fixtures = [f for f in load_all() if f.tool]
    messages: list[dict] = [{"role": "user", "content": f"Session {session}: fix the tests."}]
    out = []
    for turn in range(turns):
        f = fixtures[(session * 7 + turn) % len(fixtures)]
        use_id = f"toolu_{session}_{turn}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": use_id, "name": f.tool, "input": f.tool_input}
                ],
            }
        )
        text = f"session {session} turn {turn}\n{f.text[:max_chars]}"
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use_id, "content": text}],
            }
        )
        body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": True}
        out.append(orjson.dumps(body | {"messages": messages}))
    return out


async def run_load(url: str, bodies: list[list[bytes]]) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=len(bodies) + 10, max_keepalive_connections=len(bodies))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def agent(i: int, turns: list[bytes]) -> None:
            for body in turns:
                t0 = time.perf_counter()
                try:
                    async with client.stream(
                        "POST",
                        f"{url}/v1/messages",
                        content=body,
                        headers={
                            "content-type": "application/json",
                            "x-api-key": "sk-load",
                            "x-trimline-session": f"load-{i}",
                        },
                    ) as r:
                        data = b"".join([c async for c in r.aiter_raw()])
                    if r.status_code != 200 or b"message_stop" not in data:
                        errors.append(f"status {r.status_code}")
                        continue
                except httpx.HTTPError as e:
                    errors.append(type(e).__name__)
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(agent(i, b) for i, b in enumerate(bodies)))
        wall = time.perf_counter() - t0
    total = sum(len(b) for b in bodies)
    return {
        "requests": total,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "latencies": latencies,
        "wall_s": wall,
        "rps": total / wall,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sessions", type=int, default=100)
    p.add_argument("--turns", type=int, default=10)
    args = p.parse_args(argv)
    bodies = [session_bodies(s, args.turns) for s in range(args.sessions)]
    mb = sum(len(b) for turns in bodies for b in turns) / 1e6
    results: dict[str, dict] = {}
    with fake_upstream() as upstream, tempfile.TemporaryDirectory() as tmp:
        # Warm the fake and the client path once.
        asyncio.run(run_load(upstream, bodies[:5]))
        results["direct"] = asyncio.run(run_load(upstream, bodies))
        with mitmdump(upstream, tmp) as url:
            asyncio.run(run_load(url, bodies[-5:]))
            results["mitmdump"] = asyncio.run(run_load(url, bodies))
        with trimline_serve(Path(tmp), upstream=upstream) as proxy:
            results["trimline"] = asyncio.run(run_load(proxy.url, bodies))
            data = proxy.wait_for_requests(args.sessions * args.turns, timeout=60)
            stats = data["totals"]
            timeouts = sum(k["blocks"] for k in data["by_kind"] if k["kind"] == "timeout")
            rss = _rss_mb(proxy.process.pid)

    print(
        f"{args.sessions} concurrent sessions x {args.turns} turns, streamed, "
        f"{mb:.1f} MB of request bodies per target"
    )
    print(
        f"{'':12}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'mean ms':>9}{'req/s':>8}{'added p50':>11}{'added p99':>11}"
    )
    base = results["direct"]["latencies"]
    for name, r in results.items():
        lat = r["latencies"]
        added = (
            ("", "")
            if name == "direct"
            else (
                f"{pct(lat, 0.5) - pct(base, 0.5):.2f}",
                f"{pct(lat, 0.99) - pct(base, 0.99):.2f}",
            )
        )
        print(
            f"{name:12}{r['errors']:>8}{pct(lat, 0.5):9.2f}{pct(lat, 0.95):9.2f}{pct(lat, 0.99):9.2f}"
            f"{statistics.fmean(lat) if lat else 0:9.2f}{r['rps']:8.1f}{added[0]:>11}{added[1]:>11}"
        )
        if r["error_kinds"]:
            print(f"  errors: {', '.join(r['error_kinds'])}")
    t, m = results["trimline"], results["mitmdump"]
    print(
        f"trimline / mitmdump: p50 {pct(t['latencies'], 0.5) / pct(m['latencies'], 0.5):.2f}x, "
        f"p99 {pct(t['latencies'], 0.99) / pct(m['latencies'], 0.99):.2f}x, "
        f"throughput {t['rps'] / m['rps']:.2f}x"
    )
    print(
        f"trimline recorded {stats['requests']} calls ({stats['errors']} with errors), "
        f"saved {stats['tokens_saved']:,} of {stats['tokens_before']:,} tokens, "
        f"own overhead mean {stats['overhead_ms_mean']} ms, max {stats['overhead_ms_max']} ms; "
        f"RSS {rss:.0f} MB; {timeouts} block(s) over the compression time limit"
    )
    failed = any(r["errors"] for r in results.values()) or stats["requests"] < t["requests"]
    return 1 if failed else 0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
