"""The budget: which candidate runs go, longest first, until a read is small enough."""

from __future__ import annotations

import re
from typing import Any

# The budget: elide until a read is down to this share of its (estimated) tokens...
TARGET = 0.25
# ...but only runs whose tokens are at least this many times their marker's.
WORTH = 1.2
MIN_MARKER = 30  # estimated tokens: no marker with its recovery commands costs less
# A rough cl100k token count: words, short digit groups, punctuation pairs, spaces.
_TOKEN = re.compile(r" ?[A-Za-z]+| ?\d{1,3}|[^\sA-Za-z\d]{1,2}|\s+")


def _estimate(line: str) -> int:
    """Roughly the cl100k tokens of one line (within ~20% a line, ~10% a file)."""
    return len(_TOKEN.findall(line))


def _select(
    cands: list[tuple[int, int, str]],
    tokens: list[int],
    target: float,
    marker_cost: Any,
) -> list[tuple[int, int, str]]:
    """Candidate runs to elide, longest first, until the estimate meets the target.

    A run that would stand alone must outweigh its marker clearly (``WORTH``);
    one that touches runs already taken costs no new marker. Linear in the
    lines the candidates span (they hardly overlap).
    """
    n = len(tokens)
    prefix = [0] * (n + 1)
    for i, t in enumerate(tokens):
        prefix[i + 1] = prefix[i] + t
    order = sorted(
        ((prefix[b + 1] - prefix[a], a, b, what) for a, b, what in cands if 0 <= a <= b < n),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    covered = bytearray(n)
    current = float(prefix[n])
    chosen: list[tuple[int, int, str]] = []
    for _, a, b, what in order:
        if current <= target:
            break
        new = sum(tokens[i] for i in range(a, b + 1) if not covered[i])
        if not new:
            continue
        touched = 0
        inside = False
        for i in range(max(a - 1, 0), min(b + 1, n - 1) + 1):
            if covered[i] and not inside:
                touched += 1
            inside = bool(covered[i])
        if not touched and new < WORTH * MIN_MARKER:
            continue  # cheaper than any marker: no need to price one
        cost = marker_cost(a, b, what)
        if not touched and new < WORTH * cost:
            continue
        covered[a : b + 1] = b"\x01" * (b - a + 1)
        current -= new - cost * (1 - touched)
        chosen.append((a, b, what))
    return chosen
