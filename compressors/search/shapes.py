"""What a search printed: numbered hits, plain hits, rg headings, counts, or a path list."""

from __future__ import annotations

from trimline.compressors.search.model import _CTX, _HIT, _META, _META_FIRST, _NUM, PREFIX_SCAN


def _is_meta(line: str) -> bool:
    return line[:1] in _META_FIRST and _META.match(line) is not None


def _pathish(s: str) -> bool:
    """Could this whole string be a file path?"""
    if not s or len(s) > 1024 or s != s.strip() or "\t" in s or ": " in s:
        return False
    if ":" in s[2:]:
        return False
    return "/" in s or "\\" in s or "." in s


def _unnumbered_path(head: str) -> str | None:
    """The path of a ``path:text`` line, if the part before the colon is one."""
    idx = head.find(":")
    if idx == 1 and head[2:3] in ("\\", "/"):  # C:\dir\file:text
        idx = head.find(":", 2)
    if idx <= 0:
        return None
    path = head[:idx]
    return path if _pathish(path) else None


def _count_line(line: str) -> tuple[str, bool] | None:
    """(path, is_zero) for a ``path:N`` count line."""
    head, sep, tail = line.rpartition(":")
    if not sep or not head or not tail.isdigit():
        return None
    return head, tail.strip("0") == ""


def _detect(lines: list[str], meta: list[bool]) -> str | None:
    """Which layout the output is in: content (numbered or not), heading, count, paths."""
    sample: list[str] = []
    for i, line in enumerate(lines):
        body = line.rstrip("\r")
        if meta[i] or not body.strip() or body == "--":
            continue
        sample.append(body)
        if len(sample) >= 1000:
            break
    total = len(sample)
    if not total:
        return None
    hits = ctxs = nums = counts = paths = plain = 0
    for line in sample:
        head = line[:PREFIX_SCAN]
        counted = _count_line(head) if len(line) <= PREFIX_SCAN else None
        if counted and _pathish(counted[0]):
            counts += 1
        m = _HIT.match(head)
        if m and _pathish(m.group(1)):
            hits += 1
        else:
            m = _CTX.match(head)
            if m and _pathish(m.group(1)):
                ctxs += 1
        if _NUM.match(head):
            nums += 1
        if _pathish(line):
            paths += 1
        if _unnumbered_path(head) is not None:
            plain += 1
    if counts >= 0.9 * total:
        return "count"
    if hits >= max(1, 0.05 * total) and hits + ctxs >= 0.8 * total:
        return "numbered"
    if nums >= 0.6 * total and nums + paths >= 0.9 * total:
        return "heading"
    if paths >= 0.8 * total:
        return "paths"
    if plain >= 0.6 * total:
        return "plain"
    return None
