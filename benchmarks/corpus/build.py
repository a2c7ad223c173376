"""Builds the generalisation corpus: ``python -m benchmarks.corpus.build [--only FAMILIES]``.

Fetches pinned sdists and npm packages (PyPI and npm only), installs the tools into a
work folder (default ``.corpus-work/``, never committed), runs every generator and writes
``fixtures/corpus/index.json`` with the gzipped outputs beside it. CI never runs this: the
corpus is committed, and a rebuild is only needed to grow or refresh it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks.corpus import installs, lint, listing, reads, search, taperuns, testruns, vcs
from benchmarks.corpus.load import ROOT
from benchmarks.corpus.sources import log, prepare
from benchmarks.corpus.store import Writer

# Generator name -> (module, the families it writes). Order matters: installs make the
# npm projects that listing and search look into.
GENERATORS = {
    "installs": (installs, {"install", "json"}),
    "reads": (reads, {"read"}),
    "search": (search, {"search", "search_big"}),
    "listing": (listing, {"listing"}),
    "testruns": (testruns, {"test_run"}),
    "taperuns": (taperuns, {"test_run_js"}),
    "lint": (lint, {"lint"}),
    "vcs": (vcs, {"git_log", "git_show", "git_diff", "git_diff_large", "git_blame"}),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.corpus.build", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--work", type=Path, default=ROOT / ".corpus-work", help="work folder (kept between runs)"
    )
    p.add_argument(
        "--only",
        default=",".join(GENERATORS),
        help=f"comma-separated subset of {','.join(GENERATORS)}",
    )
    p.add_argument(
        "--cached-only",
        action="store_true",
        help="test runs: replay those kept in the work folder, start no new one",
    )
    p.add_argument("--packages", help="test runs: only these packages (comma-separated)")
    args = p.parse_args(argv)
    wanted = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(wanted) - set(GENERATORS)
    if unknown:
        p.error(f"unknown generators: {', '.join(sorted(unknown))}")
    work = prepare(args.work)
    out = Writer()
    for name in GENERATORS:
        if name not in wanted:
            continue
        module, families = GENERATORS[name]
        out.forget(families)
        t0 = time.monotonic()
        if module is testruns:
            only = {x.strip() for x in args.packages.split(",")} if args.packages else None
            testruns.build(work, out, cached_only=args.cached_only, only=only)
        else:
            module.build(work, out)
        log(f"{name}: done in {time.monotonic() - t0:.0f} s")
    index = out.save()
    log(
        f"{len(out.cases)} cases in {index}; {out.dropped_facts} oracle facts not printed literally were dropped"
    )
    for note in out.skipped:
        log(f"skipped {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
