"""How far the request path's token estimate is from cl100k: ``python -m benchmarks.estimate_error``.

The proxy sizes calls with ``estimate_json`` (byte classes, some 2 ms per MB) and decides
"is this smaller" with ``estimate_tokens``; exact cl100k counts are made once, by the
metering writer, for each block decided. This measures the estimate's error against
cl100k on: every fixture's text (tool outputs as the compressors see them), the JSON of
every conversation element of the recorded sessions and of the load benchmark's
sessions (as the call figures see them), and whole bodies (the sum over a call).
Printed per set: the signed error of the median, the 10th and 90th percentiles, and the
worst, as a share of the exact count.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from trimline.addons.providers import splice
from trimline.compressors.tokens import count_tokens, estimate_json, estimate_tokens

from benchmarks.common import pct
from benchmarks.load import session_bodies
from fixtures.load import load_all

SESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "sessions"


def _bodies() -> list[bytes]:
    out = []
    for path in sorted(SESSIONS.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            body = orjson.loads(line)["body"]
            out.append(body.encode() if isinstance(body, str) else orjson.dumps(body))
    for s in range(8):
        out.append(session_bodies(s, 20, 8_000)[-1])
    return out


def _elements(raw: bytes) -> list[bytes]:
    start = None
    pos = splice.first_member(raw)
    while pos is not None:
        name, vs = splice.member_at(raw, pos)
        ve = splice.value_end(raw, vs)
        if name in ("messages", "input") and raw[vs] == 0x5B:
            start = vs
            break
        pos = splice.after_member(raw, ve)
    if start is None:
        return []
    return [raw[s:e] for s, e in splice.elements(raw, start)]


def _summary(pairs: list[tuple[float, int]]) -> dict:
    errors = [(est - exact) / exact for est, exact in pairs if exact >= 20]
    worst = max(errors, key=abs) if errors else 0.0
    within = sum(1 for e in errors if abs(e) <= 0.2) / max(1, len(errors))
    return {
        "n": len(errors),
        "p10": pct(errors, 0.1),
        "median": pct(errors, 0.5),
        "p90": pct(errors, 0.9),
        "worst": worst,
        "within_20pct": within,
    }


def run() -> dict:
    texts = [(float(estimate_tokens(f.text)), count_tokens(f.text)) for f in load_all()]
    bodies = _bodies()
    elements = [
        (estimate_json(e), count_tokens(e.decode("utf-8", "replace")))
        for raw in bodies
        for e in _elements(raw)
    ]
    whole = [(estimate_json(raw), count_tokens(raw.decode("utf-8", "replace"))) for raw in bodies]
    return {
        "tool outputs (estimate_tokens)": _summary(texts),
        "conversation elements (estimate_json)": _summary(elements),
        "whole bodies (estimate_json)": _summary(whole),
    }


def main() -> int:
    for name, s in run().items():
        print(
            f"{name:40} n={s['n']:4}  p10 {s['p10']:+.0%}  median {s['median']:+.0%}  "
            f"p90 {s['p90']:+.0%}  worst {s['worst']:+.0%}  within 20%: {s['within_20pct']:.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
