"""Limits, patterns, lockfile and generated-file names, and the parsed shapes of a diff and a log."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trimline.compressors.base import MARKER_PREFIX

WHOLE_COMMITS = 1  # commits of a log kept whole
CONTEXT = 1  # unchanged lines kept on each side of a change
MIN_FOLD = 2  # context runs shorter than this stay: a marker would cost more
MARKER_MARGIN = 1.2  # a run folds when it costs this much more than its marker
LOCK_HUNKS = 3  # a lockfile with more hunks keeps only its first @@ line
SNIFF_LINES = 200

_SUBCOMMANDS = frozenset({"diff", "show", "log", "status", "blame", "whatchanged"})

LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "Cargo.lock",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "Pipfile.lock",
        "go.sum",
        "composer.lock",
        "Gemfile.lock",
        "Podfile.lock",
        "pubspec.lock",
        "mix.lock",
        "flake.lock",
        "packages.lock.json",
        "gradle.lockfile",
    }
)
# Files people do not read line by line in a diff: minified bundles, source maps, snapshot
# files, generated protobuf code.
_GENERATED_SUFFIXES = (
    ".min.js", ".min.css", ".min.mjs", ".map", ".snap", ".ambr", ".pb.go", "_pb2.py",
    "_pb2.pyi", ".pb.h", ".pb.cc",
)  # fmt: skip
# Vendored and generated trees.
_GENERATED_DIRS = frozenset(
    {"dist", "vendor", "third_party", "node_modules", "__snapshots__", "__generated__"}
)
MINIFIED = 1000  # a changed line this long marks the file as minified or generated


_DIFF_GIT = re.compile(r"diff --(?:git|cc|combined) (.*)")
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_COMBINED_HUNK = re.compile(r"(@@@+) (?:-\d+(?:,\d+)? )+\+\d+(?:,(\d+))? @@@+")
_EXT_HEADER = (
    "index ",
    "old mode ",
    "new mode ",
    "deleted file mode ",
    "new file mode ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
    "Binary files ",
    "mode ",
)
_COMMIT = re.compile(r"[*|\\/ ]{0,40}commit ([0-9a-f]{7,64})\b")
_GRAPH_CHARS = frozenset("*|\\/ _.-")
_SNIFF_COMMIT = re.compile(r"commit [0-9a-f]{40}\b")
_STAT = re.compile(r" \S.{0,500}?\s\|\s+(?:\d+ ?[+-]*|Bin\b.*)\s*$")
_STAT_SUMMARY = re.compile(r" \d+ files? changed")
_BINARY_DATA = re.compile(r"[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]*$")
_STATUS_START = re.compile(
    r"On branch |HEAD detached (?:at|from) |Not currently on any branch|## |# branch\.|"
    r"interactive rebase in progress|You are currently "
)
_STATUS_SECTIONS = frozenset(
    {
        "Changes to be committed:",
        "Changes not staged for commit:",
        "Untracked files:",
        "Unmerged paths:",
        "Ignored files:",
    }
)
_STATUS_HINT = re.compile(r"\s+\((?:use |fix |all conflicts |commit or discard |see ).*\)\s*$")
_SHORT_STATUS = re.compile(r"([ MADRCUT?!]{2}) (.+)")
_BLAME = re.compile(r"\^?[0-9a-f]{7,40}\s+(?:\S+\s+)?\(.{0,80}?\d+\)")
_META = re.compile(
    r"Exit code \d+|Chunk ID:|Wall time:|Process exited with code|Original token count:"
    r"|Output:\s*$|Warning: truncated|</?persisted-output>|Output too large|</?system-reminder>"
    r"|" + re.escape(MARKER_PREFIX)
)


def _is_generated(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    if name in LOCKFILES or name.endswith(_GENERATED_SUFFIXES):
        return True
    return not _GENERATED_DIRS.isdisjoint(parts[:-1])


def _git_path(rest: str) -> str:
    """The (new) path of ``diff --git a/P b/P``; best effort for odd ones."""
    if rest.startswith("--cc ") or rest.startswith("--combined "):
        return rest.split(" ", 1)[1]
    n = (len(rest) - 1) // 2
    left, right = rest[:n], rest[n + 1 :]
    if len(rest) % 2 == 1 and rest[n] == " " and left[2:] == right[2:] and left[1:2] == "/":
        return right[2:]
    if left == right:  # --no-prefix
        return right
    m = re.search(r" b/(.*)$", rest)
    return m.group(1) if m else rest.rsplit(" ", 1)[-1]


def _header_path(body: str) -> str | None:
    """The path of a ``---``/``+++`` line ("" for /dev/null)."""
    path = body[4:].split("\t", 1)[0].rstrip()
    if path == "/dev/null":
        return ""
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1]
    if path[:2] in ("a/", "b/"):
        path = path[2:]
    return path


@dataclass(slots=True)
class _File:
    path: str
    generated: bool
    hunks: list[int] = field(default_factory=list)  # line of each @@
    body: list[tuple[int, str]] = field(default_factory=list)  # (line, "+", "-", " ", "\\")
    hunk_of: dict[int, int] = field(default_factory=dict)  # body line -> hunk number
    binary: list[int] = field(default_factory=list)  # binary patch data lines


@dataclass(slots=True)
class _Commit:
    sha: str
    line: int
    subject: int | None = None
    header: list[int] = field(default_factory=list)
    body: list[int] = field(default_factory=list)  # message body and blank lines
    stat: list[int] = field(default_factory=list)
