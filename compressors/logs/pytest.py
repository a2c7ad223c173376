"""pytest FAILURES/ERRORS sections: each test's block, its traceback entries, captured output."""

from __future__ import annotations

import re
from itertools import pairwise

from trimline.compressors.logs.classify import _PT_CAPTURED, _PT_SECTION, _PT_SEP, _PT_TEST_HEAD
from trimline.compressors.logs.model import (
    _PT_LOC,
    CAPTURE_HEAD,
    CAPTURE_MAX,
    CAPTURE_TAIL,
    E_HEAD,
    E_MAX,
    E_TAIL,
    LISTING_MIN,
    REPEAT_MIN,
    _cap_body,
    _fold_frame_runs,
    _is_lib,
    _Log,
)


def _pytest_sections(lg: _Log) -> None:
    probe = lg.probe
    bounds = [*lg.sections, lg.n]
    reported = False
    for i, j in pairwise(bounds):
        title = _PT_SECTION.match(probe[i]).group("title")
        if title in ("FAILURES", "ERRORS"):
            lg.keep_region(i, j)
            _pytest_failures(lg, i + 1, j)
        elif title == "PASSES":
            lg.fold_range(i + 1, j, ("passes",))
        if title in ("FAILURES", "ERRORS") or title.startswith("short test summary"):
            reported = True
    if reported:
        # Each failure has its report: the F in "tests/x.py ..F.. [ 40%]" says no more.
        for k, label in lg.fail_progress:
            lg.must[k] = 0
            lg.fold[k] = label


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
        _repeated_entry(lg, a + 1, b)
    _fold_frame_runs(lg, short_frames)
    _trim_assertion_diffs(lg, start, tb_end)
    # A "_ _ _" rule before a folded run goes with it: it only separates what the marker
    # now stands for.
    for k in seps:
        if k + 1 < tb_end and lg.fold[k + 1] is not None and not lg.must[k]:
            lg.fold[k] = ("rule",)


def _trim_assertion_diffs(lg: _Log, start: int, end: int) -> None:
    """A long run of ``E`` lines is an assertion's full diff (pytest's dict and list diffs,
    unittest's "Lists differ"): its head, with the exception line, and its tail stay."""
    probe = lg.probe
    k = start
    while k < end:
        if probe[k][:1] != "E":
            k += 1
            continue
        j = k
        while j < end and probe[j][:1] == "E":
            j += 1
        if j - k > E_MAX:
            lg.must[k + E_HEAD : j - E_TAIL] = bytes(j - k - E_HEAD - E_TAIL)
            lg.fold_range(k + E_HEAD, j - E_TAIL, ("assertdiff",))
        k = j


def _repeated_entry(lg: _Log, start: int, end: int) -> None:
    """A traceback entry printed again, byte for byte (the same library call failing the same
    way under several tests, parametrized cases): its failing line, its ``E`` lines and its
    location stay; the rest folds, naming where it was printed first. When only the frame's
    arguments differ (``x = 3`` here, ``x = 4`` there: the values of a parametrized case),
    they stay and the source after them folds."""
    probe = lg.probe
    while end > start and not probe[end - 1]:
        end -= 1
    if end - start < REPEAT_MIN:
        return
    body = start  # where the source listing starts, after the arguments
    while body < end and not probe[body].startswith(("    ", ">")):
        body += 1
    for a in (start, body):
        if end - a < REPEAT_MIN:
            return
        key = tuple(probe[a:end])
        first = lg.entries.setdefault(key, (a, end))
        if first != (a, end):
            _fold_repeat(lg, a, end, first)
            return


def _fold_repeat(lg: _Log, start: int, end: int, first: tuple[int, int]) -> None:
    probe = lg.probe
    label = ("repeat", first[0] + 1, first[1])
    for k in range(start, end - 1):
        if probe[k][:1] not in ("E", ">"):
            lg.must[k] = 0
            lg.fold[k] = None if lg.fold[k] and lg.fold[k][0] == "source" else lg.fold[k]
            lg.fold_range(k, k + 1, label)


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
    # A long entry ends with a location line "path:N: Exception" (or "path:N: "); chained
    # exceptions put several entries in one chunk.
    a = start
    for k in range(start, end):
        s = probe[k]
        if not s or s[0] in " E>_" or ":" not in s:
            continue
        m = _PT_LOC.match(s)
        if not m or (m.group("what") or "").startswith("in "):
            continue
        _long_entry(lg, a, k, m)
        a = k + 1


def _long_entry(lg: _Log, start: int, last: int, m: re.Match[str]) -> None:
    probe = lg.probe
    arrows = [k for k in range(start, last) if probe[k][:2] == "> " or probe[k] == ">"]
    if _is_lib(m.group("path")):
        shown = {*arrows, *(k + 1 for k in arrows), last}
        for k in range(start, last):
            if k not in shown and probe[k][:1] != "E":
                lg.fold_range(k, k + 1, ("libsource",))
    elif len(arrows) == 1:
        _fold_listing(lg, start, arrows[0], m.group("path"), int(m.group("line")))


def _fold_listing(lg: _Log, start: int, arrow: int, path: str, line: int) -> None:
    """The source pytest prints above a frame's failing ``>`` line folds, named by its file
    range: the ``>`` line is line ``line`` of ``path`` (the entry's location line), and the
    listing above it is the lines just before, each printed behind a four-space indent.
    The failing line, what follows it (carets, the rest of the statement) and the ``E``
    lines stay; so do the frame's arguments (``self = ...``), which pytest prints apart."""
    probe = lg.probe
    top = arrow
    while top > start and probe[top - 1].startswith("    "):
        top -= 1
    if arrow - top < LISTING_MIN or line - (arrow - top) < 1:
        return
    # Source lines, not output: an error word in them ("raise ValueError") is no error.
    lg.must[top:arrow] = bytes(arrow - top)
    label = ("source", path, line - (arrow - top), line - 1)
    # A method's only argument, ``self = <...>``, says nothing the header does not.
    if (
        top - 2 >= start
        and probe[top - 1] == ""
        and probe[top - 2].startswith("self = <")
        and (top - 2 == start or probe[top - 3] == "")
    ):
        lg.must[top - 2 : top] = bytes(2)
        lg.fold_range(top - 2, top, ("self",))
    lg.fold_range(top, arrow, label)
