"""Version control output: ``git diff``, ``git show``, ``git log`` (default,
--stat, -p, --oneline) and ``git status`` (long, --short, --porcelain).

Diffs keep every ``diff --git`` line, every extended header (index, mode,
rename, ``Binary files ... differ``), every ``---``/``+++`` and ``@@`` line and
every ``+``/``-`` line: changed lines are never dropped. Only unchanged context
lines thin out, to ``CONTEXT`` lines next to each change, per hunk (hunk headers stay
as they were, and the marker's range names the output lines it stands for). Lockfiles
and generated files (package-lock.json, yarn.lock, Cargo.lock, go.sum,
*.min.js, *.map, dist/ ...) keep their headers and fold their changed lines
behind one marker that counts them; binary patch data folds likewise.

Logs keep the first ``WHOLE_COMMITS`` commits whole; later commits keep their
``commit <sha>`` line, Author/Date and the first line of their message, and fold
the message body and the --stat bars (not the stat's summary line). Their diffs
(``git log -p``) follow the diff rules above.

Status keeps the branch lines and every changed, staged and unmerged path; it
folds git's usage hints (``(use "git add <file>..." ...)``) and untracked or
ignored paths inside noise directories (node_modules/, __pycache__/, ...), per
directory.

``git blame`` is claimed but has no structure worth folding here: the generic
fallback handles long ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trimline.compressors.base import MARKER_PREFIX, Context, Plan, fold_runs, rerun_hint
from trimline.compressors.shellcmd import first_program, git_subcommand
from trimline.compressors.text import NOISE_DIRS, clean

KIND = "vcs"

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


# --------------------------------------------------------------------------- claims


def _subcommand(ctx: Context) -> str:
    found = first_program(ctx.command)
    if not found or found[0] != "git":
        return ""
    return git_subcommand(found[1])[0]


def claims(ctx: Context) -> bool:
    return _subcommand(ctx) in _SUBCOMMANDS


# --------------------------------------------------------------------------- diffs and logs


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


def _parse(lines: list[str]) -> tuple[list[_Commit], list[_File]]:
    commits: list[_Commit] = []
    files: list[_File] = []
    commit: _Commit | None = None
    file: _File | None = None
    state = "top"  # top | header | message | diffhead | hunk | chunk | binary
    old_left = new_left = 0
    ncols = 0
    graph = 0  # width of git log --graph's lanes before "commit"
    for i, line in enumerate(lines):
        body = line[:-1] if line.endswith("\r") else line
        if graph and state in ("header", "message", "stat", "top"):
            lanes = body[:graph]
            if set(lanes) <= _GRAPH_CHARS:
                body = body[graph:]
        if state == "hunk" and file is not None:
            c = body[:1]
            if c == "\\" and body.startswith("\\ "):
                file.body.append((i, "\\"))
                file.hunk_of[i] = len(file.hunks) - 1
                continue
            if old_left > 0 or new_left > 0:
                if c in (" ", "") and old_left > 0 and new_left > 0:
                    old_left -= 1
                    new_left -= 1
                    kind = " "
                elif c == "-" and old_left > 0:
                    old_left -= 1
                    kind = "-"
                elif c == "+" and new_left > 0:
                    new_left -= 1
                    kind = "+"
                else:
                    kind = ""
                if kind:
                    file.body.append((i, kind))
                    file.hunk_of[i] = len(file.hunks) - 1
                    continue
            state = "diffhead"
        elif state == "chunk" and file is not None:
            prefix = body[:ncols]
            if len(prefix) == ncols and set(prefix) <= {" ", "+", "-"}:
                kind = " " if prefix.strip() == "" else ("+" if "-" not in prefix else "-")
                file.body.append((i, kind))
                file.hunk_of[i] = len(file.hunks) - 1
                continue
            state = "diffhead"
        elif state == "binary" and file is not None:
            if body and _BINARY_DATA.match(body) and not body.startswith(("literal ", "delta ")):
                file.binary.append(i)
                continue
            if body.startswith(("literal ", "delta ")) or not body:
                continue
            state = "diffhead"

        m = _DIFF_GIT.match(body)
        if m:
            path = _git_path(m.group(1)) if body.startswith("diff --git") else m.group(1)
            file = _File(path, _is_generated(path))
            files.append(file)
            state = "diffhead"
            continue
        if state == "diffhead" and file is not None:
            if body.startswith(_EXT_HEADER):
                continue
            if body.startswith(("--- ", "+++ ")):
                path = _header_path(body)
                if path and (body.startswith("+++ ") or not file.path):
                    file.path = path
                    file.generated = _is_generated(path)
                continue
            if body == "GIT binary patch":
                state = "binary"
                continue
        if body.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            # A plain unified diff (diff -u), without a diff --git line.
            path = _header_path(lines[i + 1].rstrip("\r")) or _header_path(body) or ""
            file = _File(path, _is_generated(path))
            files.append(file)
            state = "diffhead"
            continue
        if file is not None and state == "diffhead":
            hm = _HUNK.match(body)
            if hm:
                old_left = int(hm.group(2)) if hm.group(2) is not None else 1
                new_left = int(hm.group(4)) if hm.group(4) is not None else 1
                file.hunks.append(i)
                state = "hunk"
                continue
            cm = _COMBINED_HUNK.match(body)
            if cm:
                ncols = len(cm.group(1)) - 1
                file.hunks.append(i)
                state = "chunk"
                continue
        cm = _COMMIT.match(body)
        if cm and not body.startswith(" "):
            commit = _Commit(cm.group(1), i)
            commits.append(commit)
            raw = line[:-1] if line.endswith("\r") else line
            graph = raw.find("commit ") if _COMMIT.match(raw) else 0
            file = None
            state = "header"
            continue
        if commit is None:
            continue
        if state == "header":
            if body.strip():
                commit.header.append(i)
            else:
                commit.body.append(i)
                state = "message"
            continue
        if state == "message":
            if body.startswith("    ") or not body.strip():
                if commit.subject is None and body.strip():
                    commit.subject = i
                else:
                    commit.body.append(i)
                continue
            if _STAT.match(body) or _STAT_SUMMARY.match(body):
                commit.stat.append(i)
                state = "stat"
                continue
            state = "top"
        elif state == "stat":
            if _STAT.match(body) or _STAT_SUMMARY.match(body) or not body.strip():
                commit.stat.append(i)
                continue
            state = "top"
    return commits, files


def _fold_diff(file: _File, labels: dict[int, tuple], lines: list[str]) -> None:
    if not file.generated and any(
        kind in "+-" and len(lines[i]) > MINIFIED for i, kind in file.body
    ):
        file.generated = True  # minified or data: one changed line is a whole bundle
        long_lines = True
    else:
        long_lines = False
    if file.generated:
        name = file.path.rsplit("/", 1)[-1]
        what = (
            "lockfile"
            if name in LOCKFILES
            else "long-line file"
            if long_lines
            else "generated file"
        )
        many = len(file.hunks) > LOCK_HUNKS
        for i, kind in file.body:
            labels[i] = ("lock", file.path, kind, len(file.hunks) if many else 0, what)
        if many:
            for i in file.hunks[1:]:
                labels[i] = ("lock", file.path, "@", len(file.hunks), what)
    else:
        _fold_context(file, labels, lines)
    for i in file.binary:
        labels[i] = ("binary", file.path)


def _fold_context(file: _File, labels: dict[int, tuple], lines: list[str]) -> None:
    """Per hunk, each run of unchanged lines keeps CONTEXT lines next to a change. A folded
    line's label carries its number in the new file, read off its hunk header (which stays
    as it was), so the marker can say which lines of the file it stands for."""
    by_hunk: dict[int, list[tuple[int, str]]] = {}
    for i, kind in file.body:
        by_hunk.setdefault(file.hunk_of[i], []).append((i, kind))
    for h, entries in by_hunk.items():
        hm = _HUNK.match(lines[file.hunks[h]])
        numbers: list[int] = []
        at = int(hm.group(3)) if hm else 0
        for _, kind in entries:
            numbers.append(at)
            if kind in (" ", "+"):
                at += 1
        n = len(entries)
        k = 0
        while k < n:
            if entries[k][1] != " ":
                k += 1
                continue
            j = k
            while j < n and entries[j][1] == " ":
                j += 1
            start = CONTEXT if k > 0 else 0  # a change comes before the run
            end = (j - k) - CONTEXT if j < n else (j - k)  # a change comes after it
            if end - start >= MIN_FOLD:
                for x in range(k + start, k + end):
                    labels[entries[x][0]] = ("ctx", file.path, numbers[x] if hm else 0)
            k = j


def _fold_commits(commits: list[_Commit], lines: list[str], labels: dict[int, tuple]) -> None:
    """Every commit keeps its id, its Author/Date (and Merge) lines and its subject; the
    message body after the subject and the --stat bars fold (the stat's summary line stays).
    The first commits stay whole: the newest is the one most often asked about, and
    ``git show`` of one commit is read in full."""
    if len(commits) < 2:
        return
    for commit in commits[WHOLE_COMMITS:]:
        after = commit.subject if commit.subject is not None else commit.line
        for i in commit.body:
            if i > after:
                labels[i] = ("body", commit.sha, bool(lines[i].strip()))
        for i in commit.stat:
            if not _STAT_SUMMARY.match(lines[i]):
                m = _STAT.match(lines[i])
                # The changed path, as the stat line spells it: the marker names every one.
                path = lines[i].split(" | ", 1)[0].strip() if m else ""
                labels[i] = ("stat", commit.sha, m is not None, path)


# --------------------------------------------------------------------------- status


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


# --------------------------------------------------------------------------- notes


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _summary(labels: list[tuple], see: str = "") -> str:
    ctx: dict[str, int] = {}
    spans: dict[str, list[int]] = {}  # path -> first and last new-file line of its context
    lock: dict[str, list[int]] = {}  # path -> [added, removed, hunks folded]
    binary: dict[str, int] = {}
    commits: dict[str, list[int]] = {}  # sha -> [header, body, stat files, stat lines]
    stat_paths: dict[str, list[str]] = {}  # sha -> the paths its folded stat bars list
    hints = 0
    noise: dict[str, int] = {}
    for label in labels:
        kind = label[0]
        if kind == "ctx":
            ctx[label[1]] = ctx.get(label[1], 0) + 1
            if label[2]:
                span = spans.setdefault(label[1], [label[2], label[2]])
                span[0], span[1] = min(span[0], label[2]), max(span[1], label[2])
        elif kind == "lock":
            rec = lock.setdefault(label[1], [0, 0, 0, label[4]])
            if label[2] == "+":
                rec[0] += 1
            elif label[2] == "-":
                rec[1] += 1
            rec[2] = max(rec[2], label[3])
        elif kind == "binary":
            binary[label[1]] = binary.get(label[1], 0) + 1
        elif kind == "stat" and label[3]:
            stat_paths.setdefault(label[1], []).append(label[3])
            rec = commits.setdefault(label[1], [0, 0, 0, 0])
            rec[2] += 1
            rec[3] += 1
        elif kind in ("meta", "body", "stat"):
            rec = commits.setdefault(label[1], [0, 0, 0, 0])
            if kind == "meta":
                rec[0] += 1
            elif kind == "body":
                rec[1] += label[2]
            else:
                rec[2] += label[2]
                rec[3] += 1
        elif kind == "hint":
            hints += 1
        elif kind == "noise":
            noise[label[1]] = noise.get(label[1], 0) + 1
    parts: list[str] = []
    for path, n in ctx.items():
        span = spans.get(path)
        if len(ctx) == 1 and span and span[1] - span[0] + 1 == n:
            # One file, one stretch: its line numbers say it all (the path is just above).
            parts.append("unchanged")
        else:
            parts.append(f"{_plural(n, 'unchanged line')} of {path}")
    for path, (added, removed, hunks, what) in lock.items():
        text = f"{what} diff: {_plural(added, 'line')} added, {removed:,} removed"
        text += f" in {hunks} hunks" if hunks else ""
        parts.append(text + (f"; see: {see} -- {path}" if see else ""))
    for path, n in binary.items():
        parts.append(f"binary patch data of {path} ({_plural(n, 'line')})")
    shas = list(commits)
    # A run with stat bars names every path they list, whatever the number of commits.
    for sha in shas if stat_paths else shas[:3]:
        header, body, stat_files, stat_lines = commits[sha]
        bits = []
        if header:
            bits.append("author and date")
        if body:
            bits.append(f"{_plural(body, 'more message line')}")
        if stat_lines:
            paths = stat_paths.get(sha, [])
            named = f": {', '.join(paths)}" if paths else ""
            bits.append(f"stat bars of {_plural(stat_files, 'file')}{named}")
        parts.append(f"{' and '.join(bits) or 'blank lines'} of commit {sha[:10]}")
    if len(shas) > 3 and not stat_paths:
        parts.append(f"and {len(shas) - 3} more commits")
    if hints:
        parts.append("git's usage hints")
    for prefix, n in list(noise.items())[:4]:
        parts.append(f"{_plural(n, 'untracked path')} under {prefix}")
    if len(noise) > 4:
        parts.append(f"paths under {len(noise) - 4} more directories")
    return "; ".join(parts) or "git output"


# --------------------------------------------------------------------------- entry points


def _sample(text: str) -> list[str]:
    lines = text[: 300 * SNIFF_LINES].split("\n", SNIFF_LINES)[:SNIFF_LINES]
    out = []
    for line in lines:
        body = line.rstrip("\r")
        if body.strip() and _META.match(body) is None:
            out.append(body)
    return out


def _is_short_status(line: str) -> bool:
    m = _SHORT_STATUS.match(line)
    return m is not None and m.group(1) != "  " and m.group(2)[:1] not in (" ", "")


def sniff(text: str, ctx: Context) -> bool:
    sample = _sample(text)
    if len(sample) < 2:
        return False
    first = sample[0]
    if _SNIFF_COMMIT.match(first):
        return any(line.startswith(("Author:", "Merge:")) for line in sample[1:4])
    if first.startswith(("On branch ", "HEAD detached at ", "HEAD detached from ")):
        return any(
            line in _STATUS_SECTIONS
            or line.startswith(
                ("Your branch ", "nothing to commit", "nothing added to commit", "no changes added")
            )
            for line in sample[1:30]
        )
    if first.startswith("## ") or first.startswith("# branch."):
        return all(_is_short_status(line) or line.startswith("# ") for line in sample[1:30])
    shorts = sum(1 for line in sample if _is_short_status(line))
    if len(sample) >= 3 and shorts == len(sample):
        return True
    for k, line in enumerate(sample):
        if line.startswith("diff --git "):
            return any(
                nxt.startswith(
                    ("@@ ", "index ", "Binary files ", "--- ", "new file mode", "deleted file mode")
                )
                for nxt in sample[k + 1 : k + 6]
            )
    return False


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    sub = _subcommand(ctx)
    sample = _sample(source)
    first = sample[0] if sample else ""
    if sub == "blame" or (not sub and _BLAME.match(first)):
        return None  # no structure to fold: the generic fallback takes long ones
    labels: dict[int, tuple] = {}
    if sub == "status" or (sub in ("", "status") and _STATUS_START.match(first)):
        _fold_status(lines, labels)
    else:
        commits, files = _parse(lines)
        if not commits and not files and sub not in ("log", "diff", "whatchanged"):
            return None  # e.g. git show HEAD:path prints a file
        _fold_commits(commits, lines, labels)
        for file in files:
            _fold_diff(file, labels, lines)
    keep = {i for i in range(len(lines)) if i not in labels}
    plan_source = source if source != text else None
    if not labels:
        # Recognised, and nothing to drop: keep it all (no generic fallback).
        return Plan(KIND, keep, source=plan_source)
    see = _see_command(ctx)
    notes = fold_runs(
        lines,
        keep,
        lambda a, b: _summary([labels[k] for k in range(a, b) if k in labels], see),
        thrifty=False,
    )
    for first, note in list(notes.items()):
        end = first
        while end < len(lines) and end not in keep:
            end += 1
        if not _pays(lines, first, end, note):
            del notes[first]
            keep.update(range(first, end))
    if len(keep) == len(lines):
        return Plan(KIND, keep, source=plan_source)
    # The first marker says how to get lines back; the later ones, one per stretch of
    # context, only which lines they stand for: a diff has many, and they add up.
    hint = rerun_hint(ctx)
    return Plan(KIND, keep, notes, source=plan_source, hint=lambda i, j: hint, ranges_suffice=True)


_SIMPLE_GIT = re.compile(r"git (?:diff|show|log)(?: [\w@^~./:=-]+)*")


def _see_command(ctx: Context) -> str:
    """The git command that shows one folded file: the call's own, limited to a path."""
    command = ctx.command.strip()
    if _SIMPLE_GIT.fullmatch(command) and len(command) <= 100:
        return command
    return ""


def _pays(lines: list[str], first: int, end: int, note: str) -> bool:
    """Do lines[first:end] cost clearly more than a short marker (no way back: the first
    marker gives it) would? Markers are dense in digits, hence the margin."""
    marker = len(f"{MARKER_PREFIX} {end - first} lines elided (lines {first}-{end}: {note})")
    return sum(map(len, lines[first:end])) + (end - first) >= MARKER_MARGIN * marker
