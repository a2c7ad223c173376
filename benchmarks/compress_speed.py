"""Compressor speed on 1 MB inputs: ``python -m benchmarks.compress_speed [--json] [--mb 1]``.

The law: a compressor takes well under 50 ms on a 1 MB input. Each fixture is grown
to about 1 MB the way its tool would print more of the same (a longer file read
numbered on, a JSON array of the document, more log, more hits), then compressed
through the registry, best of three. A row per family: inputs, MB, median and worst
ms per MB. The figures are CPU time of this process (the compressors are single-threaded
and do no I/O), so other load on the machine disturbs them less than it would wall time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time

import orjson
from trimline.compressors import compress

from fixtures.load import Fixture, load_all

_NUMBERED = re.compile(r"( *)(\d{1,9})(\t|→)")


def _grow_numbered(text: str, size: int) -> str | None:
    """A file read of the same lines again and again, numbered on."""
    lines = text.split("\n")
    rows = [(i, m) for i, line in enumerate(lines) if (m := _NUMBERED.match(line))]
    if len(rows) < len(lines) // 2:
        return None
    first, last = rows[0][0], rows[-1][0]
    head, body, tail = lines[:first], lines[first : last + 1], lines[last + 1 :]
    out = list(head)
    n = int(rows[0][1].group(2))
    total = sum(len(x) + 1 for x in out)
    while total < size:
        for line in body:
            m = _NUMBERED.match(line)
            if m:
                width = len(m.group(1)) + len(m.group(2))
                num = str(n).rjust(width) if m.group(1) else str(n)
                line = num + m.group(3) + line[m.end() :]
                n += 1
            out.append(line)
            total += len(line) + 1
    return "\n".join(out + tail)


def grow(f: Fixture, size: int) -> str:
    """The fixture's output grown to at least ``size`` characters, still well formed."""
    text = f.text
    numbered = _grow_numbered(text, size)
    if numbered is not None:
        return numbered
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        doc = None
    if doc is not None and text.lstrip()[:1] in "[{":
        copies = size // max(1, len(text)) + 1
        return orjson.dumps([doc] * copies, option=orjson.OPT_INDENT_2).decode()
    copies = size // max(1, len(text)) + 1
    return "\n".join([text.rstrip("\n")] * copies) + "\n"


def measure(size: int = 1_000_000, repeat: int = 3) -> list[dict[str, object]]:
    by_kind: dict[str, list[tuple[str, float, int]]] = {}
    for f in load_all():
        text = grow(f, size)
        best = float("inf")
        for _ in range(repeat):
            t0 = time.process_time()
            compress(text, f.context)
            best = min(best, time.process_time() - t0)
        nbytes = len(text.encode())
        by_kind.setdefault(f.kind, []).append((f.name, best * 1000 / (nbytes / 1e6), nbytes))
    rows = []
    for kind, cases in sorted(by_kind.items()):
        worst = max(cases, key=lambda c: c[1])
        rows.append(
            {
                "kind": kind,
                "inputs": len(cases),
                "mb": round(sum(c[2] for c in cases) / 1e6, 1),
                "median_ms_per_mb": round(statistics.median(c[1] for c in cases), 1),
                "worst_ms_per_mb": round(worst[1], 1),
                "worst_case": worst[0],
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--json", action="store_true")
    p.add_argument("--mb", type=float, default=1.0, help="size of each grown input")
    args = p.parse_args(argv)
    rows = measure(int(args.mb * 1_000_000))
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(rows) + b"\n")
        return 0
    print("| family | inputs | MB | median ms per MB | worst ms per MB | worst input |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['kind']} | {r['inputs']} | {r['mb']} | {r['median_ms_per_mb']} "
            f"| {r['worst_ms_per_mb']} | {r['worst_case']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
