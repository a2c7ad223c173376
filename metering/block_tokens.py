"""Exact token counts of compressed blocks, made by the writer thread.

Compressors decide with an estimate (exact counting costs some 100 ms per MB);
the records say exactly what was sent. A block re-sent on every turn of a
session is counted once: counts are remembered by a hash of the text, which
costs a fiftieth of counting it again.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from trimline.compressors.tokens import count_tokens
from trimline.metering.records import BlockRecord

MAX_REMEMBERED = 50_000  # counts kept (some 100 bytes each)
_counts: OrderedDict[bytes, int] = OrderedDict()


def _count(text: str) -> int:
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
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
        b.text_before = b.text_after = None
