"""The conservative fallback for text no family claims: repeats, blank runs,
overlong lines, and the middle of very long outputs."""

from __future__ import annotations

from compressors.base import Context, Plan
from compressors.text import clean, is_problem, mask

KIND = "generic"
HEAD = 60
TAIL = 40
LONG_LINE = 2000
BLANK_RUN = 2


def claims(ctx: Context) -> bool:
    return False


def sniff(text: str, ctx: Context) -> bool:
    return True


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    keep: set[int] = set()
    notes: dict[int, str] = {}
    problems: set[int] = set()
    prev_shape: str | None = None
    blanks = 0
    for i, line in enumerate(lines):
        if not line.strip():
            blanks += 1
            if blanks <= BLANK_RUN:
                keep.add(i)
            else:
                notes.setdefault(i, "blank lines")
            prev_shape = None
            continue
        blanks = 0
        if is_problem(line) and len(line) <= LONG_LINE:
            problems.add(i)
            keep.add(i)
            prev_shape = None
            continue
        if len(line) > LONG_LINE:
            notes[i] = f"a line of {len(line):,} characters"
            prev_shape = None
            continue
        shape = mask(line)
        if shape == prev_shape:
            notes.setdefault(i, "repeats of the line above, numbers aside")
            continue
        prev_shape = shape
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
