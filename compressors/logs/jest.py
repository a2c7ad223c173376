"""jest/vitest ``●`` failure blocks: the message, the code frame, the stack (node_modules folded)."""

from __future__ import annotations

from trimline.compressors.logs.model import BLOCK_MAX, _cap_body, _Log, _stack_lines


def _jest_blocks(lg: _Log) -> None:
    probe, n = lg.probe, lg.n
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
        _cap_body(lg, i + 1, j, 2 * BLOCK_MAX, BLOCK_MAX, BLOCK_MAX // 2, ("output",))
