"""Generalisation: Trimline beside its peers on the corpus of real tool output that nobody
tuned for: ``python -m benchmarks.generalise [--half heldout|tune] [--json] [--skip-peers]``.

Reports, for one half of ``fixtures/corpus`` (default: the held-out half), per family and
overall: must-keep facts kept (a fact is a literal string from an independent oracle) and
tokens saved on outputs of 500 tokens or more, for Trimline, headroom and rtk on the same
cases in the same run; then issue 17's families on their own. The held-out half is
reported in aggregate only: ``--cases`` lists cases of the tune half alone.

Trimline runs as ``trimline compress`` and the proxy do by default: originals not kept.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
from trimline.compressors import compress
from trimline.compressors.tokens import count_tokens

from benchmarks.common import ROOT, saved_pct, table
from benchmarks.corpus.load import HALVES, ISSUE17_GROUPS, Case, load
from benchmarks.peers import run_peers
from fixtures.load import Fixture

LARGE = 500  # tokens: the size where compression matters
SIDES = ("trimline", "headroom", "rtk")


def _fixture(case: Case, text: str) -> Fixture:
    """The peers' harness takes fixtures: the same case under that shape."""
    kind, name = case.id.split("/", 1)
    return Fixture(
        kind, name, text, case.tool, case.tool_input, case.is_error, case.facts, case.source
    )


def measure(
    half: str,
    *,
    peer_dir: Path,
    skip_peers: bool,
    install_peers: bool,
    log: Callable[[str], None],
    sample: int = 1,
) -> dict:
    """The figures for one half; ``sample`` > 1 takes every n-th case (quick runs only)."""
    cases = list(load(half))[::sample]
    texts = {c.id: c.text for c in cases}
    rows = []
    for c in cases:
        text = texts[c.id]
        result = compress(text, c.context())
        before = count_tokens(text)
        out = result.text if result.changed else text
        rows.append(
            {
                "case": c.id,
                "family": c.family,
                "package": c.package,
                "tokens_before": before,
                "facts": len(c.facts),
                "sides": {
                    "trimline": {
                        "tokens_after": count_tokens(out) if result.changed else before,
                        "facts_kept": sum(1 for f in c.facts if f in out),
                        "compressor": result.kind,
                    }
                },
            }
        )
    peers = run_peers(
        [_fixture(c, texts[c.id]) for c in cases],
        peer_dir,
        skip=skip_peers,
        install=install_peers,
        log=log,
    )
    peer_info = []
    for peer in peers:
        if peer.name not in SIDES:
            continue
        peer_info.append(
            {
                "name": peer.name,
                "available": peer.available,
                "reason": peer.reason,
                "version": peer.version,
            }
        )
        if not peer.available:
            continue
        by_id = {c.id: c for c in cases}
        for row in rows:
            got = peer.outputs.get(row["case"])
            if got is None:
                continue
            facts = by_id[row["case"]].facts
            row["sides"][peer.name] = {
                "tokens_after": count_tokens(got.text),
                "facts_kept": sum(1 for f in facts if f in got.text),
            }
    families = sorted({r["family"] for r in rows})
    groups = {f: [r for r in rows if r["family"] == f] for f in families}
    groups["all"] = rows
    issue17 = {
        name: [r for r in rows if r["family"] in fams] for name, fams in ISSUE17_GROUPS.items()
    }
    return {
        "half": half,
        "sample": sample,
        "cases": len(rows),
        "packages": len({r["package"] for r in rows}),
        "families": {name: _aggregate(g) for name, g in groups.items()},
        "issue17": {name: _aggregate(g) for name, g in issue17.items()},
        "peers": peer_info,
        "per_case": rows if half == "tune" else [],
    }


def _aggregate(group: list[dict]) -> dict:
    large = [r for r in group if r["tokens_before"] >= LARGE]
    out: dict = {
        "cases": len(group),
        "cases_large": len(large),
        "facts": sum(r["facts"] for r in group),
    }
    for side in SIDES:
        if not group or not all(side in r["sides"] for r in group):
            continue
        kept = sum(r["sides"][side]["facts_kept"] for r in group)
        before = sum(r["tokens_before"] for r in large)
        after = sum(r["sides"][side]["tokens_after"] for r in large)
        out[side] = {
            "facts_kept": kept,
            "facts_kept_pct": round(100 * kept / out["facts"], 2) if out["facts"] else 100.0,
            "tokens_before_large": before,
            "tokens_after_large": after,
            "saved_large_pct": saved_pct(before, after),
        }
    return out


def _cells(row: dict) -> list[str]:
    cells = []
    for side in SIDES:
        s = row.get(side)
        cells.append(f"{s['facts_kept_pct']}%" if s else "—")
    for side in SIDES:
        s = row.get(side)
        cells.append(f"{s['saved_large_pct']}%" if s and row["cases_large"] else "—")
    return cells


def markdown(data: dict) -> str:
    head = [
        "family",
        "cases",
        "≥500 tok",
        "facts",
        *(f"facts kept: {s}" for s in SIDES),
        *(f"saved ≥500 tok: {s}" for s in SIDES),
    ]
    rows = [
        [name, r["cases"], r["cases_large"], r["facts"], *_cells(r)]
        for name, r in data["families"].items()
    ]
    sampled = f" (every {data['sample']}th case: a quick run)" if data.get("sample", 1) > 1 else ""
    out = [
        f"Generalisation corpus, {data['half']} half: {data['cases']} outputs from {data['packages']} packages{sampled}.",
        "",
        table(head, rows, "lrrr" + "r" * 6),
        "",
        "Issue 17's families:",
        "",
        table(
            head,
            [
                [name, r["cases"], r["cases_large"], r["facts"], *_cells(r)]
                for name, r in data["issue17"].items()
            ],
            "lrrr" + "r" * 6,
        ),
    ]
    missing = [f"{p['name']}: {p['reason']}" for p in data["peers"] if not p["available"]]
    if missing:
        out += ["", "Peers not run: " + "; ".join(missing)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.generalise", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--half", choices=HALVES, default="heldout")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--cases", action="store_true", help="list every case (tune half only)")
    p.add_argument("--skip-peers", action="store_true")
    p.add_argument("--no-install", action="store_true", help="run only peers already installed")
    p.add_argument("--peer-dir", type=Path, default=ROOT / "bench-report" / ".peer-venv")
    args = p.parse_args(argv)
    if args.cases and args.half != "tune":
        p.error("--cases lists the tune half only: the held-out half is reported in aggregate")

    def log(message: str) -> None:
        print(f"[generalise] {message}", file=sys.stderr, flush=True)

    data = measure(
        args.half,
        peer_dir=args.peer_dir,
        skip_peers=args.skip_peers,
        install_peers=not args.no_install,
        log=log,
    )
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    print(markdown(data))
    if args.cases:
        print()
        for r in data["per_case"]:
            t = r["sides"]["trimline"]
            print(
                f"{r['case']:<70} {t['compressor']:<10} {r['tokens_before']:>7,} -> {t['tokens_after']:>7,}  facts {t['facts_kept']}/{r['facts']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
