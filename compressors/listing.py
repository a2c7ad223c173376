"""Directory listings: ``ls`` (-l, -a, -R, -1), ``tree``, ``du``, ``exa``/``eza``,
and Claude Code's ``LS`` tool (an indented tree of ``- name`` bullets).

A listing is the answer itself, so every entry line is kept byte-exact (an
``ls -l`` line is kept or dropped whole, never rewritten), with two exceptions:

- the contents of noise directories (node_modules/, .git/, __pycache__/, .venv/,
  dist/, build/, ...) fold behind one marker per directory, which says how many
  entries it hides; the noise directory's own line stays. Only what lies below
  the listing's root counts: ``ls -la node_modules`` lists what was asked for.
- a single directory with very many entries keeps its first ``HEAD`` and last
  ``TAIL`` entries (and its subdirectories, when there are few); the middle
  folds behind a marker that counts the dropped entries by extension.

Headers (``total N``, ``dir:``), tree's ``N directories, M files`` summary,
error lines and anything else that is not an entry are always kept.

``find`` output is a path list and belongs to the search family.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from trimline.compressors.base import MARKER_PREFIX, Context, Plan, fold_runs
from trimline.compressors.shellcmd import first_program, targeted_dirs
from trimline.compressors.text import NOISE_DIRS, clean

KIND = "listing"

HEAD = 40  # entries a very long directory keeps from its start
TAIL = 10  # ... and from its end
LONG_DIR = 100  # a directory with more direct entries than this is "very long"
MAX_KEPT_DIRS = 20  # a long directory keeps its subdirectories when it has at most this many
SNIFF_LINES = 200
DETECT_LINES = 120


_LISTING_TOOLS = frozenset({"ls", "list_directory", "list_dir", "listdir"})
_PROGRAMS = frozenset({"ls", "tree", "du", "exa", "eza", "lsd", "dir", "vdir"})
_NAME_PROGRAMS = frozenset({"ls", "exa", "eza", "lsd", "dir", "vdir"})

# ls -l / eza -l entry: optional inode and block count, then the mode string.
_LONG = re.compile(r"(?:\s*[\d.,]+[KMGTPE]?\s+){0,2}([-.dlcbpsDn])[-rwxsStTlL]{9}[.@+*]?\s")
_SNIFF_LONG = re.compile(r"[dlcbps-][rwxsStT-]{9}[.@+]?\s+\d+")
_TOTAL = re.compile(r"total \d[\d.,]*[KMGTPEZYkB]?i?$")
_DATE = re.compile(
    r"\s(?:[^\W\d]{3,5}\.?\s+\d{1,2}|\d{1,2}\.?\s+[^\W\d]{3,5}\.?)\s+(?:\d{1,2}:\d\d|\d{4})\s"
    r"|\s\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?(?:\s[+-]\d{4})?\s"
)
_TREE = re.compile(r"([│| \xa0]*)(?:├──|└──|\|--|`--)[ \xa0](.*)")
_TREE_SUMMARY = re.compile(r"\d+ director(?:y|ies)(?:, \d+ files?)?\s*$")
_TREE_SIZE = re.compile(r"\[[^\]]{0,80}\]\s+")
_LS_ITEM = re.compile(r"( *)- (.*)")
_DU = re.compile(r"(\d[\d.,]*[KMGTPEZYkB]?i?)\t([^\t]*)")
_META = re.compile(
    r"Exit code \d+|Chunk ID:|Wall time:|Process exited with code|Original token count:"
    r"|Output:\s*$|Warning: truncated|</?persisted-output>|Output too large|</?system-reminder>"
    r"|NOTE: do any of the files above|There are more than \d+ characters in the repository"
    r"|" + re.escape(MARKER_PREFIX)
)


# --------------------------------------------------------------------------- claims


def _program(ctx: Context) -> str:
    found = first_program(ctx.command)
    return found[0] if found else ""


def claims(ctx: Context) -> bool:
    if ctx.tool.strip().lower() in _LISTING_TOOLS:
        return True
    return _program(ctx) in _PROGRAMS


# --------------------------------------------------------------------------- parsing


@dataclass(slots=True)
class _Item:
    """A line that belongs to the tree: an entry, or a section's own line."""

    entry: bool  # an entry (counts), or a header / total / blank / . / .. of a section
    root: int
    parts: tuple[str, ...]  # path below the root; a section line ends with ""
    is_dir: bool = False


