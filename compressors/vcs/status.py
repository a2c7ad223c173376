"""git status: usage hints and untracked noise directories fold; every changed path stays."""

from __future__ import annotations

from trimline.compressors.text import NOISE_DIRS
from trimline.compressors.vcs.model import _STATUS_HINT, _STATUS_SECTIONS


def _noise_prefix(path: str) -> str | None:
    """The path up to the noise directory it lies strictly inside, if any."""
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1]
    parts = path.rstrip("/").split("/")  # a directory's own line is not inside it
    pos = 0
    for part in parts[:-1]:
        pos += len(part) + 1
        if part in NOISE_DIRS or part.endswith(".egg-info"):
            return path[:pos]
    return None


def _fold_status(lines: list[str], labels: dict[int, tuple]) -> None:
    section = ""
    groups: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        body = line[:-1] if line.endswith("\r") else line
        if body in _STATUS_SECTIONS:
            section = body
            continue
        if not body.strip():
            continue
        if body[:1] in (" ", "\t") and _STATUS_HINT.match(body):
            labels[i] = ("hint",)
            continue
        path = None
        if body.startswith("\t"):
            if section in ("Untracked files:", "Ignored files:"):
                path = body[1:]
        elif body.startswith(("?? ", "!! ")):
            path = body[3:]
        elif body.startswith(("? ", "! ")):
            path = body[2:]
        if path:
            prefix = _noise_prefix(path)
            if prefix:
                groups.setdefault(prefix, []).append(i)
    for prefix, members in groups.items():
        if len(members) >= 2:
            for i in members:
                labels[i] = ("noise", prefix)
