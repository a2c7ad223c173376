"""The rows of a tool result: a Read's numbered lines or a shell's output, without wrapper lines."""

from __future__ import annotations

import re

from trimline.compressors.base import MARKER_PREFIX
from trimline.compressors.structured.model import _NUMBERED, SNIFF_LINES


def _numbered_rows(lines: list[str]) -> tuple[list[str | None], dict[int, int]] | None:
    """The text of a Read result's numbered lines (None elsewhere), and their numbers.

    Only the first run of consecutive numbers counts (a second one restarts its
    numbers); a run may jump over an earlier elision's marker line.
    """
    total = good = 0
    prev = None
    for line in lines[:SNIFF_LINES]:
        if not line.strip() or line.startswith(MARKER_PREFIX):
            prev = None if line.startswith(MARKER_PREFIX) else prev
            continue
        total += 1
        m = _NUMBERED.match(line)
        if m:
            n = int(m.group(1))
            if prev is None or n == prev + 1:
                good += 1
            prev = n
    if good < 3 or good < 0.9 * total:
        return None
    rows: list[str | None] = [None] * len(lines)
    numbers: dict[int, int] = {}
    prev = None
    started = jump = False
    for i, line in enumerate(lines):
        if line.startswith(MARKER_PREFIX):
            jump = True
            continue
        m = _NUMBERED.match(line)
        if m is None:
            if started:
                prev = -2  # unnumbered lines end the run
            continue
        n = int(m.group(1))
        if started and n != prev + 1 and not (jump and prev is not None and n > prev > 0):
            break
        started = True
        jump = False
        prev = n
        rows[i] = line[m.end() :]
        numbers[i] = n
    return rows, numbers


_WRAPPER = re.compile(
    r"(?:Exit code -?\d+|Chunk ID: .*|Wall time: .*|Process exited with code -?\d+"
    r"|Original token count: \d+|Output:|Warning: truncated output.*)\s*$"
)


def content_rows(
    lines: list[str], numbered: bool = True
) -> tuple[list[str | None], dict[int, int]]:
    """The document's lines (None for lines that are not part of it), and Read's numbers.

    A Read result's numbers are stripped; the agent harness's own header lines
    (``Exit code 1``, Codex's ``Chunk ID: ...`` ... ``Output:``) are not content.
    """
    found = _numbered_rows(lines) if numbered else None
    if found is not None:
        rows, numbers = found
        for i, row in enumerate(rows):
            if row is not None and row.lstrip().startswith(MARKER_PREFIX):
                rows[i] = None
        return rows, numbers
    rows: list[str | None] = list(lines)
    for i, line in enumerate(lines[:10]):
        if not _WRAPPER.match(line):
            break
        rows[i] = None
    if MARKER_PREFIX in "\n".join(lines):
        for i, line in enumerate(lines):
            if line.lstrip().startswith(MARKER_PREFIX):
                rows[i] = None  # an earlier elision: kept, and not part of the document
    return rows, {}
