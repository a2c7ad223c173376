"""Line-level text helpers shared by compressors. Each keeps the line count."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


def resolve_redraws(line: str) -> str:
    """What a terminal shows for a line redrawn with carriage returns."""
    if "\r" not in line:
        return line
    end = "\r" if line.endswith("\r") else ""
    body = line[:-1] if end else line
    if "\r" not in body:
        return line
    return body.rsplit("\r", 1)[-1] + end


def clean(text: str) -> str:
    """ANSI codes and progress redraws removed, line by line (same line count)."""
    text = strip_ansi(text)
    if "\r" not in text:
        return text
    return "\n".join(resolve_redraws(line) for line in text.split("\n"))


_MASKS = [
    (re.compile(r"\b[0-9a-f]{7,64}\b"), "<h>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "<t>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
]


def mask(line: str) -> str:
    """The line's shape: hashes, timestamps and numbers replaced by placeholders."""
    for pattern, repl in _MASKS:
        line = pattern.sub(repl, line)
    return line


# Lines that report a problem, in most tools' words. Compressors never drop these.
ERROR_RE = re.compile(
    r"\b(?:error|errors|fatal|failed|failure|failures|panic(?:ked)?|exception|traceback"
    r"|assert(?:ion)?(?:error)?|segmentation fault|abort(?:ed)?|denied|refused|timed? ?out"
    r"|not found|cannot|can't|unable to|warning)\b|^E\s|\berror\[E\d+\]|\bTS\d{4,5}\b",
    re.IGNORECASE,
)


def is_problem(line: str) -> bool:
    return ERROR_RE.search(line) is not None


# Directories of dependencies, caches and build output: what listings and searches fold.
NOISE_DIRS = frozenset(
    {
        ".cache",
        ".eggs",
        ".git",
        ".gradle",
        ".hg",
        ".mypy_cache",
        ".next",
        ".nox",
        ".nuxt",
        ".parcel-cache",
        ".pytest_cache",
        ".ruff_cache",
        ".svn",
        ".terraform",
        ".tox",
        ".venv",
        "__pycache__",
        "bower_components",
        "build",
        "dist",
        "dist-packages",
        "htmlcov",
        "node_modules",
        "site-packages",
        "target",
        "venv",
    }
)