_META_FIRST = frozenset("ECPOWN<T" + MARKER_PREFIX[0])


def _is_meta(line: str) -> bool:
    return line[:1] in _META_FIRST and _META.match(line) is not None


def _long_entry(body: str) -> tuple[str, bool] | None:
    """(name, is_dir) of an ``ls -l`` line."""
    m = _LONG.match(body)
    if m is None:
        return None
    kind = m.group(1)
    fields = body[m.start(1) :].split(None, 8)
    # The common layout: mode links owner group size month day time|year name.
    if len(fields) == 9 and fields[5].isalpha() and (":" in fields[7] or fields[7].isdigit()):
        name = fields[8]
    else:
        d = _DATE.search(body, m.end() - 1, m.end() + 200)
        name = body[d.end() :] if d is not None else (fields[-1] if fields else "")
    if kind == "l" and " -> " in name:
        name = name.split(" -> ", 1)[0]
    return name, kind == "d"


def _plain_name(body: str) -> bool:
    """Could this line be a name that ``ls -1`` printed (not code or prose)?"""
    return len(body) <= 400 and not body[0].isspace() and "\t" not in body


def _split(name: str) -> tuple[tuple[str, ...], bool]:
    if "/" not in name:
        return (name,), False
    is_dir = name.endswith("/")
    parts = tuple(p for p in name.split("/") if p)
    return (parts or (name,)), is_dir


class _Roots:
    """The top-level paths of a listing, each with the prefix its paths are shown with."""

    def __init__(self) -> None:
        self.display: list[str] = []
        self.index: dict[str, int] = {}

    def add(self, path: str, display: str) -> int:
        self.display.append(display)
        self.index.setdefault(path, len(self.display) - 1)
        return len(self.display) - 1

    def find(self, path: str) -> tuple[int, tuple[str, ...]] | None:
        """The shortest known root that path lies in, and the path below it."""
        pieces = path.split("/")
        for m in range(1, len(pieces) + 1):
            cand = "/".join(pieces[:m]) or "/"
            if cand in self.index:
                return self.index[cand], tuple(p for p in pieces[m:] if p)
        return None


def _ls_display(path: str) -> str:
    if path in (".", "./", ""):
        return ""
    return path if path.endswith("/") else path + "/"


def _is_noise(part: str, spare: frozenset[str]) -> bool:
    """A dependency, cache or build directory the command did not ask about by name."""
    return (part in NOISE_DIRS or part.endswith(".egg-info")) and part not in spare


def _noise_where(
    display: str, rel: tuple[str, ...], spare: frozenset[str] = frozenset()
) -> str | None:
    """Where a directory at rel lies inside a noise directory: that directory, shown."""
    for k, part in enumerate(rel):
        if _is_noise(part, spare):
            return display + "/".join(rel[: k + 1]) + "/"
    return None


def _parse_ls(
    lines: list[str], long: bool, spare: frozenset[str] = frozenset()
) -> tuple[dict[int, _Item], _Roots, dict[int, tuple]]:
    """ls output, flat or in ``dir:`` sections (-R, several arguments).

    The sections of directories inside noise directories are labelled here, in
    one cheap pass over their lines; every other line becomes an item.
    """
    items: dict[int, _Item] = {}
    labels: dict[int, tuple] = {}
    roots = _Roots()
    flat = roots.add("", "")
    cur_root, cur_rel = flat, ()
    sectioned = False
    noise: str | None = None  # the current section lies inside this noise directory
    after_break = True  # at the start, or after a blank line or marker
    for i, line in enumerate(lines):
        body = line[:-1] if line.endswith("\r") else line
        if not body or body.isspace():
            if noise is not None:
                labels[i] = ("noise", noise, False)
            elif sectioned:
                items[i] = _Item(False, cur_root, (*cur_rel, ""))
            after_break = True
            continue
        if _is_meta(body):
            after_break = True
            continue
        if (
            after_break
            and len(body) > 1
            and body.endswith(":")
            and not (long and _LONG.match(body))
            and not body.startswith(("ls: ", "eza: ", "exa: "))
        ):
            path = body[:-1]
            found = roots.find(path)
            if found is None:
                cur_root, cur_rel = roots.add(path, _ls_display(path)), ()
            else:
                cur_root, cur_rel = found
            sectioned = True
            noise = _noise_where(roots.display[cur_root], cur_rel, spare)
            if noise is not None:
                labels[i] = ("noise", noise, False)
            else:
                items[i] = _Item(False, cur_root, (*cur_rel, ""))
            after_break = False
            continue
        after_break = False
        if noise is not None:
            if long:
                if _LONG.match(body):
                    labels[i] = ("noise", noise, not body.endswith((" .", " ..")))
                elif _TOTAL.match(body):
                    labels[i] = ("noise", noise, False)
            elif not body.startswith(("ls: ", "eza: ", "exa: ")) and _plain_name(body):
                labels[i] = ("noise", noise, body not in (".", ".."))
            continue
        if _TOTAL.match(body):
            items[i] = _Item(False, cur_root, (*cur_rel, ""))
            continue
        if long:
            found_entry = _long_entry(body)
            if found_entry is None:
                continue
            name, is_dir = found_entry
        else:
            if body.startswith(("ls: ", "eza: ", "exa: ")) or not _plain_name(body):
                continue
            name, is_dir = body, False
        if name in (".", "..", "./", "../"):
            items[i] = _Item(False, cur_root, (*cur_rel, ""))
            continue
        parts, slash = _split(name)
        items[i] = _Item(True, cur_root, cur_rel + parts, is_dir or slash)
    return items, roots, labels


