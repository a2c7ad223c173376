"""Trimline beside plain mitmdump, in one run: ``python -m benchmarks.passthrough``.

The same bytes go straight to a fake Messages API (its own process, on loopback), through
plain ``mitmdump`` in reverse mode and through ``trimline serve``, interleaved sample by
sample so that a busy machine slows all three alike. Reported as ratios to mitmdump:

- size sweep: added latency (p50, the route's time minus the direct time for the same
  body) of a request whose one new tool output is 5 KB, 100 KB, 1 MB or 5 MB;
- history sweep: a session of 10, 100 or 200 turns (seen turn by turn, as an agent
  sends it), then one more turn with a new 5 KB output, many times over;
- concurrency: requests per second with 16 and 64 agents each running a 50-turn session;
- CPU: the proxy process's CPU time per request over 50-turn sessions;
- RSS: the proxy's resident memory over the concurrency runs.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson

from benchmarks.common import pct
from benchmarks.load import fake_upstream, mitmdump, run_load, session_bodies
from fixtures.load import load_all
from tests.proxy import trimline_serve

MODEL = "claude-sonnet-4-5"
SIZES = {"5 KB": 5_000, "100 KB": 100_000, "1 MB": 1_000_000, "5 MB": 5_000_000}
HISTORY = (10, 100, 200)
CLIENTS = (16, 64)


def _text(size: int, salt: str) -> str:
    """A tool output of ``size`` characters from the fixtures' logs, new each time."""
    logs = [f.text for f in load_all() if f.tool == "Bash"]
    out, n, i = [f"run {salt}"], 0, 0
    while n < size:
        t = logs[i % len(logs)]
        out.append(t)
        n += len(t) + 1
        i += 1
    return "\n".join(out)[:size]


def _turn(messages: list[dict], i: int, text: str) -> None:
    tid = f"toolu_{i}"
    messages.append(
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": tid, "name": "Bash", "input": {"command": "pytest"}}
            ],
        }
    )
    messages.append(
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tid, "content": text}],
        }
    )


def _body(messages: list[dict]) -> bytes:
    return orjson.dumps({"model": MODEL, "max_tokens": 64, "messages": messages})


def _post(client: httpx.Client, url: str, body: bytes, session: str) -> tuple[float, float]:
    """The request's time, and Trimline's own time on it (its overhead header; 0 elsewhere)."""
    t0 = time.perf_counter()
    r = client.post(
        f"{url}/v1/messages",
        content=body,
        headers={"content-type": "application/json", "x-trimline-session": session},
    )
    r.raise_for_status()
    own = float(r.headers.get("x-trimline-overhead-ms", 0.0))
    return (time.perf_counter() - t0) * 1000, own


def _added(targets: dict[str, str], samples: list[list[tuple[bytes, bool]]], session: str) -> dict:
    """p50 of each route's time minus the direct time. Each sample is a list of bodies of
    which those marked True are timed (the rest are earlier turns, sent unmeasured); the
    routes take turns at going first."""
    times: dict[str, list[float]] = {name: [] for name in targets}
    own: list[float] = []
    with httpx.Client(timeout=120) as client:
        for k, bodies in enumerate(samples):
            order = list(targets.items())
            order = order[k % len(order) :] + order[: k % len(order)]
            for name, url in order:
                for body, timed in bodies:
                    ms, overhead = _post(client, url, body, session)
                    if timed:
                        times[name].append(ms)
                        if name == "trimline":
                            own.append(overhead)
    direct = pct(times["direct"], 0.5)
    out = {name: pct(v, 0.5) - direct for name, v in times.items() if name != "direct"}
    # Trimline's own request-path time (its overhead header): less noisy than end to end.
    out["trimline_own"] = pct(own, 0.5)
    return out


