"""Directory listings: ``ls`` (-l, -a, -R, -1), ``tree``, ``du``, ``exa``/``eza``,
and Claude Code's ``LS`` tool (an indented tree of ``- name`` bullets).

A listing is the answer itself, so every entry line is kept byte-exact (an
``ls -l`` line is kept or dropped whole, never rewritten), with two exceptions:

- the contents of noise directories (node_modules/, .git/, __pycache__/, .venv/,
  dist/, build/, ...) fold behind one marker per directory, which says how many
  entries it hides; the noise directory's own line stays. Only what lies below
  the listing's root counts: ``ls -la node_modules`` lists what was asked for.
- a single directory with very many entries keeps its first ``HEAD`` and last
  ``TAIL`` entries (and its subdirectories, when there are few); the middle
  folds behind a marker that counts the dropped entries by extension.

Headers (``total N``, ``dir:``), tree's ``N directories, M files`` summary,
error lines and anything else that is not an entry are always kept.

``find`` output is a path list and belongs to the search family.
"""

from __future__ import annotations

from itertools import pairwise

from trimline.compressors.base import Context, Plan, fold_runs
from trimline.compressors.listing.fold import HEAD, TAIL, _labels, _ls_tool_hint, _summary
from trimline.compressors.listing.parse import (
    _DU,
    _LS_ITEM,
    _SNIFF_LONG,
    _TOTAL,
    _TREE,
    _detect,
    _is_meta,
    _parse_du,
    _parse_indented,
    _parse_ls,
)
from trimline.compressors.shellcmd import first_program, targeted_dirs
from trimline.compressors.text import clean

__all__ = ["HEAD", "KIND", "TAIL", "claims", "compress", "sniff"]

KIND = "listing"
SNIFF_LINES = 200

_LISTING_TOOLS = frozenset({"ls", "list_directory", "list_dir", "listdir"})
_PROGRAMS = frozenset({"ls", "tree", "du", "exa", "eza", "lsd", "dir", "vdir"})
_NAME_PROGRAMS = frozenset({"ls", "exa", "eza", "lsd", "dir", "vdir"})


# --------------------------------------------------------------------------- claims


def _program(ctx: Context) -> str:
    found = first_program(ctx.command)
    return found[0] if found else ""


def claims(ctx: Context) -> bool:
    if ctx.tool.strip().lower() in _LISTING_TOOLS:
        return True
    return _program(ctx) in _PROGRAMS


# --------------------------------------------------------------------------- entry points


def sniff(text: str, ctx: Context) -> bool:
    lines = text[: 300 * SNIFF_LINES].split("\n", SNIFF_LINES)[:SNIFF_LINES]
    sample = [ln.rstrip("\r") for ln in lines]
    sample = [ln for ln in sample if ln.strip() and not _is_meta(ln)]
    if len(sample) < 5:
        return False
    longs = sum(1 for ln in sample if _SNIFF_LONG.match(ln))
    if _TOTAL.match(sample[0]) and _SNIFF_LONG.match(sample[1]):
        return True
    headers = sum(1 for ln in sample if _TOTAL.match(ln) or (ln.endswith(":") and "/" in ln))
    if longs >= 5 and longs + headers >= 0.8 * len(sample):
        return True
    trees = sum(1 for ln in sample if _TREE.match(ln))
    if trees >= 5 and trees >= 0.7 * len(sample):
        return True
    if sample[0].startswith("- /"):
        items = sum(1 for ln in sample if _LS_ITEM.match(ln))
        if items >= 0.8 * len(sample):
            return True
    du = [m for m in map(_DU.match, sample) if m]
    if len(du) >= 0.9 * len(sample):
        sizes = [m.group(1) for m in du]
        if all(x.isdecimal() and len(x) < 20 for x in sizes):
            steps = sum(1 for a, b in pairwise(sizes) if int(b) == int(a) + 1)
            if steps >= 0.5 * len(sizes):
                return False  # numbered lines (a Read result), not sizes
        paths = [m.group(2) for m in du]
        plain = sum(1 for p in paths if p and " " not in p and "<" not in p)
        pathish = sum(1 for p in paths if "/" in p or p == ".")
        return plain >= 0.8 * len(paths) and pathish >= 0.5 * len(paths)
    return False


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    mode = _detect(lines)
    if mode is None and (_program(ctx) in _NAME_PROGRAMS):
        mode = "names"
    if mode is None:
        return None
    # What the command names (ls node_modules, tree dist) is the answer, never noise.
    spare = targeted_dirs(ctx.command, ctx.tool_input)
    if mode in ("long", "names"):
        items, roots, labels = _parse_ls(lines, mode == "long", spare)
        labels = _labels(items, roots, labels, noise=False, spare=spare)
    elif mode in ("tree", "lstool"):
        items, roots, labels = _parse_indented(lines, tree=mode == "tree", spare=spare)
        labels = _labels(items, roots, labels, noise=False, spare=spare)
    else:
        items, roots, labels = _parse_du(lines)
        labels = _labels(items, roots, labels, noise=True, spare=spare)
    keep = {i for i in range(len(lines)) if i not in labels}
    plan_source = source if source != text else None
    if not labels:
        # Recognised, and nothing to drop: keep it all (no generic fallback).
        return Plan(KIND, keep, source=plan_source)
    notes = fold_runs(
        lines, keep, lambda a, b: _summary([labels[k] for k in range(a, b) if k in labels])
    )
    if len(keep) == len(lines):
        return Plan(KIND, keep, source=plan_source)
    hint = _ls_tool_hint(ctx, roots, labels) if mode == "lstool" and not ctx.command else None
    return Plan(KIND, keep, notes, hint=hint, source=plan_source)
