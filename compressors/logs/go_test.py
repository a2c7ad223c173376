"""go test ``--- FAIL: name`` blocks: the indented output under each failure."""

from __future__ import annotations

from trimline.compressors.logs.model import BLOCK_MAX, _cap_body, _indent, _Log


def _go_fails(lg: _Log) -> None:
    probe, n = lg.probe, lg.n
    for i in lg.go_fails:
        ind = _indent(probe[i])
        j = i + 1
        while (
            j < n
            and (not probe[j].strip() or _indent(probe[j]) > ind)
            and "--- FAIL" not in probe[j]
        ):
            j += 1
        lg.keep_region(i, j)
        _cap_body(lg, i + 1, j, BLOCK_MAX, BLOCK_MAX // 2, BLOCK_MAX // 3, ("output",))
