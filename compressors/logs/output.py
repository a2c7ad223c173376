"""Lines outside every structure: repeats and long stretches fold; head, tail and context stay."""

from __future__ import annotations

import operator
from itertools import repeat

from rapidfuzz.fuzz import ratio
from trimline.compressors.base import MARKER_PREFIX
from trimline.compressors.logs.model import (
    AFTER,
    BEFORE,
    HEAD,
    LONG_LINE,
    RUN_HEAD,
    RUN_MAX,
    RUN_TAIL,
    SHAPE_CUTOFF,
    SIMILAR,
    TAIL,
    WARN,
    WARN_KEEP,
    _Log,
)
from trimline.compressors.text import mask


def _plain_output(lg: _Log) -> None:
    """Lines outside every structure: fold near-duplicates, then the middle of long stretches."""
    probe, cat, must, region, fold = lg.probe, lg.cat, lg.must, lg.region, lg.fold
    similar = ("similar",)
    output = ("output",)
    ref: str | None = None  # the first line of the current run of similar lines
    ref_shape: str | None = None
    shown: list[int] = []  # lines of the current stretch not folded as similar

    def flush() -> None:
        if len(shown) > RUN_MAX:
            # Warnings in the middle stay, one of each shape and a bounded number.
            warned: set[str] = set()
            for k in shown[RUN_HEAD:-RUN_TAIL]:
                if cat[k] == WARN and len(warned) < WARN_KEEP:
                    shape = _shape(probe[k])
                    if shape not in warned:
                        warned.add(shape)
                        continue
                fold[k] = output
        shown.clear()

    for i in range(lg.n):
        if must[i] or region[i] or fold[i] is not None:
            ref = None
            if shown:
                flush()
            continue
        s = probe[i]
        if not s or s.isspace():
            ref = None
            shown.append(i)
            continue
        if len(lg.lines[i]) > LONG_LINE:
            fold[i] = ("long", len(lg.lines[i]))
            ref = None
            continue
        if ref is not None:
            if s == ref or ratio(ref, s, score_cutoff=SIMILAR):
                fold[i] = similar
                continue
            if ratio(ref, s, score_cutoff=SHAPE_CUTOFF):
                if ref_shape is None:
                    ref_shape = _shape(ref)
                if ratio(ref_shape, _shape(s), score_cutoff=SIMILAR):
                    fold[i] = similar
                    continue
        ref, ref_shape = s, None
        shown.append(i)
    flush()


def _shape(line: str) -> str:
    return mask(line[:300])


def _finish(lg: _Log) -> None:
    n, must, fold, probe = lg.n, lg.must, lg.fold, lg.probe
    keep = bytearray(map(operator.is_, fold, repeat(None)))
    lg.keep = keep
    musts = []
    i = must.find(1)
    while i >= 0:
        musts.append(i)
        keep[i] = 1
        i = must.find(1, i + 1)
    # Context around error lines, taken from plain output only.
    plain = (("similar",), ("output",))
    for i in musts:
        if probe[i].startswith(MARKER_PREFIX):
            continue
        for k in (*range(i - BEFORE, i), *range(i + 1, i + 1 + AFTER)):
            if 0 <= k < n and not keep[k] and fold[k] in plain:
                keep[k] = 1
    # The head and the tail of plain output (passing tests and folded structure aside).
    for i in (*range(min(HEAD, n)), *range(max(n - TAIL, 0), n)):
        if fold[i] in plain:
            keep[i] = 1
    # A lone blank line between two dropped runs would split one marker into two.
    i = keep.find(0)
    while i >= 0:
        j = keep.find(1, i)  # the first kept line after this dropped run
        if j < 0:
            break
        if j + 1 < n and not keep[j + 1] and not must[j] and not probe[j].strip():
            keep[j] = 0
            fold[j] = ("blank",)
        i = keep.find(0, j)
