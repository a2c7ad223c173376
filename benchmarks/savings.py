"""Savings over the fixture set, per compressor kind: ``python -m benchmarks.savings [--json]``.

Columns: cases; tokens before and after (cl100k_base, counted exactly after the
timed run); % saved; must-keep facts kept; compressor time in milliseconds per MB
of input (fixtures are 0.3–220 KB; ``benchmarks.compress_speed`` times 1 MB inputs). A last row covers only
outputs of 500 tokens or more, the size where compression matters.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

import orjson
from trimline.compressors import compress
from trimline.compressors.tokens import count_tokens

from fixtures.load import Fixture, load_all


@dataclass
class Row:
    kind: str
    cases: int = 0
    before: int = 0
    after: int = 0
    facts: int = 0
    kept: int = 0
    seconds: float = 0.0
    nbytes: int = 0

    def add(
        self, before: int, after: int, facts: int, kept: int, seconds: float, nbytes: int
    ) -> None:
        self.cases += 1
        self.before += before
        self.after += after
        self.facts += facts
        self.kept += kept
        self.seconds += seconds
        self.nbytes += nbytes

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "cases": self.cases,
            "tokens_before": self.before,
            "tokens_after": self.after,
            "saved_pct": round(100 * (1 - self.after / self.before), 1) if self.before else 0.0,
            "facts_kept": f"{self.kept}/{self.facts}",
            "ms_per_mb": round(self.seconds * 1000 / (self.nbytes / 1e6), 1)
            if self.nbytes
            else 0.0,
        }


def measure(fixtures: list[Fixture], repeat: int = 3) -> tuple[list[Row], list[dict[str, object]]]:
    rows: dict[str, Row] = defaultdict(lambda: Row(""))
    per_case = []
    total, large = Row("all"), Row("all >= 500 tokens")
    for f in fixtures:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = compress(f.text, f.context)
            best = min(best, time.perf_counter() - t0)
        kept = sum(1 for fact in f.facts if fact in result.text)
        before = count_tokens(f.text)
        after = count_tokens(result.text) if result.changed else before
        args = (
            before,
            after,
            len(f.facts),
            kept,
            best,
            len(f.text.encode()),
        )
        row = rows[f.kind]
        row.kind = f.kind
        for r in (row, total) + ((large,) if before >= 500 else ()):
            r.add(*args)
        per_case.append(
            {
                "case": f.id,
                "kind": f.kind,
                "compressor": result.kind,
                "tokens_before": before,
                "tokens_after": after,
                "facts_kept": f"{kept}/{len(f.facts)}",
                "ms": round(best * 1000, 3),
                "bytes": len(f.text.encode()),
            }
        )
    return [*sorted(rows.values(), key=lambda r: r.kind), total, large], per_case


def markdown(rows: list[Row]) -> str:
    header = "| kind | cases | tokens before | tokens after | saved | facts kept | ms per MB |"
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        d = r.as_dict()
        lines.append(
            f"| {d['kind']} | {d['cases']} | {d['tokens_before']:,} | {d['tokens_after']:,} "
            f"| {d['saved_pct']}% | {d['facts_kept']} | {d['ms_per_mb']:,} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--json", action="store_true")
    p.add_argument("--cases", action="store_true", help="also list every case")
    args = p.parse_args(argv)
    rows, per_case = measure(list(load_all()))
    if args.json:
        sys.stdout.buffer.write(
            orjson.dumps({"kinds": [r.as_dict() for r in rows], "cases": per_case}) + b"\n"
        )
        return 0
    print(markdown(rows))
    if args.cases:
        print()
        for c in per_case:
            print(
                f"{c['case']:<45} {c['compressor']:<8} {c['tokens_before']:>7,} -> {c['tokens_after']:>7,}  facts {c['facts_kept']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
