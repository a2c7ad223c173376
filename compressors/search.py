"""Search hits: grep, rg, ag, ack and git grep output, Grep/Glob tool results,
files-with-matches and count listings, and ``find`` path lists.

Content results (``path:line:text``, with ``path-line-text`` context lines and
``--`` separators, rg's heading layout, single-file ``line:text``) are grouped
by file in input order. Every file keeps its first hits, so every path stays
visible; a file's remaining hits fold behind one marker naming the file. The
per-file cap scales with the number of files, so small results pass untouched.
Overlong lines (minified bundles) drop behind a marker naming their file.

Path lists (files-with-matches, Glob, find) and count listings are the answer
itself: every path is kept except the contents of large noise directories
(node_modules/, .git/, __pycache__/, ...), which fold into one marker per run,
and, in count listings, files with zero matches.

Kept lines are never merged or rewritten.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable

from trimline.compressors.base import MARKER_PREFIX, Context, Plan, fold_runs
from trimline.compressors.shellcmd import first_program, git_subcommand, targeted_dirs
from trimline.compressors.text import NOISE_DIRS, clean

KIND = "search"

LONG_LINE = 300  # characters; longer hit/context lines are minified noise
BUDGET = 60  # hit and context lines that pass untouched in total
MIN_PER_FILE = 3  # lines every file keeps however many files share the budget
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


# --------------------------------------------------------------------------- claims


def claims(ctx: Context) -> bool:
    tool = ctx.tool.strip().lower()
    if tool in _SEARCH_TOOLS or "grep" in tool or "glob" in tool:
        return True
    cmd = ctx.command
    if not cmd:
        return False
    found = first_program(cmd)
    if found is None:
        return False
    name, args = found
    if name == "git" and git_subcommand(args)[0] == "grep":
        name = "git grep"
    return name in _SEARCH_PROGRAMS


# --------------------------------------------------------------------------- shapes


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


# --------------------------------------------------------------------------- content


Entry = tuple[str, "str | None"]  # (hit | ctx | sep, path)


def _same_file(head: str, cur: str, numbered: bool) -> str | None:
    if not head.startswith(cur):
        return None
    rest = head[len(cur) :]
    if numbered:
        if _SAME_HIT.match(rest):
            return "hit"
        if _SAME_CTX.match(rest):
            return "ctx"
        return None
    if rest.startswith(":"):
        return "hit"
    if rest.startswith("-"):
        return "ctx"
    return None


def _parse_prefixed(lines: list[str], meta: list[bool], numbered: bool) -> list[Entry | None]:
    """Each line's role in ``path:line:text`` (or ``path:text``) output."""
    entries: list[Entry | None] = [None] * len(lines)
    cur: str | None = None
    pending: list[int] = []  # maybe before-context of the next file's first hit
    for i, line in enumerate(lines):
        if meta[i] or not line.strip():
            pending.clear()
            continue
        if line.rstrip("\r") == "--":
            pending.clear()
            entries[i] = ("sep", cur)
            continue
        head = line[:PREFIX_SCAN]
        if cur is not None:
            kind = _same_file(head, cur, numbered)
            if kind:
                pending.clear()
                entries[i] = (kind, cur)
                continue
        if numbered:
            m = _HIT.match(head)
            path = m.group(1) if m else None
        else:
            path = _unnumbered_path(head)
        if path is None:
            pending.append(i)
            continue
        cur = path
        for j in pending:
            if _same_file(lines[j][:PREFIX_SCAN], path, numbered) == "ctx":
                entries[j] = ("ctx", path)
        pending.clear()
        entries[i] = ("hit", path)
    return entries


def _parse_heading(lines: list[str], meta: list[bool], default: str | None) -> list[Entry | None]:
    """Each line's role in rg's heading layout, or in one file's ``line:text`` output."""
    entries: list[Entry | None] = [None] * len(lines)
    cur = default
    for i, line in enumerate(lines):
        if meta[i] or not line.strip():
            continue
        body = line.rstrip("\r")
        if body == "--":
            entries[i] = ("sep", cur)
            continue
        m = _NUM.match(line)
        if m:
            entries[i] = ("hit" if m.group(2) == ":" else "ctx", cur)
        else:
            cur = body  # a heading: the file the next lines belong to
    return entries


def _size(lines: list[str], unit: list[int]) -> int:
    return sum(1 for i in unit if len(lines[i]) <= LONG_LINE)


