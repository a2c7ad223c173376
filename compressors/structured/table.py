"""CSV/TSV: the header, first and last rows, and a marker with a note per column."""

from __future__ import annotations

import csv
import re

from trimline.compressors.structured.model import (
    _ERROR_VALUE,
    _NUMBER,
    HEAD_ROWS,
    MIN_TABLE_DROP,
    NOTE_COLUMNS,
    TAIL_ROWS,
    _Bail,
)

# --------------------------------------------------------------------------- CSV


def _delimiter(rows: list[str], hint: str | None) -> str | None:
    sample = [r for r in rows if r.strip() and not r.startswith("#")][:20]
    if len(sample) < 5:
        return None
    candidates = ["\t"] if hint == "tsv" else [","] if hint == "csv" else [",", "\t", ";", "|"]
    for delim in candidates:
        try:
            records = list(csv.reader(sample, delimiter=delim))
        except csv.Error:
            continue
        counts = [len(rec) for rec in records]
        if len(counts) != len(sample) or min(counts) < 2:
            continue
        if hint is not None:
            if max(counts) - min(counts) <= 2:
                return delim  # a named format: optional trailing columns are fine
            continue
        if delim == "\t":
            regular = max(counts) - min(counts) <= 1 and min(counts) >= 3
        else:
            regular = len(set(counts)) == 1 and counts[0] >= 3
        if regular and not _prose(records):
            return delim
    return None


def _prose(records: list[list[str]]) -> bool:
    """Sentences cut at their commas: every column holds several words."""
    width = min(len(rec) for rec in records)
    for k in range(width):
        words = sorted(len(rec[k].split()) for rec in records)
        if words[len(words) // 2] < 2:
            return False
    return True


def _is_number(value: str) -> bool:
    return _NUMBER.fullmatch(value.strip()) is not None


def _column_note(name: str, values: list[str]) -> str:
    cells = [v.strip() for v in values if v.strip()]
    if not cells:
        return f"{name}: empty"
    if all(_is_number(v) for v in cells):
        nums = [float(v) for v in cells]
        lo, hi = min(nums), max(nums)

        def fmt(x: float) -> str:
            return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.6g}"

        return f"{name}: {fmt(lo)}..{fmt(hi)}"
    distinct = len(set(cells))
    if distinct == 1:
        return f"{name}: all {cells[0][:30]!r}"
    return f"{name}: {distinct} distinct"


def _problem_record(cells: list[str]) -> bool:
    """A row that reports a failure: a cell that says so by itself ("error", "FAILED")."""
    return any(len(c) <= 14 and _ERROR_VALUE.fullmatch(c.strip()) for c in cells)


def _compress_table(
    rows: list[str | None], hint: str | None
) -> tuple[set[int], dict[int, str]] | None:
    index = [i for i, r in enumerate(rows) if r is not None]
    body = [rows[i] or "" for i in index]
    delim = _delimiter(body, hint)
    if delim is None:
        raise _Bail
    records: list[tuple[int, int, list[str]]] = []  # first and last line index, fields
    reader = csv.reader(
        (line.rstrip("\r") for line in body),
        delimiter=delim,
        strict=False,
    )
    pos = 0
    width = None
    try:
        for rec in reader:
            end = reader.line_num
            a, b = pos, end - 1
            pos = end
            line = body[a]
            if not line.strip() or line.startswith("#"):
                continue
            records.append((index[a], index[b], rec))
            if width is None:
                width = len(rec)
    except csv.Error:
        raise _Bail from None
    if width is None or len(records) < HEAD_ROWS + TAIL_ROWS + MIN_TABLE_DROP + 1:
        raise _Bail
    irregular = sum(1 for _, _, rec in records if len(rec) != width)
    if hint is None and irregular > 0.05 * len(records):
        raise _Bail
    width = max(len(rec) for _, _, rec in records)
    header = records[0][2]
    named = _has_header(records)
    head = 1 + HEAD_ROWS if named else HEAD_ROWS
    middle = records[head : len(records) - TAIL_ROWS]
    middle = [r for r in middle if not _problem_record(r[2])]
    if len(middle) < MIN_TABLE_DROP:
        return None
    names = (
        [" ".join(c.split())[:24] or f"col{k + 1}" for k, c in enumerate(header)] if named else []
    )
    names += [f"col{k + 1}" for k in range(len(names), width)]
    # Runs of dropped rows (a kept comment or problem row splits them).
    runs: list[list[tuple[int, int, list[str]]]] = []
    for rec in middle:
        if (runs and runs[-1][-1][1] + 1 == rec[0]) or (
            runs
            and all(
                rows[k] is None or not (rows[k] or "").strip()
                for k in range(runs[-1][-1][1] + 1, rec[0])
            )
        ):
            runs[-1].append(rec)
        else:
            runs.append([rec])
    dropped: set[int] = set()
    out_notes: dict[int, str] = {}
    for run in runs:
        if len(run) < MIN_TABLE_DROP:
            continue
        dropped.update(range(run[0][0], run[-1][1] + 1))
        notes: list[str] = []
        for k, name in enumerate(names[:NOTE_COLUMNS]):
            notes.append(_column_note(name, [r[2][k] if k < len(r[2]) else "" for r in run]))
        if len(names) > NOTE_COLUMNS:
            notes.append(f"{len(names) - NOTE_COLUMNS} more columns")
        out_notes[run[0][0]] = f"{len(run)} rows ({'; '.join(notes)})"
    if not dropped:
        return None
    return set(range(len(rows))) - dropped, out_notes


_SHAPE = re.compile(r"[A-Z]+|[a-z]+|[0-9]+")


def _shape(cell: str) -> str:
    return _SHAPE.sub(
        lambda m: "A" if m.group()[0].isupper() else "a" if m.group()[0].islower() else "9",
        cell.strip(),
    )


def _has_header(records: list[tuple[int, int, list[str]]]) -> bool:
    """Does the first row name the columns? Its cells look unlike the cells below them."""
    header = records[0][2]
    if any(_is_number(c) or not c.strip() or len(c) > 60 for c in header):
        return False
    sample = [rec for _, _, rec in records[1:41]]
    differ = 0
    for k, cell in enumerate(header):
        shapes = {_shape(rec[k]) for rec in sample if k < len(rec)}
        if _shape(cell) not in shapes:
            differ += 1
    return differ >= max(1, (len(header) + 1) // 2)


# --------------------------------------------------------------------------- sniff
