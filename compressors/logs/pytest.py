"""pytest FAILURES/ERRORS sections: each test's block, its traceback entries, captured output."""

from __future__ import annotations

from itertools import pairwise

from trimline.compressors.logs.classify import _PT_CAPTURED, _PT_SECTION, _PT_SEP, _PT_TEST_HEAD
from trimline.compressors.logs.model import (
    _PT_LOC,
    CAPTURE_HEAD,
    CAPTURE_MAX,
    CAPTURE_TAIL,
    LISTING_MAX,
    _cap_body,
    _fold_frame_runs,
    _is_lib,
    _Log,
)


def _pytest_sections(lg: _Log) -> None:
    probe = lg.probe
    bounds = [*lg.sections, lg.n]
    for i, j in pairwise(bounds):
        title = _PT_SECTION.match(probe[i]).group("title")
        if title in ("FAILURES", "ERRORS"):
            lg.keep_region(i, j)
            _pytest_failures(lg, i + 1, j)
        elif title == "PASSES":
            lg.fold_range(i + 1, j, ("passes",))


def _pytest_failures(lg: _Log, start: int, end: int) -> None:
    probe = lg.probe
    heads = [
        k for k in range(start, end) if probe[k].startswith("___") and _PT_TEST_HEAD.match(probe[k])
    ]
    for k in heads:
        lg.must[k] = 1
    bounds = [start, *heads, end]
    for a, b in pairwise(bounds):
        if b > a:
            _pytest_block(lg, a, b)


def _pytest_block(lg: _Log, start: int, end: int) -> None:
    probe = lg.probe
    caps = [
        k for k in range(start, end) if probe[k].startswith("---") and _PT_CAPTURED.match(probe[k])
    ]
    tb_end = caps[0] if caps else end
    for c, nxt in zip(caps, [*caps[1:], end], strict=False):
        lg.must[c] = 1
        # Captured output is plain output: repeats fold like anywhere else.
        if nxt > c + 1:
            lg.region[c + 1 : nxt] = bytes(nxt - c - 1)
        _cap_body(lg, c + 1, nxt, CAPTURE_MAX, CAPTURE_HEAD, CAPTURE_TAIL, ("captured",))
    # Chunks between "_ _ _ _" separators are traceback entries.
    seps = [
        k for k in range(start, tb_end) if probe[k].startswith("_ _") and _PT_SEP.match(probe[k])
    ]
    bounds = [start - 1, *seps, tb_end]
    short_frames: list[tuple[int, int, bool]] = []
    for a, b in pairwise(bounds):
        _pytest_chunk(lg, a + 1, b, short_frames)
    _fold_frame_runs(lg, short_frames)


def _pytest_chunk(lg: _Log, start: int, end: int, short_frames: list) -> None:
    probe = lg.probe
    if start >= end:
        return
    # Short entries: "path:N: in func" followed by indented source lines.
    k = start
    while k < end:
        s = probe[k]
        m = _PT_LOC.match(s) if ": in " in s else None
        if m and (m.group("what") or "").startswith("in "):
            j = k + 1
            while j < end and probe[j][:1] in (" ", "\t") and probe[j].strip():
                j += 1
            short_frames.append((k, j, _is_lib(m.group("path"))))
            k = j
        else:
            k += 1
    # A long entry ends with a location line "path:N: Exception" (or "path:N: ").
    last = end - 1
    while last > start and not probe[last].strip():
        last -= 1
    m = _PT_LOC.match(probe[last])
    if not m or (m.group("what") or "").startswith("in "):
        return
    arrows = [k for k in range(start, last) if probe[k][:2] == "> " or probe[k] == ">"]
    if _is_lib(m.group("path")):
        shown = {*arrows, *(k + 1 for k in arrows), last}
        for k in range(start, last):
            if k not in shown and probe[k][:1] != "E":
                lg.fold_range(k, k + 1, ("libsource",))
    elif arrows and arrows[0] - start > LISTING_MAX:
        lg.fold_range(start + 3, arrows[0] - 8, ("source",))
