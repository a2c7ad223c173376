"""unittest FAIL/ERROR blocks, up to the next block or the "Ran N tests" rule."""

from __future__ import annotations

from trimline.compressors.logs.model import BLOCK_MAX, _cap_body, _Log


def _unittest_blocks(lg: _Log) -> None:
    probe, n = lg.probe, lg.n
    heads = lg.ut_heads
    for h, i in enumerate(heads):
        limit = heads[h + 1] if h + 1 < len(heads) else n
        j = i + 1
        while j < limit:
            s = probe[j]
            if s[:10] == "=" * 10 and len(s) >= 40 and s == "=" * len(s):
                break
            if (
                s[:10] == "-" * 10
                and len(s) >= 40
                and j + 1 < n
                and probe[j + 1].startswith("Ran ")
            ):
                break
            j += 1
        lg.must[i] = 1
        if i > 0 and probe[i - 1][:10] == "=" * 10:
            lg.must[i - 1] = 1
        lg.keep_region(i, j)
        _cap_body(lg, i + 1, j, 3 * BLOCK_MAX, BLOCK_MAX, BLOCK_MAX, ("output",))
