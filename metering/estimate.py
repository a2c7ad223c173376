"""Estimates a request's size in tokens (cl100k_base), message by message.

Agents re-send their whole history every turn, so counts are cached per
message: a turn costs only the count of what is new.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import orjson
from trimline.compressors.tokens import count_tokens

_CACHE_SIZE = 16384
_cache: OrderedDict[bytes, int] = OrderedDict()
_lock = threading.Lock()


def _count_cached(part: bytes) -> int:
    key = hashlib.blake2b(part, digest_size=16).digest()
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    n = count_tokens(part.decode("utf-8", "replace"))
    with _lock:
        _cache[key] = n
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return n


def request_tokens(body: dict[str, Any]) -> int:
    """Tokens in everything a request carries: system, tools, messages."""
    total = 0
    for key, value in body.items():
        if key in ("messages", "input") and isinstance(value, list):
            total += sum(_count_cached(orjson.dumps(m)) for m in value)
        elif key in ("system", "tools", "instructions"):
            total += _count_cached(orjson.dumps(value))
    return total
