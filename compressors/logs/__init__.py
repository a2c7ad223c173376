"""Test-runner and build logs: pytest, unittest, cargo, go test, jest, make/gcc, tsc, pip...

What survives: every error, failure and summary line (``E `` lines, ``FAILED``
ids, ``error[E0308]``, ``test result:``, ``=== 3 failed ... ===``) with a line
or two of context; whole failure reports (pytest FAILURES sections, unittest
FAIL blocks, Python tracebacks, cargo ``---- x stdout ----`` sections, compiler
diagnostics); the head and the tail of the output. What goes: passing-test
lines (one marker per run, naming the files), progress dots, near-duplicate
lines, the middle of long stretches of build chatter, the middle of long
captured output, runs of library frames inside tracebacks, and the details of
warnings once a few have been shown in full.

The module is pure and linear: one pass classifies lines (cheap character and
substring gates before any anchored, bounded regex), error and warning words are
found by substring scans over the whole text, failure regions are walked by
small forward scanners from the starts that pass recorded, and consecutive
plain lines are compared with rapidfuzz (on masked shapes when the raw lines
are close but not close enough).

One module per runner or part: see README.md in this folder.
"""

from __future__ import annotations

from itertools import compress as compress_items

from trimline.compressors import traces
from trimline.compressors.base import MARKER_PREFIX, Context, Plan
from trimline.compressors.logs.build import _diagnostics
from trimline.compressors.logs.cargo import _cargo_sections
from trimline.compressors.logs.claims import claims, sniff
from trimline.compressors.logs.classify import _classify
from trimline.compressors.logs.describe import _describe
from trimline.compressors.logs.go_test import _go_fails
from trimline.compressors.logs.jest import _jest_blocks
from trimline.compressors.logs.model import HEAD, TAIL, _Log
from trimline.compressors.logs.output import _finish, _plain_output
from trimline.compressors.logs.pytest import _pytest_sections
from trimline.compressors.logs.python_tb import _tracebacks
from trimline.compressors.logs.unittest import _unittest_blocks
from trimline.compressors.text import clean

KIND = "logs"
__all__ = ["KIND", "claims", "compress", "sniff"]


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lg = _Log(source)
    if lg.n <= HEAD + TAIL:
        return None
    _classify(lg)
    _pytest_sections(lg)
    _unittest_blocks(lg)
    _tracebacks(lg)
    _cargo_sections(lg)
    _go_fails(lg)
    _jest_blocks(lg)
    _diagnostics(lg)
    _plain_output(lg)
    _finish(lg)
    keep = lg.keep
    if keep.find(0) < 0:
        return None
    notes: dict[int, str] = {}
    i = keep.find(0)
    while i >= 0:
        j = keep.find(1, i)
        if j < 0:
            j = lg.n
        note = _describe(lg, i, j)
        if _pays(lg.lines, i, j, note):
            notes[i] = note
        else:  # a run too short to pay for its marker stays
            keep[i:j] = b"\x01" * (j - i)
        i = keep.find(0, j)
    kept = set(compress_items(range(lg.n), keep))
    # Frames in the project's code survive whatever section they were found in (a program
    # run by cargo or npm that crashed, rather than a test that failed).
    kept |= traces.project_frames(lg.probe)
    # The renderer's way back for commands: the first marker says how to re-run narrowed to
    # its lines (or that re-running is not cheap or safe); later ones, whose ranges say which
    # lines, stay short: a failing run has a marker per failure, and they add up.
    return Plan(KIND, kept, notes, source=source)


MARGIN = 1.2  # a run folds when its lines cost this much more than its marker


def _pays(lines: list[str], first: int, end: int, note: str) -> bool:
    """Do lines[first:end] cost clearly more than their marker? Markers after the first
    carry no way back (the first gives it), so this is the marker as printed."""
    marker = len(f"{MARKER_PREFIX} {end - first} lines elided (lines {first}-{end}: {note})")
    return sum(map(len, lines[first:end])) + (end - first) >= MARGIN * marker
