"""Compiler and linter diagnostics (gcc/clang/rustc/ruff): errors whole, warnings once per kind."""

from __future__ import annotations

import re

from trimline.compressors.logs.classify import _DIAG_C, _DIAG_RUST, _LINT
from trimline.compressors.logs.model import BLOCK_MAX, WARN_FULL, _cap_body, _Log

_DIAG_CONT = re.compile(
    r"\s*(?:\d+\s*)?\|(?:\s|$)|\s*-->\s|\s*:::\s|\s*= (?:note|help)|\s*\.\.\.\s*$"
    r"|(?:note|help)(?:\[\w+\])?: |\s+[\^~][\s~^+-]*$"
)
_WARN_SUMMARY = re.compile(r"generated \d+ warnings?|warnings? emitted|\d+ warnings? generated")
_QUOTED = re.compile(r"`[^`]{0,200}`|'[^']{0,200}'|\"[^\"]{0,200}\"|‘[^’]{0,200}’")
_WFLAG = re.compile(r"\[(-W[\w=-]{1,80})\]\s*$")


def _warning_kind(line: str, m: re.Match[str]) -> str:
    flag = _WFLAG.search(line)
    if flag:
        return flag.group(1)
    return _QUOTED.sub("…", line[m.end() :].strip())[:60]


def _diag_header(s: str) -> re.Match[str] | None:
    m = _DIAG_RUST.match(s) if s[:1] in "ew" else None
    if m is None and s[:1].isupper():
        lint = _LINT.match(s)
        if lint and not lint.group("loc"):
            return lint
    if m is None and (": error" in s or ": warning" in s or ": fatal" in s):
        m = _DIAG_C.match(s)
        if m and m.group("sev") == "note":
            return None
    return m


def _diagnostics(lg: _Log) -> None:
    """gcc/clang/rustc style diagnostics: a header, a location, a source snippet, notes.

    Errors are kept whole. The first warning of each kind is kept whole too (up to
    WARN_FULL of them); later warnings fold, counted by kind in the marker.
    """
    probe, n = lg.probe, lg.n
    kinds: set[str] = set()
    diags = lg.diags
    for d, i in enumerate(diags):
        m = _diag_header(probe[i])
        if m is None:
            continue
        stop = min(diags[d + 1] if d + 1 < len(diags) else n, n, i + 4 * BLOCK_MAX)
        j = i + 1
        while j < stop:
            s = probe[j]
            if not s or s.isspace():
                break
            if not _DIAG_CONT.match(s) and not (": note" in s and _DIAG_C.match(s)):
                break
            j += 1
        line = probe[i]
        if "sev" not in m.groupdict() or m.group("sev") != "warning":
            lg.must[i] = 1
            lg.keep_region(i, j)
            _cap_body(lg, i + 1, j, BLOCK_MAX, BLOCK_MAX // 2, BLOCK_MAX // 3, ("output",))
        elif _WARN_SUMMARY.search(line):
            lg.must[i] = 1
        else:
            kind = _warning_kind(line, m)
            if kind not in kinds and len(kinds) < WARN_FULL:
                kinds.add(kind)
                lg.keep_region(i, j)
            else:
                lg.must[i] = 0  # a warning, whatever words it contains
                lg.fold_range(i, j, ("warnings", None))
                lg.fold[i] = ("warnings", kind)
