"""Path lists and count listings: noise directories and files without matches fold."""

from __future__ import annotations

from trimline.compressors.search.model import NOISE_MIN
from trimline.compressors.search.shapes import _count_line
from trimline.compressors.text import NOISE_DIRS


def _noise_prefix(path: str) -> tuple[str, str] | None:
    """(prefix up to the noise directory, its name) when path lies strictly inside one."""
    parts = (path.replace("\\", "/") if "\\" in path else path).split("/")
    del parts[-1]
    if NOISE_DIRS.isdisjoint(parts) and ".egg-info" not in path:
        return None
    pos = 0
    for part in parts:
        pos += len(part) + 1
        if part in NOISE_DIRS:
            return path[:pos], part
        if part.endswith(".egg-info"):
            return path[:pos], ".egg-info"
    return None


def _fold_paths(lines: list[str], meta: list[bool], count_mode: bool) -> dict[int, tuple]:
    labels: dict[int, tuple] = {}
    inside: dict[int, tuple[str, str]] = {}
    per_name: dict[str, int] = {}
    for i, line in enumerate(lines):
        if meta[i]:
            continue
        body = line[:-1] if line.endswith("\r") else line
        if not body or body == "--" or body.isspace():
            continue
        path = body
        if count_mode:
            counted = _count_line(body)
            if counted is None:
                continue
            path, zero = counted
            if zero:
                labels[i] = ("zero",)
                continue
        elif ": " in body:
            continue  # a message, not a path
        found = _noise_prefix(path)
        if found:
            inside[i] = found
            per_name[found[1]] = per_name.get(found[1], 0) + 1
    for i, (prefix, name) in inside.items():
        if per_name[name] >= NOISE_MIN:
            labels[i] = ("noise", prefix)
    return labels
