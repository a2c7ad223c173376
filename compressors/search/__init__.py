"""Search hits: grep, rg, ag, ack and git grep output, Grep/Glob tool results,
files-with-matches and count listings, and ``find`` path lists.

Content results (``path:line:text``, with ``path-line-text`` context lines and
``--`` separators, rg's heading layout, single-file ``line:text``) are grouped
by file in input order. Every file keeps its first hits, so every path stays
visible; a file's remaining hits fold behind one marker naming the file and every
folded hit as grep spells it (``path:line:``), so each location stays in view. The
per-file cap scales with the number of files, so small results pass untouched.
Overlong lines (minified bundles) drop behind a marker naming their file.

Path lists (files-with-matches, Glob, find) and count listings are the answer
itself: every path is kept except the contents of large noise directories
(node_modules/, .git/, __pycache__/, ...), which fold into one marker per run,
and, in count listings, files with zero matches.

Kept lines are never merged or rewritten.

One module per part: see README.md in this folder.
"""

from __future__ import annotations

from trimline.compressors.base import Context, Plan, fold_runs
from trimline.compressors.search.claims import claims
from trimline.compressors.search.describe import _summary, _tool_hint
from trimline.compressors.search.hits import _cap_hits, _parse_heading, _parse_prefixed
from trimline.compressors.search.model import (
    _CTX,
    _DIAG,
    _HIT,
    BUDGET,
    LONG_LINE,
    MANY_FILES,
    MIN_PER_FILE,
    NOISE_MIN,
    SNIFF_LINES,
)
from trimline.compressors.search.paths import _fold_binary, _fold_paths, _noise_prefix
from trimline.compressors.search.shapes import _detect, _is_meta, _pathish
from trimline.compressors.shellcmd import targeted_dirs
from trimline.compressors.text import clean

KIND = "search"
# The limits and the hit pattern are read by tests.
__all__ = [
    "BUDGET",
    "KIND",
    "LONG_LINE",
    "MANY_FILES",
    "MIN_PER_FILE",
    "_HIT",
    "claims",
    "compress",
    "sniff",
]


def sniff(text: str, ctx: Context) -> bool:
    lines = text[: 200 * SNIFF_LINES].split("\n", SNIFF_LINES)[:SNIFF_LINES]
    sample = [ln.rstrip("\r") for ln in lines]
    sample = [ln for ln in sample if ln.strip() and ln != "--" and not _is_meta(ln)]
    if len(sample) < 5:
        return False
    hits = ctxs = diags = paths = noise = 0
    for line in sample:
        head = line[:512]
        m = _HIT.match(head)
        if m and _pathish(m.group(1)):
            hits += 1
            if _DIAG.match(head, m.end()):
                diags += 1
            continue
        m = _CTX.match(head)
        if m and _pathish(m.group(1)):
            ctxs += 1
        elif _pathish(line) and ("/" in line or "\\" in line):
            paths += 1
            if _noise_prefix(line):
                noise += 1
    if hits >= 3 and hits + ctxs >= 0.8 * len(sample) and diags <= 0.2 * hits:
        return True
    return len(sample) >= 20 and paths >= 0.9 * len(sample) and noise >= NOISE_MIN


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    meta = [_is_meta(line) for line in lines]
    mode = _detect(lines, meta)
    if mode is None:
        return None
    visible: set[str | None] = set()
    if mode in ("count", "paths"):
        # find node_modules: the listing the command asked for is never folded.
        spare = targeted_dirs(ctx.command, ctx.tool_input)
        labels = _fold_paths(lines, meta, mode == "count", spare)
    else:
        if mode == "heading":
            default = ctx.tool_input.get("path")
            entries = _parse_heading(lines, meta, default if isinstance(default, str) else None)
        else:
            entries = _parse_prefixed(lines, meta, mode == "numbered")
        labels, visible = _cap_hits(lines, entries)
    _fold_binary(lines, labels)
    keep = {i for i in range(len(lines)) if i not in labels}
    plan_source = source if source != text else None
    if not labels:
        # Recognised, and nothing to drop: keep it all (no generic fallback).
        return Plan(KIND, keep, source=plan_source)
    notes = fold_runs(
        lines,
        keep,
        lambda a, b: _summary([labels.get(k) for k in range(a, b)], visible),
        thrifty=False,
    )
    if ctx.command:
        # A shell search: the first marker says how to re-run it narrowed to its lines (the
        # renderer's way back for commands); the later ones already say where every hit is.
        return Plan(KIND, keep, notes, source=plan_source)
    return Plan(KIND, keep, notes, hint=_tool_hint(ctx, labels, mode), source=plan_source)
