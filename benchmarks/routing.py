"""Routing alone, over replayed sessions: ``python -m benchmarks.routing [--quick] [--json] [--live]``.

Every session (captured Claude Code and Codex runs, sessions constructed from real tool
outputs, SWE-agent runs — the same as ``benchmarks.sessions``) is replayed through two
real ``trimline serve`` processes in reverse mode: one compressing only, one compressing
and routing with the shipped rules (``--routing default``). Both compress, so the
difference is routing's. Each session in Claude Code's format also gets the title side
request Claude Code sends at the start of a session (AGENT-WIRE.md; constructed, marked).

Cost uses the prompt-cache model of ``benchmarks.sessions``, per model: a request reads
from the cache the longest run of leading segments an earlier request *to the same
model* in the session sent, and writes the rest — so a turn routed to a small model pays
to write the whole prefix, and the large model's cache is not refreshed by it. Output:
``OUTPUT_TOKENS`` per turn on either model. The fake upstream accepts every model, so
the fallback rate here only shows that nothing was refused; the tests prove fallbacks.

``--live`` (needs ANTHROPIC_API_KEY and/or OPENAI_API_KEY) sends each routed turn to
the model asked for and to the small one and reports how often they choose the same
tool with similar arguments; without a key it says it was skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import httpx
import orjson
from trimline.addons.routing.models import provider_of

from benchmarks.common import money, price, saved_pct, table
from benchmarks.sessions import (
    OUTPUT_TOKENS,
    FakeBoth,
    Request,
    Session,
    _Counter,
    _replay,
    captured,
    constructed,
    segments,
    swe_agent,
)
from fixtures.load import load_all
from tests.proxy import trimline_serve

QUICK = {"python-fix-tests", "explore-codebase"}


def _title_request(first: Request) -> Request | None:
    """Claude Code's title request for a session whose first request is ``first``."""
    body = orjson.loads(first.body)
    if "messages" not in body or not str(body.get("model", "")).startswith("claude"):
        return None
    prompt = next(
        (m["content"] for m in body["messages"] if m.get("role") == "user"), "Start the task."
    )
    title = {
        "model": body["model"],
        "max_tokens": 32000,
        "system": [{"type": "text", "text": "Summarize the user's request as a short title."}],
        "messages": [{"role": "user", "content": prompt}],
        "tools": [],
        "thinking": {"type": "disabled"},
        "output_config": {
            "format": {
                "type": "json_schema",
                "schema": {"type": "object", "properties": {"title": {"type": "string"}}},
            }
        },
        "stream": True,
    }
    return Request(first.path, dict(first.headers), orjson.dumps(title))


def load_sessions(quick: bool) -> list[Session]:
    caught, _ = captured()
    sessions = caught + constructed(list(load_all()), QUICK if quick else None)
    if not quick:
        sessions += swe_agent()
    for s in sessions:
        title = _title_request(s.requests[0])
        if title is not None:
            s.requests.insert(0, title)
    return sessions


def _provider(body: dict[str, Any]) -> str:
    return provider_of(str(body.get("model", ""))) or "anthropic"


def cost(bodies: list[bytes], count: _Counter) -> dict[str, Any]:
    """Per-model prompt-cache cost of one session's requests, as the fake received them."""
    earlier: dict[str, list[list[bytes]]] = {}
    out = {"usd": 0.0, "tokens": 0, "routed_tokens": 0, "models": {}}
    for body in bodies:
        data = orjson.loads(body)
        model = str(data.get("model", ""))
        segs = segments(body)
        tokens = [count(s) for s in segs]
        shared = 0
        for prev in earlier.setdefault(model, []):
            k = 0
            while k < min(len(prev), len(segs)) and prev[k] == segs[k]:
                k += 1
            shared = max(shared, k)
        earlier[model].append(segs)
        total, read = sum(tokens), sum(tokens[:shared])
        out["usd"] += price(
            _provider(data),
            model,
            total=total,
            cache_read=read,
            cache_write=total - read,
            output=OUTPUT_TOKENS,
        )
        out["tokens"] += total
        out["models"][model] = out["models"].get(model, 0) + 1
    return out


def run(sessions: list[Session], log) -> dict[str, Any]:
    count = _Counter()
    with FakeBoth() as fake, tempfile.TemporaryDirectory(prefix="bench-routing-") as tmp:
        client = httpx.Client(timeout=120)
        for name in ("plain", "routed"):
            (Path(tmp) / name).mkdir()
        with trimline_serve(Path(tmp) / "plain", upstream=fake.url) as proxy:
            log("replaying through trimline serve (compression only) ...")
            plain = _replay(fake, client, proxy.url, sessions)
        with trimline_serve(
            Path(tmp) / "routed", "--routing", "default", upstream=fake.url
        ) as proxy:
            log("replaying through trimline serve --routing default ...")
            routed = _replay(fake, client, proxy.url, sessions)
            totals = proxy.wait_for_requests(sum(len(s.requests) for s in sessions))["totals"]
        client.close()
    rows = []
    for s, p, r in zip(sessions, plain, routed, strict=True):
        without, with_ = cost(p, count), cost(r, count)
        n_routed = sum(
            1
            for a, b in zip(p, r, strict=True)
            if orjson.loads(a)["model"] != orjson.loads(b)["model"]
        )
        rows.append(
            {
                "session": s.name,
                "source": s.source,
                "turns": len(s.requests),
                "routed": n_routed,
                "without_usd": without["usd"],
                "with_usd": with_["usd"],
                "tokens_without": without["tokens"],
                "tokens_with": with_["tokens"],
                "models": with_["models"],
            }
        )
    return {
        "sessions": rows,
        "proxy": {k: totals[k] for k in ("routed_calls", "fallbacks", "routing_saved_usd")},
        "output_tokens_per_turn": OUTPUT_TOKENS,
        "_routed_bodies": routed,
    }


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: sum(r[k] for r in rows) for k in ("turns", "routed", "without_usd", "with_usd",
                                                  "tokens_without", "tokens_with")}  # fmt: skip
    out["routed_pct"] = round(100 * out["routed"] / out["turns"], 1) if out["turns"] else 0.0
    out["saved_pct"] = saved_pct(out["without_usd"], out["with_usd"])
    return out


