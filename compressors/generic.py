"""The conservative fallback for text no family claims: repeats, blank runs,
overlong lines, and the middle of very long outputs."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from trimline.compressors.base import Context, Plan
from trimline.compressors.text import clean, mask, problem_lines

KIND = "generic"
HEAD = 60
TAIL = 40
LONG_LINE = 2000
BLANK_RUN = 2


def claims(ctx: Context) -> bool:
    return False


def sniff(text: str, ctx: Context) -> bool:
    return True


# A diagnostic's location under its header (rustc, ruff, miette styles): the header and the
# location are what an agent acts on, so they outlive the cut of a long output.
_LOCATION = re.compile(r"\s*(?:-->|,-->|[╭┌]─+\[?)\s*\S+:\d+(?::\d+)?\]?\s*$")


def _located(lines: list[str], text: str) -> tuple[set[int], dict[int, str]]:
    """Located diagnostics: header and location lines, which stay, and {line: note} for
    the source snippets of all but the first diagnostic of each code, which go."""
    hits: set[int] = set()
    for needle in ("-->", "─"):
        pos = text.find(needle)
        if pos < 0:
            continue
        starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
        while pos >= 0:
            k = bisect_right(starts, pos) - 1
            hits.add(k)
            pos = text.find(needle, starts[k + 1]) if k + 1 < len(lines) else -1
    heads: set[int] = set()
    later: dict[int, str] = {}
    codes: set[str] = set()
    n = len(lines)
    for i in sorted(hits):
        if not _LOCATION.match(lines[i]):
            continue
        heads.add(i)
        header = lines[i - 1] if i > 0 else ""
        if header.strip():
            heads.add(i - 1)
        end = i + 1
        while end < n and end - i <= 400 and lines[end].strip():
            end += 1
        code = header.split(" ", 1)[0].rstrip(":")
        if code not in codes:
            codes.add(code)
        elif end > i + 1:
            later.update(
                dict.fromkeys(range(i + 1, end), f"snippet and help of another {code[:40]}")
            )
    return heads, later


# Bytes a line's shape ignores (digits and hex), deleted to compare lines cheaply: two
# lines of one shape are equal without them, so only equal ones need ``mask``.
_SHAPELESS = b"0123456789abcdef"


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    keys = source.encode("utf-8", "surrogatepass").translate(None, _SHAPELESS).split(b"\n")
    keep: set[int] = set()
    notes: dict[int, str] = {}
    problems = {i for i in problem_lines(lines) if len(lines[i]) <= LONG_LINE}
    heads, later = _located(lines, source)
    problems |= {i for i in heads if len(lines[i]) <= LONG_LINE}
    prev_shape: str | None = None
    prev = -1
    blanks = 0
    for i, line in enumerate(lines):
        if not line.strip():
            blanks += 1
            if blanks <= BLANK_RUN:
                keep.add(i)
            else:
                notes.setdefault(i, "blank lines")
            prev = -1
            continue
        blanks = 0
        if i in problems:
            keep.add(i)
            prev = -1
            continue
        if i in later:
            notes.setdefault(i, later[i])
            prev = -1
            continue
        if len(line) > LONG_LINE:
            notes[i] = f"a line of {len(line):,} characters"
            prev = -1
            continue
        if prev >= 0 and keys[i] == keys[prev]:
            if prev_shape is None:
                prev_shape = mask(lines[prev])
            shape = mask(line)
            if shape == prev_shape:
                notes.setdefault(i, "repeats of the line above, numbers aside")
                continue
            prev_shape = shape
        else:
            prev_shape = None
        prev = i
        keep.add(i)
    if len(keep) > HEAD + TAIL:
        ordered = sorted(keep)
        middle = [i for i in ordered[HEAD:-TAIL] if i not in problems]
        if middle:
            keep.difference_update(middle)
            notes[middle[0]] = "middle of a long output"
    if len(keep) == len(lines):
        return None
    return Plan(KIND, keep, notes, source=source)
