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


def problem_lines(lines: list[str]) -> set[int]:
    """Indices of the lines ``is_problem`` accepts, found without a regex per line (that
    costs some 150 ms per MB): a search per word of the vocabulary over the whole text,
    then a check of each hit on an ASCII line, or the regex on other lines hit."""
    text = "\n".join(lines)
    if text.isascii() or not any(c in text for c in _FOLD_TRAPS):
        return _bytes_problem_lines(text.encode("utf-8", "surrogatepass").lower(), lines)
    # A letter IGNORECASE equates to an ASCII one: casefold as IGNORECASE would (it never
    # adds or removes a newline) and check every line hit with the regex.
    folded = text.casefold()
    starts = list(map(add, accumulate(map(len, folded.split("\n")), initial=0), count()))
    n = len(lines)
    found: set[int] = {0}
    for w in _PROBLEM_WORDS:
        pos = folded.find(w)
        while pos >= 0:
            k = bisect_right(starts, pos) - 1
            found.add(k)
            if k + 1 >= n:
                break
            pos = folded.find(w, starts[k + 1])
    for m in _TS_CODE.finditer(folded):
        found.add(bisect_right(starts, m.start()) - 1)
    pos = folded.find("\ne")
    while pos >= 0:  # lines that start with "E" (and a space, the regex checks)
        found.add(bisect_right(starts, pos))
        pos = folded.find("\ne", pos + 1)
    return {k for k in found if k < n and ERROR_RE.search(lines[k]) is not None}


# Letters that IGNORECASE matches to ASCII ones: long s, Kelvin sign, dotted and dotless i.
_FOLD_TRAPS = "\u017f\u212a\u0130\u0131"
_TS_CODE = re.compile(r"ts\d{4}")
# For lower-cased ASCII: what may follow each word of the vocabulary where ERROR_RE matches
# (a word boundary before it is checked apart). Same matches as ERROR_RE on ASCII text.
_ASCII_TAILS = {
    w.encode(): re.compile(tail.encode())
    for w, tail in (
        ("error", r"error(?:s?\b|\[e\d+\])"),  # a literal first: found fast
        ("fatal", r"fatal\b"),
        ("fail", r"fail(?:ed|ures?)\b"),
        ("panic", r"panic(?:ked)?\b"),
        ("exception", r"exception\b"),
        ("traceback", r"traceback\b"),
        ("assert", r"assert(?:ion)?(?:error)?\b"),
        ("segmentation fault", r"segmentation fault\b"),
        ("abort", r"abort(?:ed)?\b"),
        ("denied", r"denied\b"),
        ("refused", r"refused\b"),
        ("time", r"timed? ?out\b"),
        ("not found", r"not found\b"),
        ("cannot", r"cannot\b"),
        ("can't", r"can't\b"),
        ("unable to", r"unable to\b"),
        ("warning", r"warning\b"),
    )
}
# No \b first: a pattern that starts with a literal is searched for fast (the boundary
# before it is checked apart).
_ASCII_TS_CODE = re.compile(rb"ts\d{4,5}\b")
_TS_WIDE = re.compile(rb"ts[\x80-\xff]")
_ERROR_CODE_WIDE = re.compile(rb"error\[e[\x80-\xff]")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
# What ``\s`` matches in an ASCII line (str patterns count \x1c-\x1f as space too).
_ASCII_SPACE = frozenset(b" \t\r\x0b\x0c\x1c\x1d\x1e\x1f")


def _bytes_problem_lines(folded: bytes, lines: list[str]) -> set[int]:
    """UTF-8 with ASCII letters lowered: hits on ASCII lines are checked here, exactly as
    ERROR_RE would match them; lines with other characters go to ERROR_RE itself."""
    all_ascii = folded.isascii()
    # Positions of sure matches (on an ASCII line) and of possible ones (elsewhere): each
    # word's own pattern finds its matches in C, the boundary before one is checked here.
    # On a line beyond ASCII the bytes pattern matches wherever the text pattern could.
    hits: list[int] = []
    maybe: list[int] = []
    for tail in (*_ASCII_TAILS.values(), _ASCII_TS_CODE):
        for m in tail.finditer(folded):
            pos = m.start()
            if not pos or folded[pos - 1] not in _WORD_BYTES:
                hits.append(pos)
    if not all_ascii:  # "error[E" or "TS" and digits beyond ASCII
        maybe += [m.start() for m in _ERROR_CODE_WIDE.finditer(folded)]
        maybe += [m.start() for m in _TS_WIDE.finditer(folded)]
    pos = 0 if folded[:1] == b"e" else folded.find(b"\ne")
    while pos >= 0:  # lines that start with "E" and a space
        at = pos if pos == 0 and folded[:1] == b"e" else pos + 1
        nxt = folded[at + 1 : at + 2]
        if nxt and nxt[0] in _ASCII_SPACE:
            hits.append(at)
        elif nxt and nxt[0] >= 0x80:  # perhaps a space beyond ASCII
            maybe.append(at)
        pos = folded.find(b"\ne", at)
    if not hits and not maybe:
        return set()
    starts = list(map(add, accumulate(map(len, folded.split(b"\n")), initial=0), count()))
    found = {bisect_right(starts, pos) - 1 for pos in hits}
    unsure = {bisect_right(starts, pos) - 1 for pos in maybe}
    if not all_ascii:
        wide = {k for k in found if not folded[starts[k] : starts[k + 1] - 1].isascii()}
        found -= wide
        unsure |= wide
    found.update(k for k in unsure - found if ERROR_RE.search(lines[k]) is not None)
    return found


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