def _cap_hits(
    lines: list[str], entries: list[Entry | None]
) -> tuple[dict[int, tuple], set[str | None]]:
    """Labels for the dropped lines; and the files that keep at least one line."""
    context = any(e is not None and e[0] != "hit" for e in entries)
    units: dict[str | None, list[list[int]]] = {}
    seps: list[int] = []
    open_path: object = object()  # the file whose unit the next line may extend
    for i, entry in enumerate(entries):
        if entry is None:
            open_path = object()
            continue
        kind, path = entry
        if kind == "sep":
            seps.append(i)
            open_path = object()
            continue
        file_units = units.setdefault(path, [])
        if context and open_path == path and file_units:
            file_units[-1].append(i)
        else:
            file_units.append([i])
        open_path = path

    # A unit's size: its lines short enough to keep.
    sizes_of = {
        path: [
            len(u) if len(u) == 1 and len(lines[u[0]]) <= LONG_LINE else _size(lines, u) for u in us
        ]
        for path, us in units.items()
    }
    total = sum(sum(sizes) for sizes in sizes_of.values())
    cap = total if total <= BUDGET else max(MIN_PER_FILE, BUDGET // max(1, len(units)))
    labels: dict[int, tuple] = {}
    visible: set[str | None] = set()
    for path, file_units in units.items():
        sizes = sizes_of[path]
        file_cap = cap if sum(sizes) > cap + SLACK else sum(sizes)
        kept = 0
        for unit, n in zip(file_units, sizes, strict=True):
            take = n > 0 and (kept == 0 or kept + n <= file_cap)
            if take:
                kept += n
                visible.add(path)
            for i in unit:
                kind = entries[i][0]  # type: ignore[index]
                if len(lines[i]) > LONG_LINE:
                    labels[i] = ("long", path, len(lines[i]), kind == "hit")
                elif not take:
                    labels[i] = (kind, path)
    for i in seps:
        before = i - 1 >= 0 and i - 1 in labels
        after = i + 1 < len(lines) and i + 1 in labels
        if before or after:
            labels[i] = ("sep", entries[i][1])  # type: ignore[index]
    return labels, visible


# --------------------------------------------------------------------------- path lists


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


# --------------------------------------------------------------------------- notes and hints


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _summary(items: list[tuple | None], visible: set[str | None]) -> str:
    files: dict[str | None, list[int]] = {}  # path -> [hits, other lines, long lines, max len]
    noise: dict[str, int] = {}
    binary: Counter[str] = Counter()
    zeros = 0
    for label in items:
        if label is None:
            continue
        kind = label[0]
        if kind == "binary":
            binary[label[1]] += 1
        elif kind == "noise":
            noise[label[1]] = noise.get(label[1], 0) + 1
        elif kind == "zero":
            zeros += 1
        elif kind == "sep":
            continue
        else:
            rec = files.setdefault(label[1], [0, 0, 0, 0])
            if kind == "long":
                rec[2] += 1
                rec[3] = max(rec[3], label[2])
                rec[0 if label[3] else 1] += 1
            else:
                rec[0 if kind == "hit" else 1] += 1
    parts: list[str] = []
    if binary:
        n = sum(binary.values())
        kinds = ", ".join(f"{c} {ext}" for ext, c in binary.most_common(3))
        more = f", {n - sum(c for _, c in binary.most_common(3))} other" if len(binary) > 3 else ""
        files_match = "binary file matches" if n == 1 else "binary files match"
        parts.append(f"{n} more {files_match} ({kinds}{more})")
    for path, (hits, others, longs, widest) in files.items():
        where = f" in {path}" if path else ""
        more = "more " if path in visible else ""
        long_note = f"{_plural(longs, 'long line')} of up to {widest:,} chars"
        if hits:
            text = f"{hits} {more}{'match' if hits == 1 else 'matches'}{where}"
            parts.append(text + (f" ({long_note})" if longs else ""))
        elif longs:
            parts.append(f"{long_note}{where}")
        else:
            parts.append(f"{_plural(others, 'context line')}{where}")
    if noise:
        shown = list(noise)[:4]
        dirs = ", ".join(shown) + (
            f" and {len(noise) - 4} more directories" if len(noise) > 4 else ""
        )
        parts.append(f"{_plural(sum(noise.values()), 'path')} under {dirs}")
    if zeros:
        parts.append(f"{_plural(zeros, 'file')} with no matches")
    return "; ".join(parts) or "search output"


def _arg(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and re.fullmatch(r"[\w./@+~-]+", value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _tool_hint(ctx: Context, labels: dict[int, tuple], mode: str) -> Callable[[int, int], str]:
    """For a search tool (no shell command): the call that brings a dropped run back."""
    name = ctx.tool.strip()
    lowered = name.lower()
    base = {k: v for k, v in ctx.tool_input.items() if k not in ("head_limit", "offset", "limit")}
    path_key = next((k for k in ("path", "directory", "dir_path") if k in base), "path")
    # Only a tool known to take a path (or already given one) is pointed elsewhere.
    known = lowered in _SEARCH_TOOLS or "grep" in lowered or "glob" in lowered
    can_target = known or path_key in base
    # Claude Code's Grep: output_mode picks content vs file lists.
    moded = "output_mode" in base or lowered == "grep"

    def hint(first: int, last: int) -> str:
        if not name:
            return "re-run the search"
        files: list[str] = []
        dirs: list[str] = []
        for k in range(first, last + 1):
            label = labels.get(k)
            if not label or label[0] in ("sep", "zero"):
                continue
            target = dirs if label[0] == "noise" else files
            if label[1] and label[1] not in target:
                target.append(label[1])
        args = dict(base)
        if can_target and len(files) == 1 and not dirs:
            args[path_key] = files[0]
        elif can_target and len(dirs) == 1 and not files:
            args[path_key] = dirs[0]
        if moded and files and mode in ("numbered", "plain", "heading"):
            args["output_mode"] = "content"
        shown = " ".join(f"{k}={_arg(v)}" for k, v in args.items())
        return f"{name} {shown}".strip()

    return hint


# --------------------------------------------------------------------------- entry points


def sniff(text: str, ctx: Context) -> bool:
    lines = text[: 200 * SNIFF_LINES].split("\n", SNIFF_LINES)[:SNIFF_LINES]
    sample = [ln.rstrip("\r") for ln in lines]
    sample = [ln for ln in sample if ln.strip() and ln != "--" and not _is_meta(ln)]
    if len(sample) < 5:
        return False
    hits = ctxs = diags = paths = noise = 0
    for line in sample:
        head = line[:512]
        m = _HIT.match(head)
        if m and _pathish(m.group(1)):
            hits += 1
            if _DIAG.match(head, m.end()):
                diags += 1
            continue
        m = _CTX.match(head)
        if m and _pathish(m.group(1)):
            ctxs += 1
        elif _pathish(line) and ("/" in line or "\\" in line):
            paths += 1
            if _noise_prefix(line):
                noise += 1
    if hits >= 3 and hits + ctxs >= 0.8 * len(sample) and diags <= 0.2 * hits:
        return True
    return len(sample) >= 20 and paths >= 0.9 * len(sample) and noise >= NOISE_MIN


# grep's notice for a binary file that matches (GNU grep before and after 3.5).
_BINARY = re.compile(r"(?:Binary file (.+) matches|grep: (.+): binary file matches)\s*$")
BINARY_KEPT = 2  # notices kept before the rest fold behind a count (issue 16, class 9)


def _fold_binary(lines: list[str], labels: dict[int, tuple]) -> None:
    """Many binary-file notices: the first few stay, the rest fold, counted by extension."""
    found = [(i, m) for i, line in enumerate(lines) if (m := _BINARY.match(line)) is not None]
    if len(found) <= BINARY_KEPT + 2:
        return
    for i, m in found[BINARY_KEPT:]:
        name = (m.group(1) or m.group(2)).rsplit("/", 1)[-1]
        dot = name.rfind(".")
        labels[i] = ("binary", name[dot:] if 0 < dot < len(name) - 1 else "no extension")


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    meta = [_is_meta(line) for line in lines]
    mode = _detect(lines, meta)
    if mode is None:
        return None
    visible: set[str | None] = set()
    if mode in ("count", "paths"):
        # find node_modules: the listing asked for is never folded (issue 16, class 1).
        spare = targeted_dirs(ctx.command, ctx.tool_input)
        labels = _fold_paths(lines, meta, mode == "count", spare)
    else:
        if mode == "heading":
            default = ctx.tool_input.get("path")
            entries = _parse_heading(lines, meta, default if isinstance(default, str) else None)
        else:
            entries = _parse_prefixed(lines, meta, mode == "numbered")
        labels, visible = _cap_hits(lines, entries)
    _fold_binary(lines, labels)
    keep = {i for i in range(len(lines)) if i not in labels}
    plan_source = source if source != text else None
    if not labels:
        # Recognised, and nothing to drop: keep it all (no generic fallback).
        return Plan(KIND, keep, source=plan_source)
    notes = fold_runs(
        lines,
        keep,
        lambda a, b: _summary([labels.get(k) for k in range(a, b)], visible),
        thrifty=False,
    )
    hint = None if ctx.command else _tool_hint(ctx, labels, mode)
    return Plan(KIND, keep, notes, hint=hint, source=plan_source)