def _parse_indented(
    lines: list[str], tree: bool, spare: frozenset[str] = frozenset()
) -> tuple[dict[int, _Item], _Roots, dict[int, tuple]]:
    """tree output, or the LS tool's ``- name`` bullets: depth is indentation.

    The subtree of a noise directory is labelled as it is read.
    """
    items: dict[int, _Item] = {}
    labels: dict[int, tuple] = {}
    roots = _Roots()
    cur_root = -1
    stack: list[tuple[int, str, int]] = []  # (indent, name, line)
    skip = -1  # lines indented deeper than this lie inside a noise directory
    skip_line = -1
    skip_where = ""
    pattern = _TREE if tree else _LS_ITEM
    for i, line in enumerate(lines):
        body = line[:-1] if line.endswith("\r") else line
        m = pattern.match(body)
        if m is None:
            if tree and body.strip() and not _TREE_SUMMARY.match(body) and not _is_meta(body):
                name = _TREE_SIZE.sub("", body.strip(), count=1)
                cur_root, stack, skip = roots.add(name, _ls_display(name)), [], -1
            continue
        indent = m.end(1)
        if skip >= 0:
            if indent > skip:
                if "[error opening dir]" not in body:
                    labels[i] = ("noise", skip_where, True)
                if skip_line >= 0:
                    items[skip_line].is_dir = True
                    skip_line = -1
                continue
            skip = -1
        raw = m.group(2)
        if tree and raw.startswith("["):
            raw = _TREE_SIZE.sub("", raw, count=1)
        if not tree and indent == 0:
            cur_root, stack = roots.add(raw, ""), []
            continue
        if cur_root < 0:
            cur_root = roots.add("", "")
        if " -> " in raw:
            raw = raw.split(" -> ", 1)[0]
        if "[error opening dir]" in raw:
            continue  # an error: always kept
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if stack:
            items[stack[-1][2]].is_dir = True
        name = raw.rstrip("/").rsplit("/", 1)[-1] or raw
        parts = (*(s[1] for s in stack), name)
        items[i] = _Item(True, cur_root, parts, raw.endswith("/"))
        stack.append((indent, name, i))
        if _is_noise(name, spare):
            skip, skip_line = indent, i
            skip_where = roots.display[cur_root] + "/".join(parts) + "/"
    return items, roots, labels


def _parse_du(lines: list[str]) -> tuple[dict[int, _Item], _Roots, dict[int, tuple]]:
    """du output: a size, a tab, a path; a directory comes after its contents.

    Each path is shown below its highest listed ancestor (what du was given).
    """
    paths: dict[int, str] = {}
    for i, line in enumerate(lines):
        m = _DU.match(line[:-1] if line.endswith("\r") else line)
        if m:
            paths[i] = m.group(2)
    listed = set(paths.values())
    parents = {p.rpartition("/")[0] for p in listed}
    memo: dict[str, str | None] = {}

    def highest(path: str) -> str | None:
        chain: list[str] = []
        cur = path
        above: str | None = None
        while True:
            if cur in memo:
                above = memo[cur]
                break
            chain.append(cur)
            if "/" not in cur or cur == "/":
                break
            cur = cur.rpartition("/")[0] or "/"
        for c in reversed(chain):
            if above is None and c in listed:
                above = c
            memo[c] = above
        return memo[path]

    roots = _Roots()
    items: dict[int, _Item] = {}
    for i, path in paths.items():
        top = highest(path)
        if top is None or top == path:
            continue
        if top not in roots.index:
            roots.add(top, top.rstrip("/") + "/")
        prefix = top if top.endswith("/") else top + "/"
        rel = tuple(path[len(prefix) :].split("/"))
        if "" in rel:
            rel = tuple(p for p in rel if p)
        if rel:
            items[i] = _Item(True, roots.index[top], rel, path in parents)
    return items, roots, {}


