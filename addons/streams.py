"""Incremental decoding of a content-encoded response stream, for reading it as it passes."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import brotli
import zstandard


def _decompressors(content_encoding: str) -> list[Any]:
    """One decompressor per encoding, in the order to undo them (the reverse of applied)."""
    encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    steps: list[Any] = []
    for enc in reversed(encodings):
        if enc in ("identity", ""):
            continue
        if enc in ("gzip", "x-gzip"):
            steps.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
        elif enc == "deflate":
            steps.append(zlib.decompressobj())
        elif enc == "br":
            steps.append(brotli.Decompressor())
        elif enc == "zstd":
            steps.append(zstandard.ZstdDecompressor().decompressobj())
        else:
            raise ValueError(f"unknown content-encoding {enc!r}")
    return steps


_ZSTD_OBJ = type(zstandard.ZstdDecompressor().decompressobj())


def _feed(step: Any, chunk: bytes) -> bytes:
    return step.process(chunk) if isinstance(step, brotli.Decompressor) else step.decompress(chunk)


def _finished(step: Any) -> bool:
    return step.is_finished() if isinstance(step, brotli.Decompressor) else step.eof


def decoder(content_encoding: str) -> Callable[[bytes], bytes]:
    """A function that decodes successive chunks of a body sent with this encoding."""
    steps = _decompressors(content_encoding)
    if not steps:
        return lambda chunk: chunk

    def decode(chunk: bytes) -> bytes:
        for step in steps:
            chunk = _feed(step, chunk)
        return chunk

    return decode


class TooLarge(ValueError):
    """A body that decodes to more than the limit (a compression bomb, or just too big)."""


def decode_body(raw: bytes, content_encoding: str, limit: int) -> bytes:
    """A whole body decoded, refusing to produce more than ``limit`` bytes, or to pass a
    truncated one off as complete (the provider would refuse it: so must Trimline)."""
    steps = _decompressors(content_encoding)
    out = bytearray()
    # Feed small slices: a bomb expands a few KB into gigabytes, so check as it grows.
    # Brotli and zstd reach ratios past 100,000:1 and take no output limit: smaller still.
    if any(isinstance(step, brotli.Decompressor) for step in steps):
        size = 16
    elif any(isinstance(step, _ZSTD_OBJ) for step in steps):
        size = 64
    else:
        size = 16384
    for i in range(0, len(raw), size):
        chunk = raw[i : i + size]
        for step in steps:
            chunk = _feed(step, chunk)
        out += chunk
        if len(out) > limit:
            raise TooLarge(f"body decodes to more than {limit:,} bytes")
    if raw and not all(_finished(step) for step in steps):
        raise ValueError(f"truncated {content_encoding} body")
    return bytes(out)