def size_sweep(targets: dict[str, str], reps: int, sizes: dict[str, int]) -> dict:
    out = {}
    for label, size in sizes.items():
        samples = []
        for _ in range(reps if size < 1_000_000 else max(3, reps // 4)):
            messages: list[dict] = [{"role": "user", "content": f"Fix it. {secrets.token_hex(4)}"}]
            for i in range(3):
                _turn(messages, i, _text(2_000, f"h{i}"))
            _turn(messages, 3, _text(size, secrets.token_hex(6)))
            samples.append([(_body(messages), True)])
        out[label] = _added(targets, samples, f"size-{size}")
    return out


def history_sweep(targets: dict[str, str], reps: int, turns: tuple[int, ...]) -> dict:
    """A session sent turn by turn (unmeasured), then, many times over, its next turn with
    a new 5 KB output (as a retried or forked turn is: the same history each time)."""
    out = {}
    for n in turns:
        base: list[dict] = [{"role": "user", "content": f"Fix it. {secrets.token_hex(4)}"}]
        warm: list[tuple[bytes, bool]] = []
        for i in range(n):
            _turn(base, i, _text(3_000, f"{n}-{i}"))
            warm.append((_body(base), False))
        samples = []
        for k in range(reps):
            messages = list(base)
            _turn(messages, n, _text(5_000, secrets.token_hex(6)))
            samples.append([*(warm if k == 0 else []), (_body(messages), True)])
        out[f"{n} turns"] = _added(targets, samples, f"history-{n}")
    return out


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, clock ticks


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def concurrency(
    urls: dict[str, str], pids: dict[str, int], clients: tuple[int, ...], turns: int
) -> dict:
    out: dict = {"rps": {}, "cpu_ms_per_request": {}, "rss_mb": {}}
    for n in clients:
        for name in ("mitmdump", "trimline"):
            sessions = [session_bodies(10_000 * n + s, turns, 3_000) for s in range(n)]
            cpu0 = _cpu_s(pids[name])
            result = asyncio.run(run_load(urls[name], sessions))
            cpu = _cpu_s(pids[name]) - cpu0
            out["rps"].setdefault(f"{n} clients", {})[name] = result["rps"]
            out["cpu_ms_per_request"].setdefault(f"{n} clients", {})[name] = (
                cpu * 1000 / result["requests"]
            )
            out["rss_mb"].setdefault(f"after {n} clients", {})[name] = _rss_mb(pids[name])
            if result["errors"]:
                out.setdefault("errors", {})[f"{name} {n}"] = result["error_kinds"]
    return out


def cpu_per_request(urls: dict[str, str], pids: dict[str, int], turns: int, sessions: int) -> dict:
    """One agent at a time, 50-turn sessions: the proxy's CPU per request."""
    out = {}
    for name in ("mitmdump", "trimline"):
        bodies = [session_bodies(20_000 + s, turns, 3_000) for s in range(sessions)]
        cpu0 = _cpu_s(pids[name])
        asyncio.run(run_load(urls[name], bodies[:1]))
        for b in bodies[1:]:
            asyncio.run(run_load(urls[name], [b]))
        out[name] = (_cpu_s(pids[name]) - cpu0) * 1000 / (turns * sessions)
    return out


def run(
    quick: bool = False, log: Callable[[str], None] = print, parts: str = "size,history,cpu,load"
) -> dict:
    reps = 5 if quick else 25
    sizes = {k: v for k, v in SIZES.items() if not quick or v <= 100_000}
    turns = (10, 30) if quick else HISTORY
    clients = (4,) if quick else CLIENTS
    session_turns = 10 if quick else 50
    data: dict = {}
    with (
        fake_upstream() as upstream,
        tempfile.TemporaryDirectory() as tmp,
        mitmdump(upstream, tmp) as mitm_url,
        trimline_serve(Path(tmp), upstream=upstream) as proxy,
    ):
        mitm_pid = _pid_listening(mitm_url)
        targets = {"direct": upstream, "mitmdump": mitm_url, "trimline": proxy.url}
        urls = {"mitmdump": mitm_url, "trimline": proxy.url}
        pids = {"mitmdump": mitm_pid, "trimline": proxy.process.pid}
        if "size" in parts:
            log("passthrough: size sweep")
            data["size"] = size_sweep(targets, reps, sizes)
        if "history" in parts:
            log("passthrough: history sweep")
            data["history"] = history_sweep(targets, reps, turns)
        if "cpu" in parts:
            log("passthrough: CPU per request")
            data["cpu_ms_per_request"] = cpu_per_request(urls, pids, session_turns, 2)
        if "load" in parts:
            log("passthrough: concurrency")
            data["concurrency"] = concurrency(urls, pids, clients, session_turns)
    data["ratios"] = ratios(data)
    return data


def _pid_listening(url: str) -> int:
    """mitmdump's pid, found by its port (``benchmarks.load.mitmdump`` does not expose it)."""
    port = url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(c.endswith(b"mitmdump") for c in cmd) and port.encode() in cmd:
            return int(proc.name)
    raise RuntimeError("mitmdump's process not found")


def ratios(data: dict) -> dict:
    out: dict = {}
    for label, v in data.get("size", {}).items():
        out[f"new {label} block, added p50"] = v["trimline"] / max(v["mitmdump"], 1e-3)
    for label, v in data.get("history", {}).items():
        out[f"{label} + new 5 KB, added p50"] = v["trimline"] / max(v["mitmdump"], 1e-3)
    hist = data.get("history", {})
    if "10 turns" in hist and "200 turns" in hist:
        out["200 turns minus 10 turns, ms (Trimline)"] = (
            hist["200 turns"]["trimline"] - hist["10 turns"]["trimline"]
        )
        out["200 turns minus 10 turns, ms (Trimline's own time)"] = (
            hist["200 turns"]["trimline_own"] - hist["10 turns"]["trimline_own"]
        )
    cpu = data.get("cpu_ms_per_request")
    if cpu:
        out["CPU per request, 50-turn session"] = cpu["trimline"] / max(cpu["mitmdump"], 1e-3)
    for label, v in data.get("concurrency", {}).get("rps", {}).items():
        out[f"throughput, {label}"] = v["trimline"] / v["mitmdump"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer samples, smaller sizes")
    p.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    p.add_argument("--parts", default="size,history,cpu,load", help="a subset to run")
    args = p.parse_args(argv)
    data = run(args.quick, log=lambda m: print(m, file=sys.stderr), parts=args.parts)
    if args.json:
        print(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        print("\n".join(markdown(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())


TARGETS = {
    "100 turns + new 5 KB, added p50": ("≤ 1.5×", 1.5),
    "new 100 KB block, added p50": ("≤ 3×", 3.0),
    "new 1 MB block, added p50": ("≤ 3×", 3.0),
    "CPU per request, 50-turn session": ("≤ 2×", 2.0),
    "throughput, 16 clients": ("≥ 0.5×", -0.5),
    "throughput, 64 clients": ("≥ 0.5×", -0.5),
    "200 turns minus 10 turns, ms (Trimline)": ("≤ +1 ms", 1.0),
    "200 turns minus 10 turns, ms (Trimline's own time)": ("≤ +1 ms", 1.0),
}


def markdown(p: dict | None) -> list[str]:
    """The report's section: every figure beside mitmdump's, as a ratio, with its target."""
    from benchmarks.common import table

    out = ["## 5. Beside plain mitmdump", ""]
    if not p or "error" in p:
        return [*out, f"Section not run{': ' + p['error'] if p else ''}.", ""]
    out.append(
        "The same bytes straight to a fake Messages API, through plain mitmdump and through "
        "trimline serve, interleaved sample by sample (`python -m benchmarks.passthrough`). "
        "Added latency is a route's p50 minus the direct p50 for the same bodies; ratios are "
        "Trimline over mitmdump."
    )
    out.append("")
    rows = []
    for label, v in {**p.get("size", {}), **p.get("history", {})}.items():
        name = f"new {label} block" if label in SIZES else f"{label} + new 5 KB block"
        rows.append(
            [
                name,
                f"{v['mitmdump']:.2f}",
                f"{v['trimline']:.2f}",
                f"{v.get('trimline_own', 0):.2f}",
            ]
        )
    header = ["added latency, p50 (ms)", "mitmdump", "Trimline", "Trimline's own time"]
    out += [table(header, rows, "lrrr"), ""]
    conc = p.get("concurrency", {})
    rows = [
        [f"requests/s, {k}", f"{v['mitmdump']:.0f}", f"{v['trimline']:.0f}"]
        for k, v in conc.get("rps", {}).items()
    ]
    cpu = p.get("cpu_ms_per_request")
    if cpu:
        rows.append(
            ["CPU ms/request, 50-turn session", f"{cpu['mitmdump']:.2f}", f"{cpu['trimline']:.2f}"]
        )
    rows += [
        [f"RSS MB {k}", f"{v['mitmdump']:.0f}", f"{v['trimline']:.0f}"]
        for k, v in conc.get("rss_mb", {}).items()
    ]
    out += [table(["load", "mitmdump", "Trimline"], rows, "lrr"), ""]
    rows = []
    for label, value in p.get("ratios", {}).items():
        target, bound = TARGETS.get(label, ("", None))
        met = ""
        if bound is not None:
            met = "yes" if (value >= -bound if bound < 0 else value <= bound) else "no"
        shown = f"{value:+.2f} ms" if ", ms (" in label else f"{value:.2f}×"
        rows.append([label, shown, target, met])
    out += [table(["ratio", "measured", "target", "met"], rows, "lrll"), ""]
    return out