def _detect(lines: list[str]) -> str | None:
    counts = Counter()
    total = 0
    for line in lines:
        body = line[:-1] if line.endswith("\r") else line
        if not body.strip() or _is_meta(body):
            continue
        total += 1
        if _LONG.match(body) or _TOTAL.match(body):
            counts["long"] += 1
        if _TREE.match(body):
            counts["tree"] += 1
        if _LS_ITEM.match(body):
            counts["lstool"] += 1
        if _DU.match(body):
            counts["du"] += 1
        if total >= DETECT_LINES:
            break
    if not total:
        return None
    mode, n = max(counts.items(), key=lambda kv: kv[1], default=("", 0))
    return mode if n >= 0.5 * total else None


# --------------------------------------------------------------------------- folding


def _ext(name: str, is_dir: bool) -> str:
    if is_dir:
        return "directories"
    dot = name.rfind(".")
    if dot <= 0 or dot == len(name) - 1 or len(name) - dot > 12:
        return "without extension"
    return name[dot:]


def _labels(
    items: dict[int, _Item],
    roots: _Roots,
    labels: dict[int, tuple],
    noise: bool,
    spare: frozenset[str] = frozenset(),
) -> dict[int, tuple]:
    if noise:
        for i, item in items.items():
            parts = item.parts
            for k in range(len(parts) - 1):
                part = parts[k]
                if _is_noise(part, spare):
                    where = roots.display[item.root] + "/".join(parts[: k + 1]) + "/"
                    labels[i] = ("noise", where, item.entry)
                    break
    groups: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for i, item in items.items():
        if item.entry and i not in labels:
            groups.setdefault((item.root, item.parts[:-1]), []).append(i)
    dropped: dict[tuple[int, tuple[str, ...]], str] = {}
    for (root, parent), members in groups.items():
        if len(members) <= LONG_DIR:
            continue
        where = roots.display[root] + "".join(p + "/" for p in parent)
        middle = members[HEAD:-TAIL]
        keep_dirs = sum(items[i].is_dir for i in middle) <= MAX_KEPT_DIRS
        for i in middle:
            item = items[i]
            if item.is_dir and keep_dirs:
                continue
            labels[i] = ("long", where, _ext(item.parts[-1], item.is_dir))
            dropped[(root, item.parts)] = where
    if dropped:
        for i, item in items.items():
            if i in labels:
                continue
            for m in range(1, len(item.parts)):
                where = dropped.get((item.root, item.parts[:m]))
                if where is not None:
                    labels[i] = ("under", where, item.entry)
                    break
    return labels


def _plural(n: int, word: str, plural: str) -> str:
    return f"{n:,} {word if n == 1 else plural}"


def _summary(labels: list[tuple]) -> str:
    noise: dict[str, int] = {}
    long: dict[str, Counter] = {}
    under: dict[str, int] = {}
    for label in labels:
        kind, where = label[0], label[1]
        if kind == "noise":
            noise[where] = noise.get(where, 0) + label[2]
        elif kind == "long":
            long.setdefault(where, Counter())[label[2]] += 1
        else:
            under[where] = under.get(where, 0) + 1
    parts: list[str] = []
    for where, n in list(noise.items())[:4]:
        parts.append(f"{_plural(n, 'entry', 'entries')} under {where}" if n else f"{where} listing")
    if len(noise) > 4:
        rest = sum(list(noise.values())[4:])
        parts.append(f"{_plural(rest, 'entry', 'entries')} under {len(noise) - 4} more directories")
    for where, counter in long.items():
        total = sum(counter.values())
        kinds = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{c:,} {ext}" for ext, c in kinds[:5])
        if len(kinds) > 5:
            shown += f", {sum(c for _, c in kinds[5:]):,} other"
        place = f" in {where}" if where else ""
        parts.append(f"{total:,} more {'entry' if total == 1 else 'entries'}{place}: {shown}")
    for where, n in under.items():
        parts.append(f"{_plural(n, 'line', 'lines')} inside folded entries of {where or './'}")
    return "; ".join(parts) or "listing"


