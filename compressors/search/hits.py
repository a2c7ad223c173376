"""Content results: each line's file, a per-file cap that scales with the number of files, and the line numbers of folded hits."""

from __future__ import annotations

import re

from trimline.compressors.search.model import (
    _HIT,
    _NUM,
    _SAME_CTX,
    _SAME_HIT,
    BUDGET,
    LONG_LINE,
    MANY_FILES,
    MIN_PER_FILE,
    PREFIX_SCAN,
    SLACK,
)
from trimline.compressors.search.shapes import _unnumbered_path

Entry = tuple[str, "str | None"]  # (hit | ctx | sep, path)


def _same_file(head: str, cur: str, numbered: bool) -> str | None:
    if not head.startswith(cur):
        return None
    rest = head[len(cur) :]
    if numbered:
        if _SAME_HIT.match(rest):
            return "hit"
        if _SAME_CTX.match(rest):
            return "ctx"
        return None
    if rest.startswith(":"):
        return "hit"
    if rest.startswith("-"):
        return "ctx"
    return None


def _parse_prefixed(lines: list[str], meta: list[bool], numbered: bool) -> list[Entry | None]:
    """Each line's role in ``path:line:text`` (or ``path:text``) output."""
    entries: list[Entry | None] = [None] * len(lines)
    cur: str | None = None
    pending: list[int] = []  # maybe before-context of the next file's first hit
    for i, line in enumerate(lines):
        if meta[i] or not line.strip():
            pending.clear()
            continue
        if line.rstrip("\r") == "--":
            pending.clear()
            entries[i] = ("sep", cur)
            continue
        head = line[:PREFIX_SCAN]
        if cur is not None:
            kind = _same_file(head, cur, numbered)
            if kind:
                pending.clear()
                entries[i] = (kind, cur)
                continue
        if numbered:
            m = _HIT.match(head)
            path = m.group(1) if m else None
        else:
            path = _unnumbered_path(head)
        if path is None:
            pending.append(i)
            continue
        cur = path
        for j in pending:
            if _same_file(lines[j][:PREFIX_SCAN], path, numbered) == "ctx":
                entries[j] = ("ctx", path)
        pending.clear()
        entries[i] = ("hit", path)
    return entries


def _parse_heading(lines: list[str], meta: list[bool], default: str | None) -> list[Entry | None]:
    """Each line's role in rg's heading layout, or in one file's ``line:text`` output."""
    entries: list[Entry | None] = [None] * len(lines)
    cur = default
    for i, line in enumerate(lines):
        if meta[i] or not line.strip():
            continue
        body = line.rstrip("\r")
        if body == "--":
            entries[i] = ("sep", cur)
            continue
        m = _NUM.match(line)
        if m:
            entries[i] = ("hit" if m.group(2) == ":" else "ctx", cur)
        else:
            cur = body  # a heading: the file the next lines belong to
    return entries


def _size(lines: list[str], unit: list[int]) -> int:
    return sum(1 for i in unit if len(lines[i]) <= LONG_LINE)


def _cap_hits(
    lines: list[str], entries: list[Entry | None]
) -> tuple[dict[int, tuple], set[str | None]]:
    """Labels for the dropped lines; and the files that keep at least one line."""
    context = any(e is not None and e[0] != "hit" for e in entries)
    units: dict[str | None, list[list[int]]] = {}
    seps: list[int] = []
    open_path: object = object()  # the file whose unit the next line may extend
    for i, entry in enumerate(entries):
        if entry is None:
            open_path = object()
            continue
        kind, path = entry
        if kind == "sep":
            seps.append(i)
            open_path = object()
            continue
        file_units = units.setdefault(path, [])
        if context and open_path == path and file_units:
            file_units[-1].append(i)
        else:
            file_units.append([i])
        open_path = path

    # A unit's size: its lines short enough to keep.
    sizes_of = {
        path: [
            len(u) if len(u) == 1 and len(lines[u[0]]) <= LONG_LINE else _size(lines, u) for u in us
        ]
        for path, us in units.items()
    }
    total = sum(sum(sizes) for sizes in sizes_of.values())
    cap = total if total <= BUDGET else max(MIN_PER_FILE, BUDGET // max(1, len(units)))
    if total > BUDGET and len(units) > MANY_FILES:
        cap = 0  # so many files that their hits read best as a list of path:line:
    labels: dict[int, tuple] = {}
    visible: set[str | None] = set()
    for path, file_units in units.items():
        sizes = sizes_of[path]
        file_cap = cap if sum(sizes) > cap + SLACK else sum(sizes)
        kept = 0
        for unit, n in zip(file_units, sizes, strict=True):
            take = n > 0 and ((kept == 0 and file_cap > 0) or kept + n <= file_cap)
            if take:
                kept += n
                visible.add(path)
            for i in unit:
                kind = entries[i][0]  # type: ignore[index]
                if len(lines[i]) > LONG_LINE:
                    labels[i] = ("long", path, len(lines[i]), kind == "hit")
                elif not take:
                    labels[i] = (kind, path, _line_number(lines[i], path) if kind == "hit" else 0)
    for i in seps:
        before = i - 1 >= 0 and i - 1 in labels
        after = i + 1 < len(lines) and i + 1 in labels
        if before or after:
            labels[i] = ("sep", entries[i][1])  # type: ignore[index]
    return labels, visible


def _line_number(line: str, path: str | None) -> int:
    """The line number of a hit: after ``path:`` in grep's layout, first in rg's headings."""
    rest = line[len(path) + 1 :] if path and line.startswith(path) else line.lstrip()
    m = _DIGITS.match(rest)
    return int(m.group()) if m else 0


_DIGITS = re.compile(r"\d{1,9}")


def _spans(numbers: list[int]) -> str:
    """12, 15, 20-22: every number, consecutive ones as a range."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], -1]:
        if n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    return ", ".join(out)
