"""Diffs: unchanged context thins to a line around each change; generated files fold whole."""

from __future__ import annotations

from trimline.compressors.vcs.model import (
    _HUNK,
    CONTEXT,
    LOCK_HUNKS,
    LOCKFILES,
    MIN_FOLD,
    MINIFIED,
    _File,
)


def _fold_diff(file: _File, labels: dict[int, tuple], lines: list[str]) -> None:
    if not file.generated and any(
        kind in "+-" and len(lines[i]) > MINIFIED for i, kind in file.body
    ):
        file.generated = True  # minified or data: one changed line is a whole bundle
        long_lines = True
    else:
        long_lines = False
    if file.generated:
        name = file.path.rsplit("/", 1)[-1]
        what = (
            "lockfile"
            if name in LOCKFILES
            else "long-line file"
            if long_lines
            else "generated file"
        )
        many = len(file.hunks) > LOCK_HUNKS
        for i, kind in file.body:
            labels[i] = ("lock", file.path, kind, len(file.hunks) if many else 0, what)
        if many:
            for i in file.hunks[1:]:
                labels[i] = ("lock", file.path, "@", len(file.hunks), what)
    else:
        _fold_context(file, labels, lines)
    for i in file.binary:
        labels[i] = ("binary", file.path)


def _fold_context(file: _File, labels: dict[int, tuple], lines: list[str]) -> None:
    """Per hunk, each run of unchanged lines keeps CONTEXT lines next to a change. A folded
    line's label carries its number in the new file, read off its hunk header (which stays
    as it was), so the marker can say which lines of the file it stands for."""
    by_hunk: dict[int, list[tuple[int, str]]] = {}
    for i, kind in file.body:
        by_hunk.setdefault(file.hunk_of[i], []).append((i, kind))
    for h, entries in by_hunk.items():
        hm = _HUNK.match(lines[file.hunks[h]])
        numbers: list[int] = []
        at = int(hm.group(3)) if hm else 0
        for _, kind in entries:
            numbers.append(at)
            if kind in (" ", "+"):
                at += 1
        n = len(entries)
        k = 0
        while k < n:
            if entries[k][1] != " ":
                k += 1
                continue
            j = k
            while j < n and entries[j][1] == " ":
                j += 1
            start = CONTEXT if k > 0 else 0  # a change comes before the run
            end = (j - k) - CONTEXT if j < n else (j - k)  # a change comes after it
            if end - start >= MIN_FOLD:
                for x in range(k + start, k + end):
                    labels[entries[x][0]] = ("ctx", file.path, numbers[x] if hm else 0)
            k = j
