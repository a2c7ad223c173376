"""Lockfiles, minified and generated files: a few short lines and one note each run."""

from __future__ import annotations

import re

HEAD_LINES = 5  # a generated file keeps its short lines among the first few...
TAIL_LINES = 1  # ...and the last ones (a sourceMappingURL comment, a closing brace)
SHORT_LINE = 200  # characters: a line of a generated file short enough to keep
MAX_AVERAGE_LINE = 300  # characters; longer lines on average mean minified or generated text

_NPM_PACKAGE = re.compile(r'\s*"(?:[^"]*/)?node_modules/[^"]+": \{')
_NPM_VERSION = re.compile(r'\s*"version": "')
_GEM_SPEC = re.compile(r"    \S+ \(")
_COMPOSER_NAME = re.compile(r' {12}"name": "')
_SWIFT_PIN = re.compile(r'\s*"(?:identity|package)": "')


def _lock_packages(name: str, rows: list[str]) -> int:
    """How many packages the given lockfile lines pin (0 when unknown)."""
    if name == "composer.lock":
        return sum(1 for r in rows if _COMPOSER_NAME.match(r))
    if name == "package.resolved":
        return sum(1 for r in rows if _SWIFT_PIN.match(r))
    if name.endswith(".json"):
        count = sum(1 for r in rows if _NPM_PACKAGE.match(r))
        return count or sum(1 for r in rows if _NPM_VERSION.match(r))
    if name == "yarn.lock":
        return sum(
            1
            for r in rows
            if r[:1] not in ("", " ", "\t", "#", "\r")
            and r.rstrip().endswith(":")
            and not r.startswith("__metadata")
        )
    if name in ("pnpm-lock.yaml", "pubspec.lock"):
        count, section = 0, ""
        for r in rows:
            if r[:1] not in ("", " ", "\t", "#", "\r"):
                section = r.rstrip()
            elif section == "packages:" and r.startswith("  ") and r[2:3] not in (" ", "#"):
                count += r.rstrip().endswith(":")
        return count
    if name in ("go.sum",):
        mods = {tuple(r.split()[:2]) for r in rows if len(r.split()) == 3}
        return len({(m, v.removesuffix("/go.mod")) for m, v in mods})
    if name == "gemfile.lock":
        return sum(1 for r in rows if _GEM_SPEC.match(r))
    return sum(1 for r in rows if r.strip() == "[[package]]")


def _generated_runs(
    lines: list[str], seg: tuple[int, int, int, list[int]], last_row: int
) -> list[int]:
    """Indices of a generated file's lines to drop: all but short head and tail lines."""
    start, end, _, cuts = seg
    count = end - start + 1
    drop = []
    for r in range(min(count, last_row + 1)):
        edge = r < HEAD_LINES or r >= count - TAIL_LINES
        if edge and len(lines[start + r]) - cuts[r] <= SHORT_LINE:
            continue
        drop.append(start + r)
    return drop


def _generated_notes(
    lines: list[str], seg: tuple[int, int, int, list[int]], drop: list[int], mode: str, detail: str
) -> dict[int, str]:
    """One note per dropped run of a segment: what the lines are, and how much."""
    start, _, _, cuts = seg
    notes: dict[int, str] = {}
    packages = 0
    if mode == "lock":  # a lockfile is described whole: how many packages it pins
        packages = _lock_packages(detail, [lines[start + r][c:] for r, c in enumerate(cuts)])
    i = 0
    while i < len(drop):
        j = i
        while j + 1 < len(drop) and drop[j + 1] == drop[j] + 1:
            j += 1
        n = j - i + 1
        if mode == "lock":
            what = (
                f"lockfile: {packages:,} package{'s' * (packages != 1)}"
                if packages and not notes
                else f"lockfile: {n:,} line{'s' * (n != 1)}"
            )
        else:
            chars = sum(len(lines[k]) - cuts[k - start] for k in drop[i : j + 1])
            what = f"{detail}, {n:,} line{'s' * (n != 1)} of {chars:,} characters"
        notes[drop[i]] = what
        i = j + 1
    return notes


def _minified(
    segs: list[tuple[int, int, int, list[int]]], lines: list[str], chars: int, count: int
) -> bool:
    """Lines averaging over MAX_AVERAGE_LINE characters, with few spaces (not prose)."""
    if count == 0 or chars <= MAX_AVERAGE_LINE * count:
        return False
    spaces = 0
    for start, _end, _, cuts in segs:
        for r, c in enumerate(cuts):
            spaces += lines[start + r].count(" ", c)
    return spaces * 10 < chars