def _ls_tool_hint(
    ctx: Context, roots: _Roots, labels: dict[int, tuple]
) -> Callable[[int, int], str]:
    name = ctx.tool.strip() or "LS"
    root = next(iter(roots.index), "")
    if not root.startswith("/"):
        base = ctx.tool_input.get("path")
        root = base if isinstance(base, str) else ""

    def hint(first: int, last: int) -> str:
        wheres = {labels[k][1] for k in range(first, last + 1) if k in labels}
        if len(wheres) == 1 and root.startswith("/"):
            return f"{name} path={root.rstrip('/')}/{next(iter(wheres)).rstrip('/')}"
        return f"{name} path={root}" if root else name

    return hint


# --------------------------------------------------------------------------- entry points


def sniff(text: str, ctx: Context) -> bool:
    lines = text[: 300 * SNIFF_LINES].split("\n", SNIFF_LINES)[:SNIFF_LINES]
    sample = [ln.rstrip("\r") for ln in lines]
    sample = [ln for ln in sample if ln.strip() and not _is_meta(ln)]
    if len(sample) < 5:
        return False
    longs = sum(1 for ln in sample if _SNIFF_LONG.match(ln))
    if _TOTAL.match(sample[0]) and _SNIFF_LONG.match(sample[1]):
        return True
    headers = sum(1 for ln in sample if _TOTAL.match(ln) or (ln.endswith(":") and "/" in ln))
    if longs >= 5 and longs + headers >= 0.8 * len(sample):
        return True
    trees = sum(1 for ln in sample if _TREE.match(ln))
    if trees >= 5 and trees >= 0.7 * len(sample):
        return True
    if sample[0].startswith("- /"):
        items = sum(1 for ln in sample if _LS_ITEM.match(ln))
        if items >= 0.8 * len(sample):
            return True
    du = [m for m in map(_DU.match, sample) if m]
    if len(du) >= 0.9 * len(sample):
        sizes = [m.group(1) for m in du]
        if all(x.isdecimal() and len(x) < 20 for x in sizes):
            steps = sum(1 for a, b in pairwise(sizes) if int(b) == int(a) + 1)
            if steps >= 0.5 * len(sizes):
                return False  # numbered lines (a Read result), not sizes
        paths = [m.group(2) for m in du]
        plain = sum(1 for p in paths if p and " " not in p and "<" not in p)
        pathish = sum(1 for p in paths if "/" in p or p == ".")
        return plain >= 0.8 * len(paths) and pathish >= 0.5 * len(paths)
    return False


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    mode = _detect(lines)
    if mode is None and (_program(ctx) in _NAME_PROGRAMS):
        mode = "names"
    if mode is None:
        return None
    # What the command names (ls node_modules, tree dist) is the answer, never noise.
    spare = targeted_dirs(ctx.command, ctx.tool_input)
    if mode in ("long", "names"):
        items, roots, labels = _parse_ls(lines, mode == "long", spare)
        labels = _labels(items, roots, labels, noise=False, spare=spare)
    elif mode in ("tree", "lstool"):
        items, roots, labels = _parse_indented(lines, tree=mode == "tree", spare=spare)
        labels = _labels(items, roots, labels, noise=False, spare=spare)
    else:
        items, roots, labels = _parse_du(lines)
        labels = _labels(items, roots, labels, noise=True, spare=spare)
    keep = {i for i in range(len(lines)) if i not in labels}
    plan_source = source if source != text else None
    if not labels:
        # Recognised, and nothing to drop: keep it all (no generic fallback).
        return Plan(KIND, keep, source=plan_source)
    notes = fold_runs(
        lines, keep, lambda a, b: _summary([labels[k] for k in range(a, b) if k in labels])
    )
    if len(keep) == len(lines):
        return Plan(KIND, keep, source=plan_source)
    hint = _ls_tool_hint(ctx, roots, labels) if mode == "lstool" and not ctx.command else None
    return Plan(KIND, keep, notes, hint=hint, source=plan_source)
