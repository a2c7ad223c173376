"""Line-numbered read formats: runs of consecutively numbered lines."""

from __future__ import annotations

import re

from trimline.compressors.base import Context
from trimline.compressors.code.files import SWE_FILE, _path, _route

# "12\tline" (Claude Code), "    12→line" (older Claude Code), "    12\tline" (cat -n, nl -ba).
_NUMBERED = re.compile(r" *(\d{1,9})(?:\t|→)")
# "12:line" under SWE-agent's [File: ...] header (never sniffed alone: grep -n looks alike).
_COLON = re.compile(r"(\d{1,9}):")


def swe_window(lines: list[str]) -> bool:
    """SWE-agent's editor window: a ``[File: path (N lines total)]`` line first."""
    return bool(lines) and lines[0].startswith("[File: ") and SWE_FILE.match(lines[0]) is not None


def sniff(text: str, ctx: Context) -> bool:
    if _route(_path(ctx, text))[0] == "data":
        return False
    total = good = 0
    prev = None
    head = text.split("\n", 200)[:200]
    pattern = _COLON if swe_window(head) else _NUMBERED
    for line in head:
        if not line.strip():
            continue
        total += 1
        m = pattern.match(line)
        if m:
            n = int(m.group(1))
            if prev is None or n == prev + 1:
                good += 1
            prev = n
    return good >= 5 and good >= 0.9 * total


def _segments(lines: list[str]) -> list[tuple[int, int, int, list[int]]]:
    """Runs of consecutively numbered lines: (first index, last index, first number, cuts)."""
    pattern = _COLON if swe_window(lines) else _NUMBERED
    segs: list[tuple[int, int, int, list[int]]] = []
    start = -1
    first = prev = 0
    cuts: list[int] = []
    for i, line in enumerate(lines):
        m = pattern.match(line)
        n = int(m.group(1)) if m else -1
        if start >= 0 and m and n == prev + 1:
            prev = n
            cuts.append(m.end())
            continue
        if start >= 0:
            segs.append((start, i - 1, first, cuts))
            start = -1
        if m:
            start, first, prev, cuts = i, n, n, [m.end()]
    if start >= 0:
        segs.append((start, len(lines) - 1, first, cuts))
    return segs


def _plain_segment(lines: list[str], first: int = 1) -> list[tuple[int, int, int, list[int]]]:
    """An unnumbered print of a file (``cat``, ``sed -n 'A,Bp'``): its lines are file lines
    first, first + 1, ... after any Codex exec header (``Chunk ID: ...`` up to ``Output:``)."""
    start = 0
    if lines and lines[0].startswith(("Chunk ID:", "Wall time:", "Process exited")):
        start = next((i + 1 for i, line in enumerate(lines[:12]) if line == "Output:"), 0)
    end = len(lines) - 1
    if end >= start and lines[end] == "":
        end -= 1
    if end < start:
        return []
    return [(start, end, first, [0] * (end - start + 1))]
