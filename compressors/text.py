"""Line-level text helpers shared by compressors. Each keeps the line count."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, count
from operator import add

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


# Every match of ERROR_RE contains one of these, casefolded (``^E\s`` and ``TS\d`` aside).
_PROBLEM_WORDS = (
    "error",
    "fatal",
    "fail",
    "panic",
    "exception",
    "traceback",
    "assert",
    "segmentation fault",
    "abort",
    "denied",
    "refused",
    "time",
    "not found",
    "cannot",
    "can't",
    "unable to",
    "warning",
)
# Letters that IGNORECASE matches to ASCII ones: long s, Kelvin sign, dotted and dotless i.
_FOLD_TRAPS = "\u017f\u212a\u0130\u0131"
_TS_CODE = re.compile(r"ts\d{4}")
_TS_CODE_BYTES = re.compile(rb"ts\d{4}")


def problem_lines(lines: list[str]) -> set[int]:
    """Indices of the lines ``is_problem`` accepts, found without a regex per line: a
    search per word of the vocabulary over the whole text, then the regex on the few
    lines that contain one (searching every line costs some 150 ms per MB)."""
    text = "\n".join(lines)
    # UTF-8 with ASCII letters lowered is quick to make and search; text with a letter
    # that IGNORECASE equates to an ASCII one is casefolded instead. Neither adds or
    # removes a newline, so line starts still hold.
    folded: str | bytes
    if text.isascii() or not any(c in text for c in _FOLD_TRAPS):
        folded = text.encode("utf-8", "surrogatepass").lower()
    else:
        folded = text.casefold()
    nl: str | bytes = "\n" if isinstance(folded, str) else b"\n"

    def word(w: str) -> str | bytes:
        return w if isinstance(folded, str) else w.encode()

    sizes = accumulate(map(len, folded.split(nl)), initial=0)  # type: ignore[arg-type]
    starts = list(map(add, sizes, count()))
    n = len(lines)
    found: set[int] = set()
    for w in _PROBLEM_WORDS:
        needle = word(w)
        pos = folded.find(needle)  # type: ignore[arg-type]
        while pos >= 0:
            k = bisect_right(starts, pos) - 1
            found.add(k)
            if k + 1 >= n:
                break
            pos = folded.find(needle, starts[k + 1])  # type: ignore[arg-type]
    pattern = _TS_CODE if isinstance(folded, str) else _TS_CODE_BYTES
    for m in pattern.finditer(folded):  # type: ignore[arg-type]
        found.add(bisect_right(starts, m.start()) - 1)
    if folded[:1] == word("e"):
        found.add(0)
    needle = word("\ne")
    pos = folded.find(needle)  # type: ignore[arg-type]
    while pos >= 0:  # lines that start with "E" (and a space, the regex checks)
        found.add(bisect_right(starts, pos))
        pos = folded.find(needle, pos + 1)  # type: ignore[arg-type]
    return {k for k in found if k < n and ERROR_RE.search(lines[k]) is not None}


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
