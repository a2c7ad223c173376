"""cargo test ``---- name stdout ----`` sections, with their Rust backtraces."""

from __future__ import annotations

from trimline.compressors.logs.model import BLOCK_MAX, _cap_body, _Log, _stack_lines


def _cargo_sections(lg: _Log) -> None:
    probe, n = lg.probe, lg.n
    for i in lg.cargo_outs:
        j = i + 1
        while j < n:
            s = probe[j]
            if s.startswith(("---- ", "failures:", "test result: ")) or (
                s.startswith("     Running ")
            ):
                break
            j += 1
        lg.must[i] = 1
        lg.keep_region(i, j)
        _stack_lines(lg, i + 1, j)
        _cap_body(lg, i + 1, j, 2 * BLOCK_MAX // 3, 15, 15, ("captured",))
