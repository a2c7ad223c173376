"""jest/vitest ``●`` failure blocks: the message, the code frame, the stack (node_modules folded).

A code frame printed again, line for line (the same bug failing several tests), keeps its
``>`` line and folds the rest, naming where it was printed first.
"""

from __future__ import annotations

import re

from trimline.compressors.logs.model import BLOCK_MAX, _cap_body, _Log, _stack_lines

# "      4 |   code", "    > 4 |   code", "        |   ^"
_FRAME_LINE = re.compile(r"\s+(?:>\s+)?\d*\s*\|")


def _jest_blocks(lg: _Log) -> None:
    probe, n = lg.probe, lg.n
    seen: dict[tuple[str, ...], tuple[int, int]] = {}
    for i in lg.jest_blocks:
        j = i + 1
        while j < n:
            t = probe[j].lstrip()
            if t.startswith(("● ", "Test Suites:", "Tests:")) or probe[j].startswith(
                ("PASS ", "FAIL ")
            ):
                break
            j += 1
        lg.keep_region(i, j)
        _stack_lines(lg, i + 1, j)
        _repeated_frame(lg, i + 1, j, seen)
        _cap_body(lg, i + 1, j, 2 * BLOCK_MAX, BLOCK_MAX, BLOCK_MAX // 2, ("output",))


def _repeated_frame(
    lg: _Log, start: int, end: int, seen: dict[tuple[str, ...], tuple[int, int]]
) -> None:
    probe = lg.probe
    k = start
    while k < end and not _FRAME_LINE.match(probe[k]):
        k += 1
    a = k
    while k < end and _FRAME_LINE.match(probe[k]):
        k += 1
    if k - a < 3:
        return
    first = seen.setdefault(tuple(probe[a:k]), (a, k))
    if first == (a, k):
        return
    label = ("repeat", first[0] + 1, first[1])
    for x in range(a, k):
        if not probe[x].lstrip().startswith(">"):
            lg.must[x] = 0
            lg.fold_range(x, x + 1, label)
