"""Limits and patterns of search output: hit and context prefixes, notices, diagnostics."""

from __future__ import annotations

import re

from trimline.compressors.base import MARKER_PREFIX

LONG_LINE = 300  # characters; longer hit/context lines are minified noise
BUDGET = 60  # hit and context lines that pass untouched in total
MANY_FILES = 30  # more files than this with too many hits: hits listed as path:line:
MIN_PER_FILE = 2  # lines every file keeps however many files share the budget
SLACK = 2  # a file that overshoots its cap by at most this much keeps everything
NOISE_MIN = 10  # paths under one kind of noise directory before they fold
SNIFF_LINES = 200
PREFIX_SCAN = 2048  # a hit's path prefix is looked for in this many characters


_SEARCH_TOOLS = frozenset(
    {
        "grep",
        "glob",
        "grep_search",
        "search_files",
        "file_search",
        "find_files",
        "glob_search",
        "ripgrep",
        "rg",
        "find_by_name",
    }
)
_SEARCH_PROGRAMS = frozenset(
    {"grep", "egrep", "fgrep", "rg", "ag", "ack", "ack-grep", "find", "fd", "fdfind", "git grep"}
)

# path:line:text and path-line-text; the path is the shortest prefix that fits.
_HIT = re.compile(r"(.{1,1024}?):(\d+):")
_CTX = re.compile(r"(.{1,1024}?)-(\d+)-")
_NUM = re.compile(r"(\d+)([:-])")
_SAME_HIT = re.compile(r":\d+:")
_SAME_CTX = re.compile(r"-\d+-")
# Lines the search tool writes about itself (errors, headers, wrappers): always kept.
_META = re.compile(
    r"(?:grep|egrep|fgrep|rg|ag|ack|find|fd|git|xargs|bash|sh|zsh"
    r"|[Ee]rror|ERROR|[Ff]atal|FATAL|[Ww]arning|WARNING)\s*:"
    r"|Binary file .* matches"
    r"|Exit code \d+"
    r"|Found \d+ "
    r"|No (?:files|matches|results) found"
    r"|\[Showing results"
    r"|\(Results are truncated"
    r"|Chunk ID:|Wall time:|Process exited with code|Original token count:|Output:\s*$"
    r"|Warning: truncated"
    r"|</?persisted-output>|Output too large|</?system-reminder>"
    r"|" + re.escape(MARKER_PREFIX),
)
_META_FIRST = frozenset("gefrabxszwEFWBNCOP[(<" + MARKER_PREFIX[0])
# What makes path:line: lines diagnostics (compilers, linters, tracebacks), not hits.
_DIAG = re.compile(
    r"\d+:|\s*(?:error|warning|note|info|fatal|hint)\b|\s+in \w|\s*[A-Z]\d{3,4}\b"
    r"|\s*[A-Z]\w*(?:Error|Exception|Warning)\b"
)
