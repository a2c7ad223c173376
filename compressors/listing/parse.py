"""Listing formats parsed into items: ``ls`` (flat, -l, -R sections), ``tree``, Claude
Code's ``LS`` bullets and ``du``; the sections inside noise directories labelled as read."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from trimline.compressors.base import MARKER_PREFIX
from trimline.compressors.text import NOISE_DIRS

DETECT_LINES = 120

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