# -- live agreement ---------------------------------------------------------


def _first_tool(provider: str, payload: dict[str, Any]) -> tuple[str, str]:
    if provider == "anthropic":
        for block in payload.get("content") or ():
            if block.get("type") == "tool_use":
                return block["name"], json.dumps(block.get("input"), sort_keys=True)
    else:
        for item in payload.get("output") or ():
            if item.get("type") == "function_call":
                return item["name"], str(item.get("arguments"))
    return "(text)", ""


def live(sessions: list[Session], routed: list[list[bytes]] | None, log) -> dict[str, Any]:
    """Same tool, similar arguments, on the turns routing sent to the small model."""
    keys = {
        "anthropic": os.environ.get("ANTHROPIC_API_KEY"),
        "openai": os.environ.get("OPENAI_API_KEY"),
    }
    if not any(keys.values()) or routed is None:
        return {"skipped": "no ANTHROPIC_API_KEY or OPENAI_API_KEY in the environment"}
    agree = total = 0
    client = httpx.Client(timeout=300)
    for s, bodies in zip(sessions, routed, strict=True):
        for req, sent in zip(s.requests, bodies, strict=True):
            original, small = orjson.loads(req.body), orjson.loads(sent)
            provider = _provider(original)
            if small.get("model") == original.get("model") or not keys[provider]:
                continue
            answers = []
            for body in (original, small):
                body = {**body, "stream": False}
                if provider == "anthropic":
                    r = client.post(
                        "https://api.anthropic.com/v1/messages",
                        json=body,
                        headers={"x-api-key": keys[provider], "anthropic-version": "2023-06-01"},
                    )
                else:
                    r = client.post(
                        "https://api.openai.com/v1/responses",
                        json=body,
                        headers={"authorization": f"Bearer {keys[provider]}"},
                    )
                answers.append(_first_tool(provider, r.json()) if r.status_code == 200 else None)
            if None in answers:
                continue
            (tool_a, args_a), (tool_b, args_b) = answers
            total += 1
            agree += tool_a == tool_b and SequenceMatcher(None, args_a, args_b).ratio() >= 0.6
    client.close()
    return {
        "turns": total,
        "agree": agree,
        "rate_pct": round(100 * agree / total, 1) if total else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.routing", description=__doc__)
    p.add_argument("--quick", action="store_true", help="captured and two constructed sessions")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--live", action="store_true", help="agreement check with real models")
    args = p.parse_args(argv)
    t0 = time.monotonic()

    def log(message: str) -> None:
        print(f"[routing {time.monotonic() - t0:5.1f}s] {message}", file=sys.stderr, flush=True)

    sessions = load_sessions(args.quick)
    log(f"{len(sessions)} sessions, {sum(len(s.requests) for s in sessions)} requests")
    result = run(sessions, log)
    routed = result.pop("_routed_bodies")
    result["live"] = live(sessions, routed, log) if args.live else {"skipped": "not asked (--live)"}
    rows = result["sessions"]
    sources = sorted({r["source"] for r in rows})
    result["totals"] = _sum(rows)
    result["by_source"] = {src: _sum([r for r in rows if r["source"] == src]) for src in sources}
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    lines = [
        (
            src,
            t["turns"],
            f"{t['routed']} ({t['routed_pct']}%)",
            money(t["without_usd"]),
            money(t["with_usd"]),
            f"{t['saved_pct']}%",
            t["tokens_without"] - t["tokens_with"],
        )
        for src, t in [*result["by_source"].items(), ("all", result["totals"])]
    ]
    print(
        table(
            [
                "sessions",
                "calls",
                "routed",
                "cost, no routing",
                "cost, routing",
                "saved",
                "tokens saved",
            ],
            lines,
        )
    )
    px = result["proxy"]
    rate = 100 * px["fallbacks"] / px["routed_calls"] if px["routed_calls"] else 0.0
    print(
        f"\nproxy /stats: routed_calls {px['routed_calls']}, fallbacks {px['fallbacks']} "
        f"({rate:.1f}% of routed), routing_saved_usd {px['routing_saved_usd']:.4f} "
        "(from the fake's fixed usage, not the replayed sizes)"
    )
    print(f"live agreement check: {result['live']}")
    print(
        "\nCost: prompt-cache model per model (a routed turn writes its own cache), "
        f"{OUTPUT_TOKENS} output tokens per turn; both columns compress. Title requests: one "
        "per Claude Code-format session, constructed as AGENT-WIRE.md describes."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
