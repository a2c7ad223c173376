"""Trimline's added latency: ``python -m benchmarks.overhead [--requests N]``.

The same requests go (a) straight to a fake Messages API on loopback,
(b) through plain ``mitmdump`` in reverse mode, (c) through ``trimline serve``.
Bodies are agent-like: a growing history of tool results (logs, search hits,
code reads from fixtures/). "cold" sends each body once (compression runs);
"warm" re-sends them (the content-hash cache answers). Added time = the
proxy's latency minus the direct latency, per percentile.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from fixtures.load import load_all
from tests.fake_anthropic import FakeAnthropic
from tests.proxy import _wait_port, free_port, trimline_serve


def bodies(n: int) -> list[bytes]:
    """n requests of one conversation, each a turn longer than the last."""
    fixtures = list(load_all())
    messages: list[dict] = [{"role": "user", "content": "Fix the failing tests."}]
    out = []
    for i in range(n):
        f = fixtures[i % len(fixtures)]
        # A distinct first line per turn, so cold turns really are new content.
        text = f"turn {i}\n{f.text}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": f"t{i}", "name": f.tool, "input": f.tool_input}
                ],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": f"t{i}", "content": text}],
            }
        )
        out.append(
            orjson.dumps(
                {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages[-12:]}
            )
        )
    return out


def timed(client: httpx.Client, url: str, payloads: list[bytes]) -> list[float]:
    times = []
    for body in payloads:
        t0 = time.perf_counter()
        r = client.post(
            f"{url}/v1/messages", content=body, headers={"content-type": "application/json"}
        )
        r.read()
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    return times


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--requests", type=int, default=60)
    args = p.parse_args(argv)
    payloads = bodies(args.requests)
    mb = sum(len(b) for b in payloads) / 1e6
    with FakeAnthropic() as fake, tempfile.TemporaryDirectory() as tmp:
        direct = httpx.Client(timeout=60)
        timed(direct, fake.url, payloads[:5])  # warm up the fake
        base = timed(direct, fake.url, payloads)

        port = free_port()
        mitm = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "mitmdump"),
                "-q",
                "--mode",
                f"reverse:{fake.url}",
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
            _wait_port(port, mitm)
            plain_client = httpx.Client(timeout=60)
            timed(plain_client, f"http://127.0.0.1:{port}", payloads[:5])
            plain = timed(plain_client, f"http://127.0.0.1:{port}", payloads)
        finally:
            mitm.terminate()
            mitm.wait()

        with trimline_serve(Path(tmp), upstream=fake.url) as proxy:
            client = httpx.Client(timeout=60)
            cold = timed(client, proxy.url, payloads)
            warm = timed(client, proxy.url, payloads)

    print(
        f"{args.requests} requests, {mb:.1f} MB of request bodies, {len(fake.received)} reached the fake"
    )
    print(f"{'':24}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")

    def row(name: str, values: list[float]) -> None:
        print(
            f"{name:24}{pct(values, 0.5):9.2f}{pct(values, 0.95):9.2f}{statistics.fmean(values):9.2f}"
        )

    row("direct", base)
    row("plain mitmdump", plain)
    row("trimline, cold cache", cold)
    row("trimline, warm cache", warm)
    print("added over direct:")
    for name, values in (
        ("plain mitmdump", plain),
        ("trimline, cold", cold),
        ("trimline, warm", warm),
    ):
        added = [v - b for v, b in zip(values, base, strict=True)]
        print(
            f"  {name:22}{pct(added, 0.5):9.2f}{pct(added, 0.95):9.2f}{statistics.fmean(added):9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
