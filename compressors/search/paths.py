"""Path lists and count listings: noise directories and files without matches fold."""

from __future__ import annotations

import re

from trimline.compressors.search.model import NOISE_MIN
from trimline.compressors.search.shapes import _count_line
from trimline.compressors.text import NOISE_DIRS


def _noise_prefix(path: str, spare: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(prefix up to the noise directory, its name) when path lies strictly inside one;
    directories in ``spare`` are what the command asked for, never noise."""
    parts = (path.replace("\\", "/") if "\\" in path else path).split("/")
    del parts[-1]
    if NOISE_DIRS.isdisjoint(parts) and ".egg-info" not in path:
        return None
    pos = 0
    for part in parts:
        pos += len(part) + 1
        if part in spare:
            continue
        if part in NOISE_DIRS:
            return path[:pos], part
        if part.endswith(".egg-info"):
            return path[:pos], ".egg-info"
    return None


def _fold_paths(
    lines: list[str], meta: list[bool], count_mode: bool, spare: frozenset[str] = frozenset()
) -> dict[int, tuple]:
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
        found = _noise_prefix(path, spare)
        if found:
            inside[i] = found
            per_name[found[1]] = per_name.get(found[1], 0) + 1
    for i, (prefix, name) in inside.items():
        if per_name[name] >= NOISE_MIN:
            labels[i] = ("noise", prefix)
    return labels


# grep's notice for a binary file that matches (GNU grep before and after 3.5).
_BINARY = re.compile(r"(?:Binary file (.+) matches|grep: (.+): binary file matches)\s*$")
BINARY_KEPT = 2  # notices kept before the rest fold behind a count


def _fold_binary(lines: list[str], labels: dict[int, tuple]) -> None:
    """Many binary-file notices: the first few stay, the rest fold, counted by extension."""
    found = [(i, m) for i, line in enumerate(lines) if (m := _BINARY.match(line)) is not None]
    if len(found) <= BINARY_KEPT + 2:
        return
    for i, m in found[BINARY_KEPT:]:
        name = (m.group(1) or m.group(2)).rsplit("/", 1)[-1]
        dot = name.rfind(".")
        labels[i] = ("binary", name[dot:] if 0 < dot < len(name) - 1 else "no extension")
