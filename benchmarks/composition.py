"""What counting a call's composition costs the writer thread, turn by turn.

Replays one long Anthropic session built from the real tool outputs in ``fixtures/`` (each
fixture is one turn: the agent's tool call, then its output), and times
``metering.composition.complete`` on every request as the writer would run it. A turn
should cost in proportion to what is new in it, not to the whole history it re-sends.

    python -m benchmarks.composition [--turns N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import orjson
from trimline.addons.providers import anthropic
from trimline.compressors.tokens import count_tokens
from trimline.metering import composition
from trimline.metering.estimate import request_tokens
from trimline.metering.records import CallRecord

from fixtures.load import load_all


def session(turns: int) -> list[bytes]:
    """The request bodies of a session whose turn k adds fixture k's call and output."""
    fixtures = list(load_all())[:turns]
    messages: list[dict] = [{"role": "user", "content": "Look into the failing build."}]
    bodies = []
    for i, f in enumerate(fixtures):
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
                "content": [{"type": "tool_result", "tool_use_id": f"t{i}", "content": f.text}],
            }
        )
        bodies.append(orjson.dumps({"model": "claude-sonnet-4-5", "messages": messages}))
    return bodies


def run(turns: int) -> dict:
    count_tokens("warm up")
    bodies = session(turns)
    rows = []
    previous = 0
    for n, body in enumerate(bodies, 1):
        record = CallRecord(0.0, "anthropic", "messages", "bench", "m", False)
        record.composer = anthropic.composition
        record.request_json = body
        t0 = time.perf_counter()
        composition.complete(record)
        ms = (time.perf_counter() - t0) * 1000
        # What the writer already did per call before composition: the request's size.
        t0 = time.perf_counter()
        request_tokens(orjson.loads(body))
        size_ms = (time.perf_counter() - t0) * 1000
        rows.append(
            {
                "turn": n,
                "body_kb": len(body) / 1024,
                "new_kb": (len(body) - previous) / 1024,
                "ms": ms,
                "size_ms": size_ms,
            }
        )
        previous = len(body)
    # The last body again: every part is known, only parsing and hashing remain.
    record = CallRecord(0.0, "anthropic", "messages", "bench", "m", False)
    record.composer, record.request_json = anthropic.composition, bodies[-1]
    t0 = time.perf_counter()
    composition.complete(record)
    known_ms = (time.perf_counter() - t0) * 1000
    return {"rows": rows, "known_ms": known_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=80)
    args = parser.parse_args()
    result = run(args.turns)
    rows = result["rows"]
    print(f"{'turn':>5} {'body KB':>9} {'new KB':>8} {'ms':>8} {'size ms':>8}")
    for r in rows:
        if r["turn"] in (1, 2, 5, 10) or r["turn"] % 20 == 0 or r is rows[-1]:
            print(
                f"{r['turn']:>5} {r['body_kb']:>9.1f} {r['new_kb']:>8.1f} {r['ms']:>8.2f}"
                f" {r['size_ms']:>8.2f}"
            )
    per_new = [r["ms"] / r["new_kb"] for r in rows[1:] if r["new_kb"] > 4]
    print(f"turns: {len(rows)}; median ms per KB of new content: {statistics.median(per_new):.3f}")
    total, size = sum(r["ms"] for r in rows), sum(r["size_ms"] for r in rows)
    print(
        f"composition, whole session: {total:.0f} ms; the request-size estimate the writer"
        f" already makes: {size:.0f} ms"
    )
    print(
        f"the last body ({rows[-1]['body_kb']:.0f} KB) again, all of it counted before:"
        f" {result['known_ms']:.2f} ms (parsing and hashing)"
    )


if __name__ == "__main__":
    main()
