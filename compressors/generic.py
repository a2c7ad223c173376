"""The conservative fallback for text no family claims: repeats, blank runs,
overlong lines, and the middle of very long outputs."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from trimline.compressors.base import Context, Plan, _runs
from trimline.compressors.text import clean, problem_lines

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
# lines of one shape are equal without them, so only equal ones need ``_shape``.
_SHAPELESS = b"0123456789abcdef"
# What "numbers aside" sets aside: digit runs, and hex words that hold a digit (hashes,
# addresses). A word of letters a-f alone ("facade") is text, and counts.
_NUMBERS = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b|\d+")


# A location (``src/app.py:722:13``, ``line 88``): its numbers are what the line says, so a
# line that holds one is never folded as a repeat of its neighbour.
_WHERE = re.compile(r"[\w./\\-]\.\w{1,8}[:(]\d+|\bline \d+|:\d+:\d+")


def _shape(line: str) -> str:
    return _NUMBERS.sub("#", line)


REPEATS = "repeats of the line above, numbers aside"


def _describe(reasons: list[str], notes: list[str]) -> str:
    """A run's note: what its lines are. A run of several kinds is described by its main
    kind and counts the rest ("... and 2 more lines"). Every word true."""
    main = max(("later", "middle", "repeat", "long", "blank"), key=reasons.count)
    own = [t for r, t in zip(reasons, notes, strict=True) if r == main and t]
    if main == "repeat":
        desc = REPEATS if len(set(reasons)) == 1 else "repeated lines (numbers aside)"
    elif main in ("later", "long"):
        desc = own[0] if len(set(own)) == 1 else f"{len(own)} lines of later snippets"
    else:
        desc = {"blank": "blank lines", "middle": "middle of a long output"}[main]
    rest = len(reasons) - reasons.count(main)
    return f"{desc} and {rest} more line{'s' * (rest != 1)}" if rest else desc


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    keys = source.encode("utf-8", "surrogatepass").translate(None, _SHAPELESS).split(b"\n")
    keep: set[int] = set()
    # Why each dropped line goes: "blank", "repeat", "later", "long", "middle".
    reason: dict[int, str] = {}
    said: dict[int, str] = {}
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
                reason[i] = "blank"
            prev = -1
            continue
        blanks = 0
        if i in problems:
            keep.add(i)
            prev = -1
            continue
        if i in later:
            reason[i], said[i] = "later", later[i]
            prev = -1
            continue
        if len(line) > LONG_LINE:
            reason[i], said[i] = "long", f"a line of {len(line):,} characters"
            prev = -1
            continue
        if prev >= 0 and keys[i] == keys[prev] and _WHERE.search(line) is None:
            if prev_shape is None:
                prev_shape = _shape(lines[prev])
            if _shape(line) == prev_shape:
                reason[i] = "repeat"  # the same line as ``prev`` (kept), numbers aside
                continue
        prev_shape = None
        prev = i
        keep.add(i)
    if len(keep) > HEAD + TAIL:
        ordered = sorted(keep)
        middle = [i for i in ordered[HEAD:-TAIL] if i not in problems]
        keep.difference_update(middle)
        reason.update(dict.fromkeys(middle, "middle"))
    if len(keep) == len(lines):
        return None
    # One note per dropped run, describing all of its lines (a run that mixes kinds says
    # how many of each: "repeats of the line above" is only said of a run of repeats,
    # right below the line they repeat).
    notes: dict[int, str] = {}
    for first, end in _runs(keep, len(lines)):
        kinds = [reason.get(k, "blank") for k in range(first, end)]
        note = _describe(kinds, [said.get(k, "") for k in range(first, end)])
        if note == REPEATS and (first == 0 or first - 1 not in keep):
            note = f"{end - first} repeated lines (numbers aside)"
        notes[first] = note
    return Plan(KIND, keep, notes, source=source)
