"""Section 4: Trimline's added latency beside plain mitmdump and LiteLLM, and compressor speed.

One request mix (agent-like bodies of 1k to 200k tokens: a history of tool results from
``fixtures/``, the newest one new) goes, request by request, (a) straight to a fake
Messages API, (b) through plain ``mitmdump`` in reverse mode, (c) through ``trimline
serve`` twice — cold (first sight: the newest block is compressed) and warm (the same
body again: every decision comes from the content-hash cache) — and (d) through the
LiteLLM proxy, a peer gateway, pointed at the same fake. Added latency is a route's time
minus the direct time for the same body.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
from trimline.compressors.tokens import count_tokens

from benchmarks.common import pct
from benchmarks.peers import INSTALL_TIMEOUT, Peer
from fixtures.load import Fixture
from tests.fake_anthropic import FakeAnthropic
from tests.proxy import _wait_port, free_port, trimline_serve

FULL_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
QUICK_SIZES = (1_000, 10_000, 50_000)
MODEL = "claude-sonnet-4-5"


class LiteLLM(Peer):
    name = "litellm"
    packages = ("litellm[proxy]==1.108.7",)

    @property
    def binary(self) -> Path:
        return self.venv / "bin" / "litellm"


def _lines_tokens(text: str) -> list[tuple[str, int]]:
    return [(line, count_tokens(line) + 1) for line in text.splitlines(keepends=True)]


class Mix:
    """Bodies of roughly the target sizes; each call gives fresh content (a new nonce)."""

    def __init__(self, fixtures: list[Fixture]) -> None:
        self.fixtures = sorted(fixtures, key=lambda f: f.id)
        self.tokens = {f.id: count_tokens(f.text) for f in self.fixtures}
        self.lines = {f.id: _lines_tokens(f.text) for f in self.fixtures}

    def body(self, target: int, index: int) -> tuple[bytes, int]:
        nonce = secrets.token_hex(6)
        messages: list[dict] = [{"role": "user", "content": f"Fix the failing tests. ({nonce})"}]
        used = 40
        j = index
        misses = 0
        while used < target and misses < len(self.fixtures):
            f = self.fixtures[j % len(self.fixtures)]
            j += 1
            room = target - used - 60
            text = f.text
            if self.tokens[f.id] > room:
                kept, n = [], 0
                for line, t in self.lines[f.id]:
                    if n + t > room:
                        break
                    kept.append(line)
                    n += t
                if n < room // 2:
                    misses += 1  # long lines: try the next fixture
                    continue
                text = "".join(kept)
            use_id = f"toolu_{nonce}_{j}"
            tool_input = dict(f.tool_input, description=f"bench {nonce}")
            messages.append(
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": use_id, "name": f.tool, "input": tool_input}
                    ],
                }
            )
            result = {"type": "tool_result", "tool_use_id": use_id, "content": text}
            if f.is_error:
                result["is_error"] = True
            messages.append({"role": "user", "content": [result]})
            used += min(self.tokens[f.id], room) + 60
        raw = orjson.dumps({"model": MODEL, "max_tokens": 1024, "messages": messages})
        return raw, count_tokens(raw.decode())


def _time(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str]
) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = client.post(url, content=body, headers=headers)
    r.read()
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"{url} -> {r.status_code}: {r.text[:300]}")
    return ms, r.headers.get("x-trimline-overhead-ms", "")


def _start_mitmdump(upstream: str, tmp: str) -> tuple[subprocess.Popen, int]:
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
    _wait_port(port, proc)
    return proc, port


def _start_litellm(peer: LiteLLM, upstream: str, tmp: str) -> tuple[subprocess.Popen, int, str]:
    port = free_port()
    key = "sk-bench-" + secrets.token_hex(24)
    config = Path(tmp) / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        f"      model: anthropic/{MODEL}\n"
        f"      api_base: {upstream}\n"
        "      api_key: fake-key\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )
    log = open(Path(tmp) / "litellm.log", "wb")  # noqa: SIM115 - lives as long as the process
    env = dict(
        os.environ,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_MASTER_KEY=key,
        LITELLM_LOG="ERROR",
        LITELLM_TELEMETRY="False",
        DO_NOT_TRACK="1",
    )
    proc = subprocess.Popen(
        [str(peer.binary), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp,
    )
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                "litellm exited during start-up: "
                + (Path(tmp) / "litellm.log").read_text(errors="replace")[-800:]
            )
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=1).status_code
                == 200
            ):
                return proc, port, key
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            raise RuntimeError("litellm did not answer /health/liveliness within 120 s")
        time.sleep(0.25)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def latency(
    fixtures: list[Fixture],
    *,
    sizes: tuple[int, ...],
    reps: int,
    peer_dir: Path,
    skip_peers: bool,
    install_peers: bool,
    log: Callable[[str], None],
) -> dict:
    mix = Mix(fixtures)
    plan = [(size, r) for r in range(reps) for size in sizes]
    litellm_status = {"available": False, "reason": "", "version": ""}
    peer = LiteLLM(peer_dir)
    if skip_peers:
        litellm_status["reason"] = "skipped (--skip-peers)"
    elif not peer.installed() and not install_peers:
        litellm_status["reason"] = (
            f"not installed in {peer.venv} and --quick does not install peers"
        )
    elif not peer.installed():
        error = peer.install(log)
        if error:
            litellm_status["reason"] = f"could not be installed: {error}"
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    samples: list[dict] = []
    procs: list[subprocess.Popen] = []
    with FakeAnthropic() as fake, tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        try:
            mitm, mitm_port = _start_mitmdump(fake.url, tmp)
            procs.append(mitm)
            routes = {"direct": f"{fake.url}/v1/messages"}
            routes["mitmdump"] = f"http://127.0.0.1:{mitm_port}/v1/messages"
            litellm_headers = dict(headers)
            if peer.installed() and not skip_peers:
                try:
                    log("starting the LiteLLM proxy ...")
                    ll, ll_port, key = _start_litellm(peer, fake.url, tmp)
                    procs.append(ll)
                    routes["litellm"] = f"http://127.0.0.1:{ll_port}/v1/messages"
                    litellm_headers["x-api-key"] = key
                    litellm_status["available"] = True
                    litellm_status["version"] = _version(peer)
                except Exception as e:
                    litellm_status["reason"] = f"installed but could not run: {e}"
            with trimline_serve(Path(tmp), upstream=fake.url) as proxy:
                routes["trimline"] = f"{proxy.url}/v1/messages"
                clients = {name: httpx.Client(timeout=300) for name in routes}
                # Warm-up: connections, imports, the tokenizer; not measured.
                for size in sizes[:2]:
                    body, _ = mix.body(size, 0)
                    for name, url in routes.items():
                        h = litellm_headers if name == "litellm" else headers
                        _time(clients[name], url, body, h)
                log(f"timing {len(plan)} requests on {len(routes)} routes ...")
                for size, r in plan:
                    body, tokens = mix.body(size, r)
                    s: dict = {"size": size, "tokens": tokens, "bytes": len(body)}
                    s["direct"], _ = _time(clients["direct"], routes["direct"], body, headers)
                    s["mitmdump"], _ = _time(clients["mitmdump"], routes["mitmdump"], body, headers)
                    if "litellm" in routes:
                        s["litellm"], _ = _time(
                            clients["litellm"], routes["litellm"], body, litellm_headers
                        )
                    s["trimline_cold"], oh_cold = _time(
                        clients["trimline"], routes["trimline"], body, headers
                    )
                    s["trimline_warm"], oh_warm = _time(
                        clients["trimline"], routes["trimline"], body, headers
                    )
                    s["overhead_header_cold"] = float(oh_cold or 0)
                    s["overhead_header_warm"] = float(oh_warm or 0)
                    samples.append(s)
                for c in clients.values():
                    c.close()
        finally:
            for p in procs:
                _stop(p)
    return _summarise(samples, sizes, litellm_status)


def _version(peer: Peer) -> str:
    p = subprocess.run(
        [
            str(peer.python),
            "-c",
            "from importlib.metadata import version; print(version('litellm'))",
        ],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    return p.stdout.strip()


ROUTES = (
    ("mitmdump", "(b) plain mitmdump"),
    ("trimline_cold", "(c) trimline serve, cold cache"),
    ("trimline_warm", "(c) trimline serve, warm cache"),
    ("litellm", "(d) LiteLLM proxy"),
)


def _summarise(samples: list[dict], sizes: tuple[int, ...], litellm: dict) -> dict:
    out: dict = {"requests": len(samples), "sizes": list(sizes), "litellm": litellm, "routes": []}
    direct = [s["direct"] for s in samples]
    out["direct"] = {
        q: round(pct(direct, v), 2) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    }
    for key, label in ROUTES:
        if not samples or key not in samples[0]:
            continue
        lat = [s[key] for s in samples]
        added = [s[key] - s["direct"] for s in samples]
        row = {
            "route": key,
            "label": label,
            "latency": {
                q: round(pct(lat, v), 2) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            },
            "added": {
                q: round(pct(added, v), 2) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            },
            "added_by_size": {
                str(size): round(
                    pct([s[key] - s["direct"] for s in samples if s["size"] == size], 0.5), 2
                )
                for size in sizes
            },
        }
        out["routes"].append(row)
    by = {r["route"]: r["added"] for r in out["routes"]}

    def ratio(a: str, b: str, q: str) -> float | None:
        if a in by and b in by and by[b][q] > 0:
            return round(by[a][q] / by[b][q], 2)
        return None

    out["ratios"] = {
        f"{a}/{b}": {q: ratio(a, b, q) for q in ("p50", "p95", "p99")}
        for a, b in (
            ("trimline_cold", "mitmdump"),
            ("trimline_warm", "mitmdump"),
            ("trimline_cold", "litellm"),
            ("trimline_warm", "litellm"),
        )
    }
    for kind in ("cold", "warm"):
        values = [s[f"overhead_header_{kind}"] for s in samples]
        out[f"self_reported_{kind}"] = {
            "p50": round(pct(values, 0.5), 2),
            "p95": round(pct(values, 0.95), 2),
        }
    out["token_range"] = (
        [min(s["tokens"] for s in samples), max(s["tokens"] for s in samples)] if samples else []
    )
    return out


def throughput(cases: list[dict]) -> dict:
    """MB/s per kind and the slowest single block, from section 1's timings (best of N)."""
    kinds: dict[str, list[dict]] = {}
    for c in cases:
        kinds.setdefault(c["kind"], []).append(c)
    rows = []
    for kind, group in sorted(kinds.items()):
        nbytes = sum(c["bytes"] for c in group)
        seconds = sum(c["trimline"]["ms"] for c in group) / 1000
        rows.append(
            {
                "kind": kind,
                "cases": len(group),
                "mb": round(nbytes / 1e6, 3),
                "mb_per_s": round(nbytes / 1e6 / seconds, 2) if seconds else None,
                "max_ms": max(c["trimline"]["ms"] for c in group),
            }
        )
    slowest = max(cases, key=lambda c: c["trimline"]["ms"]) if cases else None
    return {
        "kinds": rows,
        "slowest": {
            "case": slowest["case"],
            "ms": slowest["trimline"]["ms"],
            "bytes": slowest["bytes"],
            "tokens": slowest["tokens_before"],
        }
        if slowest
        else None,
    }
