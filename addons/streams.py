"""Incremental decoding of a content-encoded response stream, for reading it as it passes."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import brotli
import zstandard


def decoder(content_encoding: str) -> Callable[[bytes], bytes]:
    """A function that decodes successive chunks of a body sent with this encoding."""
    encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    steps: list[Callable[[bytes], bytes]] = []
    # Encodings are listed in the order they were applied: undo them in reverse.
    for enc in reversed(encodings):
        if enc in ("identity", ""):
            continue
        if enc in ("gzip", "x-gzip"):
            steps.append(zlib.decompressobj(16 + zlib.MAX_WBITS).decompress)
        elif enc == "deflate":
            steps.append(zlib.decompressobj().decompress)
        elif enc == "br":
            steps.append(brotli.Decompressor().process)
        elif enc == "zstd":
            steps.append(zstandard.ZstdDecompressor().decompressobj().decompress)
        else:
            raise ValueError(f"unknown content-encoding {enc!r}")
    if not steps:
        return lambda chunk: chunk

    def decode(chunk: bytes) -> bytes:
        for step in steps:
            chunk = step(chunk)
        return chunk

    return decode


class TooLarge(ValueError):
    """A body that decodes to more than the limit (a compression bomb, or just too big)."""


def decode_body(raw: bytes, content_encoding: str, limit: int) -> bytes:
    """A whole body decoded, refusing to produce more than ``limit`` bytes."""
    decode = decoder(content_encoding)
    out = bytearray()
    # Feed small slices: a bomb expands a few KB into gigabytes, so check as it grows.
    for i in range(0, len(raw), 16384):
        out += decode(raw[i : i + 16384])
        if len(out) > limit:
            raise TooLarge(f"body decodes to more than {limit:,} bytes")
    return bytes(out)
