"""Exact token counts of the blocks decided on a call, made by the writer thread.

The request path decides with an estimate (exact counting costs some 100 ms per MB); a
block's record is made once, when its decision is, and says exactly what it saved. A
text is counted once: counts are remembered by a fast hash of the text (a collision
would only misstate one count).
"""

from __future__ import annotations

from collections import OrderedDict

import xxhash
from trimline.compressors.tokens import count_tokens
from trimline.metering.records import BlockRecord

MAX_REMEMBERED = 50_000  # counts kept (some 150 bytes each)
METHOD = "cl100k"
_counts: OrderedDict[bytes, int] = OrderedDict()


def _count(text: str) -> int:
    key = xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass"))
    n = _counts.get(key)
    if n is None:
        n = _counts[key] = count_tokens(text)
        if len(_counts) > MAX_REMEMBERED:
            _counts.popitem(last=False)
    else:
        _counts.move_to_end(key)
    return n


def count_blocks(blocks: list[BlockRecord]) -> None:
    """Replaces estimated counts by exact ones where the texts came along, and lets the
    texts go. Only the writer thread calls it."""
    for b in blocks:
        if b.text_before is None:
            continue
        b.tokens_before = _count(b.text_before)
        b.tokens_after = b.tokens_before if b.text_after is None else _count(b.text_after)
        b.tokens_method = METHOD
        b.text_before = b.text_after = None
