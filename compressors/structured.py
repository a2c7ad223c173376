"""Structured data: pretty-printed JSON, YAML, TOML, and CSV/TSV tables.

From ``curl``/``gh api``/``kubectl -o json``/``npm view --json``/``jq`` output,
``cat`` of a data file, or a ``Read`` of one (numbered lines; the numbers stay,
markers use file line numbers and a ``Read`` hint). Lockfiles are left to the
code family, which sums them up as generated files.

JSON, YAML and TOML are parsed line by line into a tree of containers whose
members own whole lines. A collection -- an array, a stream of documents, or an
object whose many keys are data rather than schema (a "map": at least
``MAP_KEYS`` distinct keys at one path, all of one value kind, such as npm's
``time`` or a lock file's ``packages``) -- keeps its first and last members
and drops the middle behind one marker that names the count, the schema and
the path ("37 more items of {id, name, status} in .items"). Members are never
cut in half, and a member is kept anyway when it holds a key path not seen yet
(so every distinct key path of the document survives at least once) or an
error (``"error": "..."``, ``"status": "failed"``). Long values already seen
under the same key path, and the tails of long multi-line texts, are dropped.

CSV/TSV keeps the header, the first and last rows, and drops the middle behind
a marker with the row count and a note per column (numeric range or number of
distinct values). Single-line (minified) JSON has no lines to drop: it is left
to the generic fallback.

Kept lines are never merged or rewritten.
"""

from __future__ import annotations

import csv
import re
import shlex
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from itertools import accumulate

from trimline.compressors.base import MARKER_PREFIX, Context, Plan
from trimline.compressors.text import clean

KIND = "structured"

MAP_KEYS = 20  # distinct keys at one path, all values of one kind: a map of data
HEAD_ITEMS = 2  # container members kept at the start of a collection
TAIL_ITEMS = 1  # ... and at its end
HEAD_SCALARS = 3  # one-line members kept at the start of a collection
TAIL_SCALARS = 2
MIN_RUN_CHARS = 500  # a run of members this small is cheaper to keep than to mark
MIN_RUN_ITEMS = 1
LONG_VALUE = 1000  # characters: a one-line value this long is dropped once its key was seen
TEXT_HEAD = 4  # lines of a long multi-line value that stay
TEXT_MIN = 8  # ... when at least this many more would go
HEAD_ROWS = 10  # CSV rows kept after the header
TAIL_ROWS = 3
MIN_TABLE_DROP = 6  # CSV rows that must go for a marker to be worth it
NOTE_KEYS = 6  # keys named in a marker
NOTE_COLUMNS = 8  # CSV columns described in a marker
MINIFIED = 2000  # a one-line JSON document longer than this: nothing to do line-wise
MAX_TEXT = 8_000_000  # characters; larger inputs are left to the generic fallback
SNIFF_LINES = 200

_DATA_EXTS = {
    "json": "json",
    "geojson": "json",
    "jsonc": "json",
    "har": "json",
    "webmanifest": "json",
    "yaml": "yaml",
    "yml": "yaml",
    "toml": "toml",
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
}
_TOML_LOCKS = frozenset({"cargo.lock", "poetry.lock", "uv.lock", "pdm.lock", "gopkg.lock"})
# Lockfiles are data, but the code family sums them up as generated files: not claimed here.
_LOCKFILES = _TOML_LOCKS | frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pnpm-lock.yaml",
        "pipfile.lock",
        "composer.lock",
        "flake.lock",
        "packages.lock.json",
        "deno.lock",
    }
)
_READ_TOOLS = frozenset(
    {
        "read",
        "read_file",
        "readfile",
        "read_text_file",
        "view_file",
        "viewfile",
        "file_read",
        "open_file",
        "view",
        "cat",
    }
)
_EDITOR_TOOLS = frozenset({"str_replace_editor", "str_replace_based_edit_tool", "text_editor"})
_JSON_PROGRAMS = frozenset({"jq", "gojq", "jaq", "yq", "json_pp", "jless", "fx", "dasel"})
_PAGERS = frozenset({"head", "tail", "less", "more", "tee", "cat", "bat", "batcat"})
_VIEWERS = frozenset({"cat", "bat", "batcat", "head", "tail", "less", "more", "nl"})
_WRAPPERS = frozenset({"sudo", "time", "command", "exec", "nice", "nohup", "env", "builtin"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_FORMAT_VALUE = re.compile(r"(?:json|yaml|yml|jsonpath-as-json)\b", re.IGNORECASE)
_FORMAT_FLAGS = frozenset({"-o", "--output", "--format", "--out", "--output-format"})

_CAT_N = re.compile(r"\b(?:cat|bat)\s+-\w*n|(?:^|[|;&]\s*)nl\s")
# "12\tline" (Claude Code), "    12→line" (older Claude Code), "    12\tline" (cat -n).
_NUMBERED = re.compile(r" *(\d{1,9})(?:\t|→)")

_JSON_KEY = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*:\s*')
_YAML_KEY = re.compile(
    r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|((?![-?:,\[\]{}#&*!|>'"%@`\s])[^\n]*?|[-?:][^\s,\[\]{}][^\n]*?))[ \t]*:(?:[ \t]+|$)"""
)
_YAML_BLOCK = re.compile(r"[|>][-+0-9]*\s*(?:#.*)?$")
_YAML_PROPS = re.compile(r"(?:[&!][^\s]*\s*)+")
_TOML_HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]#]+?)\s*(\]\]?)\s*(?:#.*)?$")
_TOML_KEY = re.compile(
    r"""\s*((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=\s*"""
)
_TOML_PART = re.compile(r"""\s*([A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')\s*(?:\.|$)""")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ERROR_KEY = re.compile(
    r"(?:errors?|err|error_?message|exception|failures?|fatal|stderr)", re.IGNORECASE
)
_ERROR_VALUE = re.compile(
    r"""["']?(?:error|errored|fatal|failed|failure|failing|critical|panic|crashed)["']?,?""",
    re.IGNORECASE,
)
_EMPTY_VALUES = frozenset(
    {"", "null", "~", "false", "[]", "{}", '""', "''", "0", "none", "None", "nil"}
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class _Bail(Exception):
    """The text is not in the format tried."""


# --------------------------------------------------------------------------- claims


def _tool(ctx: Context) -> str:
    return ctx.tool.strip().lower()


def _lockfile(path: str) -> bool:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name in _LOCKFILES or name.endswith(".lock")


def _ext_format(path: str) -> str | None:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name in _TOML_LOCKS:
        return "toml"
    if "." not in name:
        return None
    return _DATA_EXTS.get(name.rsplit(".", 1)[-1])


def _words(line: str) -> list[str]:
    try:
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        return list(lex)
    except ValueError:
        return line.split()


def _segments(cmd: str, depth: int = 0) -> list[list[str]]:
    """The simple commands of a shell command line, in order (``bash -c`` unwrapped)."""
    out: list[list[str]] = []
    for line in cmd.replace("\\\n", " ").split("\n")[:50]:
        seg: list[str] = []
        for tok in [*_words(line), ";"]:
            if tok and set(tok) <= set("();|&!{}<>"):
                if seg:
                    out.extend(_unwrap(seg, depth))
                seg = []
            else:
                seg.append(tok)
    return out


def _unwrap(seg: list[str], depth: int) -> list[list[str]]:
    i = 0
    while i < len(seg):
        name = seg[i].rsplit("/", 1)[-1]
        if _ASSIGNMENT.match(seg[i]):
            i += 1
        elif name in _WRAPPERS or name == "timeout":
            i += 1
            while i < len(seg) and seg[i].startswith("-"):
                i += 1
            if name == "timeout":
                i += 1
        else:
            break
    seg = seg[i:]
    if not seg:
        return []
    name = seg[0].rsplit("/", 1)[-1]
    if name in _SHELLS and depth < 3:
        for k, arg in enumerate(seg[1:-1], 1):
            if arg.startswith("-") and not arg.startswith("--") and "c" in arg:
                return _segments(seg[k + 1], depth + 1)
    return [[name, *seg[1:]]]


def _producer(cmd: str) -> list[str] | None:
    """The command whose output the agent sees: the last one, pagers skipped."""
    segs = _segments(cmd)
    while segs:
        seg = segs[-1]
        files = [w for w in seg[1:] if not w.startswith("-") and not w.isdigit()]
        if seg[0] in _PAGERS and not files:
            segs.pop()
            continue
        return seg
    return None


def _command_format(cmd: str) -> str | None:
    """The data format a shell command prints, when its words say so."""
    seg = _producer(cmd)
    if not seg:
        return None
    name, args = seg[0], seg[1:]
    flags = [a for a in args if a.startswith("-")]
    if name in _VIEWERS:
        for arg in args:
            if not arg.startswith("-"):
                fmt = _ext_format(arg)
                if fmt:
                    return None if _lockfile(arg) else fmt
        return None
    if name in _JSON_PROGRAMS:
        raw = any(
            f in ("-r", "--raw-output", "-j", "--join-output") or f[:2] == "-r" for f in flags
        )
        if raw:
            text = " ".join(args)
            if "@csv" in text:
                return "csv"
            if "@tsv" in text:
                return "tsv"
            return None
        if any(f in ("-c", "--compact-output") for f in flags):
            return None
        return "yaml" if name == "yq" and not any("json" in f for f in flags) else "json"
    if re.fullmatch(r"python[\d.]*", name) and args[:1] == ["-m"] and len(args) > 1:
        if args[1] == "json.tool":
            return "json"
        name, args = args[1], args[2:]
    if name == "gh" and args[:1] == ["api"]:
        return "json"
    if name in ("docker", "podman") and args[:1] == ["inspect"]:
        return "json"
    if name in ("docker", "podman") and args[:2] == ["compose", "config"]:
        return "yaml"
    if name == "helm" and args[:1] == ["template"]:
        return "yaml"
    if name in ("kubectl", "oc") and args[:1] == ["kustomize"]:
        return "yaml"
    if name.startswith("pip") and args[:1] == ["inspect"]:
        return "json"
    for k, arg in enumerate(args):
        if arg == "--json" or arg.startswith("--json="):
            return "json"
        if arg in ("-ojson", "-oyaml", "-o=json", "-o=yaml"):
            return "json" if "json" in arg else "yaml"
        flag, eq, value = arg.partition("=")
        if flag in _FORMAT_FLAGS:
            if not eq:
                value = args[k + 1] if k + 1 < len(args) else ""
            if _FORMAT_VALUE.match(value):
                return "yaml" if "y" in value.lower()[:2] else "json"
    return None


def _read_path(ctx: Context) -> str:
    tool = _tool(ctx)
    if tool in _READ_TOOLS or (tool in _EDITOR_TOOLS and ctx.tool_input.get("command") == "view"):
        return ctx.file_path
    return ""


def claims(ctx: Context) -> bool:
    path = _read_path(ctx)
    if path:
        return _ext_format(path) is not None and not _lockfile(path)
    cmd = ctx.command
    if not cmd or len(cmd) > 10_000:
        return False
    return _command_format(cmd) is not None


# --------------------------------------------------------------------------- rows


def _numbered_rows(lines: list[str]) -> tuple[list[str | None], dict[int, int]] | None:
    """The text of a Read result's numbered lines (None elsewhere), and their numbers.

    Only the first run of consecutive numbers counts (a second one restarts its
    numbers); a run may jump over an earlier elision's marker line.
    """
    total = good = 0
    prev = None
    for line in lines[:SNIFF_LINES]:
        if not line.strip() or line.startswith(MARKER_PREFIX):
            prev = None if line.startswith(MARKER_PREFIX) else prev
            continue
        total += 1
        m = _NUMBERED.match(line)
        if m:
            n = int(m.group(1))
            if prev is None or n == prev + 1:
                good += 1
            prev = n
    if good < 3 or good < 0.9 * total:
        return None
    rows: list[str | None] = [None] * len(lines)
    numbers: dict[int, int] = {}
    prev = None
    started = jump = False
    for i, line in enumerate(lines):
        if line.startswith(MARKER_PREFIX):
            jump = True
            continue
        m = _NUMBERED.match(line)
        if m is None:
            if started:
                prev = -2  # unnumbered lines end the run
            continue
        n = int(m.group(1))
        if started and n != prev + 1 and not (jump and prev is not None and n > prev > 0):
            break
        started = True
        jump = False
        prev = n
        rows[i] = line[m.end() :]
        numbers[i] = n
    return rows, numbers


_WRAPPER = re.compile(
    r"(?:Exit code -?\d+|Chunk ID: .*|Wall time: .*|Process exited with code -?\d+"
    r"|Original token count: \d+|Output:|Warning: truncated output.*)\s*$"
)


def content_rows(
    lines: list[str], numbered: bool = True
) -> tuple[list[str | None], dict[int, int]]:
    """The document's lines (None for lines that are not part of it), and Read's numbers.

    A Read result's numbers are stripped; the agent harness's own header lines
    (``Exit code 1``, Codex's ``Chunk ID: ...`` ... ``Output:``) are not content.
    """
    found = _numbered_rows(lines) if numbered else None
    if found is not None:
        rows, numbers = found
        for i, row in enumerate(rows):
            if row is not None and row.lstrip().startswith(MARKER_PREFIX):
                rows[i] = None
        return rows, numbers
    rows: list[str | None] = list(lines)
    for i, line in enumerate(lines[:10]):
        if not _WRAPPER.match(line):
            break
        rows[i] = None
    if MARKER_PREFIX in "\n".join(lines):
        for i, line in enumerate(lines):
            if line.lstrip().startswith(MARKER_PREFIX):
                rows[i] = None  # an earlier elision: kept, and not part of the document
    return rows, {}


# --------------------------------------------------------------------------- the tree


class _Node:
    __slots__ = ("is_map", "kind", "members", "stream")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "obj" | "arr"
        self.members: list[_Member] = []
        self.is_map = False
        self.stream = ""  # a stream of documents: what to call them


class _Member:
    __slots__ = ("first", "key", "kind", "last", "value")

    def __init__(self, key: str | None, first: int, kind: str = "scalar") -> None:
        self.key = key
        self.first = first
        self.last = first
        self.kind = kind  # "obj" | "arr" | "scalar" | "text"
        self.value: _Node | None = None


def _value_kind(value: str) -> str:
    v = value.lstrip()
    if v.startswith("["):
        return "arr"
    if v.startswith("{"):
        return "obj"
    return "scalar"


# -- JSON


def _parse_json(rows: list[str | None]) -> tuple[_Node, list[int]]:
    """Pretty-printed JSON (one value, or a stream of values as jq prints them)."""
    roots: list[_Member] = []
    stack: list[tuple[_Node, _Member, str]] = []  # container, its member, closer
    problems: list[int] = []
    for i, row in enumerate(rows):
        if row is None:
            continue
        s = row.strip()
        if not s:
            continue
        if not stack:
            if s in ("{", "["):
                node = _Node("obj" if s == "{" else "arr")
                member = _Member(None, i, node.kind)
                member.value = node
                roots.append(member)
                stack.append((node, member, "}" if s == "{" else "]"))
            continue
        node, _, closer = stack[-1]
        if s[0] in "}]":
            if s.rstrip(",") != closer:
                raise _Bail
            _, member, _ = stack.pop()
            member.last = i
            continue
        if node.kind == "obj":
            m = _JSON_KEY.match(row)
            if m is None:
                raise _Bail
            key = m.group(1)
            if "\\" in key:
                key = _unescape(key)
            value = row[m.end() :].rstrip()
        else:
            key = None
            value = s
        c = value[:1]
        member = _Member(key, i, "arr" if c == "[" else "obj" if c == "{" else "scalar")
        node.members.append(member)
        if value in ("{", "["):
            child = _Node(member.kind)
            member.value = child
            stack.append((child, member, "}" if value == "{" else "]"))
        elif _problem(key, value.rstrip(",")):
            problems.append(i)
    if not roots:
        raise _Bail
    if stack:  # a truncated document: close what is open
        last = max(i for i, r in enumerate(rows) if r is not None and r.strip())
        for _, member, _ in stack:
            member.last = last
    return _root(roots), problems


def _unescape(key: str) -> str:
    try:
        import json

        return str(json.loads(f'"{key}"'))
    except ValueError:
        return key


def _root(roots: list[_Member], noun: str = "values") -> _Node:
    if len(roots) == 1 and roots[0].value is not None:
        return roots[0].value
    stream = _Node("arr")
    stream.stream = noun
    stream.members = roots
    return stream


def _problem(key: str | None, value: str) -> bool:
    """An error key with a value ("error": "disk full"), or a value that is an error word."""
    if (
        key is not None
        and len(key) <= 13
        and key[:1] in "eEfFsS"
        and _ERROR_KEY.fullmatch(key)
        and value.strip() not in _EMPTY_VALUES
    ):
        return True
    if len(value) > 16 or value.lstrip("\"'")[:1] not in "eEfFcCpP":
        return False  # cheap gates first: most values are not
    return _ERROR_VALUE.fullmatch(value.strip()) is not None


# -- YAML


class _Yaml:
    def __init__(self, rows: list[str | None]) -> None:
        self.rows = rows
        self.indent: list[int] = []
        self.sig: list[bool] = []
        self.problems: list[int] = []
        for row in rows:
            if row is None:
                self.indent.append(-1)
                self.sig.append(False)
                continue
            stripped = row.lstrip(" ")
            self.indent.append(len(row) - len(stripped))
            body = stripped.strip()
            self.sig.append(bool(body) and not body.startswith("#"))

    def parse(self) -> _Node:
        rows = self.rows
        docs: list[_Member] = []
        start: int | None = None
        n = len(rows)
        for i in range(n + 1):
            boundary = i == n
            if not boundary and rows[i] is not None:
                row = rows[i]
                assert row is not None
                boundary = (
                    (row.startswith("---") and (len(row) == 3 or row[3] in " \t\r"))
                    or row.rstrip() == "..."
                    or row.startswith("%")
                )
            if boundary:
                if start is not None:
                    docs.extend(self._document(start, i))
                start = None
            elif start is None:
                start = i
        if not docs:
            raise _Bail
        return _root(docs, "documents")

    def _document(self, lo: int, hi: int) -> list[_Member]:
        first = self._first_sig(lo, hi)
        if first is None:
            return []
        last = self._last_sig(lo, hi)
        node = self._block(first, hi, self.indent[first])
        if node is None:
            return []
        member = _Member(None, first, node.kind)
        member.value = node
        member.last = last
        return [member]

    def _first_sig(self, lo: int, hi: int) -> int | None:
        for i in range(lo, hi):
            if self.sig[i]:
                return i
        return None

    def _last_sig(self, lo: int, hi: int) -> int:
        for i in range(hi - 1, lo - 1, -1):
            if self.sig[i]:
                return i
        return lo

    def _is_dash(self, i: int, col: int) -> bool:
        row = self.rows[i]
        assert row is not None
        return row.startswith("-", col) and (len(row) == col + 1 or row[col + 1] in " \t\r")

    def _block(self, first: int, hi: int, col: int, virtual: bool = False) -> _Node | None:
        """The container whose first line is ``first`` (keys or dashes at ``col``)."""
        if not virtual and self._is_dash(first, col):
            return self._seq(first, hi, col)
        return self._map(first, hi, col, virtual)

    def _starts(self, first: int, hi: int, col: int, dash: bool, virtual: bool) -> list[int]:
        starts = [first]
        indent, sig = self.indent, self.sig
        for i in range(first + 1, hi):
            if not sig[i]:
                continue
            ind = indent[i]
            if ind < col:
                raise _Bail
            if ind == col and self._is_dash(i, col) == dash:
                starts.append(i)
        return starts

    def _seq(self, first: int, hi: int, col: int) -> _Node:
        node = _Node("arr")
        starts = self._starts(first, hi, col, True, False)
        for k, a in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else hi
            last = self._last_sig(a, end)
            row = self.rows[a]
            assert row is not None
            rest = row[col + 1 :]
            inner = col + 1 + len(rest) - len(rest.lstrip(" "))
            content = rest.strip()
            member = _Member(None, a)
            member.last = last
            self._value(member, content, a, end, inner, item=True)
            node.members.append(member)
        return node

    def _map(self, first: int, hi: int, col: int, virtual: bool) -> _Node:
        node = _Node("obj")
        starts = self._starts(first, hi, col, False, virtual)
        for k, a in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else hi
            row = self.rows[a]
            assert row is not None
            m = _YAML_KEY.match(row[col : col + 512])
            if m is None:
                raise _Bail
            key = m.group(1) if m.group(1) is not None else m.group(2)
            if key is None:
                key = m.group(3).rstrip()
            member = _Member(key, a)
            member.last = self._last_sig(a, end)
            content = row[col + m.end() :].strip()
            self._value(member, content, a, end, col, item=False)
            if _problem(key, _strip_comment(content)) or (
                member.value is not None and len(key) <= 13 and _ERROR_KEY.fullmatch(key)
            ):
                self.problems.append(a)
            node.members.append(member)
        return node

    def _value(self, member: _Member, content: str, a: int, end: int, col: int, item: bool) -> None:
        """Fill in what a key or dash line holds: a nested block, a text, or a scalar."""
        props = _YAML_PROPS.match(content) if content[:1] in "&!" else None
        bare = content[props.end() :] if props else content
        bare = _strip_comment(bare)
        if item and bare and (bare == "-" or bare.startswith("- ")):
            member.kind = "arr"  # a compact nested sequence: kept as it is
            return
        if item and bare and _YAML_KEY.match(bare[:512]) and not bare.startswith(("{", "[")):
            child = self._block(a, end, col, virtual=True)
            member.kind = "obj"
            member.value = child
            return
        if not bare:
            nxt = self._first_sig(a + 1, end)
            if nxt is None:
                return  # null
            ind = self.indent[nxt]
            if ind < col or (ind == col and not (not item and self._is_dash(nxt, col))):
                raise _Bail
            child = self._block(nxt, end, ind)
            if child is not None:
                member.kind = child.kind
                member.value = child
            return
        if bare[0] in "|>" and _YAML_BLOCK.match(bare):
            member.kind = "text"
            return
        if not item and end > a + 1 and self._is_dash_after(a, end, col):
            raise _Bail
        member.kind = _value_kind(bare)
        if item and member.kind == "scalar" and _problem(None, bare):
            self.problems.append(a)

    def _is_dash_after(self, a: int, end: int, col: int) -> bool:
        nxt = self._first_sig(a + 1, end)
        return nxt is not None and self.indent[nxt] == col and self._is_dash(nxt, col)


def _strip_comment(value: str) -> str:
    if "#" not in value or value[:1] in ("'", '"'):
        return value
    idx = value.find(" #")
    return value[:idx].rstrip() if idx >= 0 else value


# -- TOML


def _toml_path(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOML_PART.match(text, pos)
        if m is None or m.end() == pos:
            raise _Bail
        part = m.group(1)
        if part[:1] in ('"', "'"):
            part = part[1:-1]
        parts.append(part)
        pos = m.end()
    if not parts:
        raise _Bail
    return tuple(parts)


def _bracket_depth(value: str, depth: int) -> int:
    """Open brackets after ``value`` (strings and comments skipped)."""
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and value[j] != c:
                j += 2 if c == '"' and value[j] == "\\" else 1
            i = j + 1
            continue
        if c == "#":
            break
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return depth


class _TomlTable:
    __slots__ = ("array", "children", "first", "keys", "last", "node")

    def __init__(self, first: int, array: bool = False) -> None:
        self.first = first
        self.last = first
        self.array = array  # an array of tables: children are its elements
        self.children: dict[str, _TomlTable] = {}
        self.keys: list[_Member] = []
        self.node: list[_TomlTable] = []  # elements, for an array of tables


def _parse_toml(rows: list[str | None]) -> tuple[_Node, list[int]]:
    root = _TomlTable(-1)
    current = root
    problems: list[int] = []
    in_string: str | None = None
    open_member: _Member | None = None
    depth = 0
    headers = keys = 0
    for i, row in enumerate(rows):
        if row is None:
            continue
        if in_string is not None:
            current.last = i
            if in_string in row:
                in_string = None
                assert open_member is not None
                open_member.last = i
            continue
        if depth > 0:
            assert open_member is not None
            open_member.last = current.last = i
            depth = _bracket_depth(row, depth)
            continue
        s = row.strip()
        if not s or s.startswith("#"):
            continue
        h = _TOML_HEADER.match(row)
        if h and (h.group(1) == "[[") == (h.group(3) == "]]"):
            headers += 1
            path = _toml_path(h.group(2))
            table = root
            for part in path[:-1]:
                table = table.children.setdefault(part, _TomlTable(i))
                if table.array:
                    if not table.node:
                        raise _Bail
                    table = table.node[-1]
            name = path[-1]
            if h.group(1) == "[[":
                arr = table.children.get(name)
                if arr is None:
                    arr = table.children[name] = _TomlTable(i, array=True)
                elif not arr.array:
                    raise _Bail
                current = _TomlTable(i)
                arr.node.append(current)
            else:
                existing = table.children.get(name)
                if existing is not None and existing.array:
                    raise _Bail
                if existing is None:
                    existing = table.children[name] = _TomlTable(i)
                existing.first = min(existing.first, i)
                existing.last = max(existing.last, i)
                current = existing
            continue
        k = _TOML_KEY.match(row)
        if k is None:
            raise _Bail
        keys += 1
        current.last = i
        dotted = _toml_path(k.group(1))
        value = row[k.end() :]
        member = _Member(".".join(dotted) if len(dotted) > 1 else dotted[0], i, "scalar")
        stripped = value.strip()
        member.kind = _value_kind(stripped)
        if _problem(member.key, _strip_comment(stripped)):
            problems.append(i)
        for quote in ('"""', "'''"):
            if stripped.startswith(quote) and stripped.count(quote) == 1:
                in_string = quote
                member.kind = "text"
        if in_string is None and member.kind == "arr":
            depth = _bracket_depth(stripped, 0)
            if depth > 0:
                member.value = _Node("arr")
        current.keys.append(member)
        open_member = member
    if headers + keys < 2:
        raise _Bail
    # Multi-line arrays: one member per item line.
    for table in _walk_tables(root):
        for member in table.keys:
            if member.value is not None:
                for j in range(member.first + 1, member.last):
                    row = rows[j]
                    if row is None:
                        continue
                    s = row.strip()
                    if s and not s.startswith("#"):
                        member.value.members.append(_Member(None, j, _value_kind(s)))
    return _toml_node(root), problems


def _walk_tables(table: _TomlTable) -> list[_TomlTable]:
    out: list[_TomlTable] = []
    todo = [table]
    while todo:
        t = todo.pop()
        out.append(t)
        for child in t.children.values():
            todo.extend(child.node if child.array else [child])
    return out


def _toml_node(table: _TomlTable) -> _Node:
    node = _Node("obj")
    members = list(table.keys)
    for name, child in table.children.items():
        member = _Member(name, child.first)
        if child.array:
            arr = _Node("arr")
            for element in child.node:
                em = _Member(None, element.first, "obj")
                em.value = _toml_node(element)
                em.last = _span_end(element)
                arr.members.append(em)
            member.kind = "arr"
            member.value = arr
            member.last = max((m.last for m in arr.members), default=child.first)
            if arr.members:
                member.first = arr.members[0].first
        else:
            member.kind = "obj"
            member.value = _toml_node(child)
            member.last = _span_end(child)
        members.append(member)
    members.sort(key=lambda m: m.first)
    node.members = members
    return node


def _span_end(table: _TomlTable) -> int:
    end = table.last
    for child in table.children.values():
        for t in child.node if child.array else [child]:
            end = max(end, _span_end(t))
    return end


# --------------------------------------------------------------------------- key paths


def _assign(root: _Node, pair_at: list[int]) -> None:
    """Mark maps, and give every key line the id of its key path (-1: none, a map's key)."""
    ids: dict[tuple[str, str], int] = {}
    queue: deque[tuple[str, list[_Node]]] = deque([("", [root])])
    while queue:
        path, nodes = queue.popleft()
        children: dict[str, list[_Node]] = {}
        objs = [n for n in nodes if n.kind == "obj"]
        if objs:
            keys: dict[str, None] = {}
            kinds: set[str] = set()
            for n in objs:
                for m in n.members:
                    keys[m.key or ""] = None
                    kinds.add("scalar" if m.kind == "text" else m.kind)
            is_map = len(keys) >= MAP_KEYS and len(kinds) == 1
            for n in objs:
                n.is_map = is_map
                for m in n.members:
                    if is_map:
                        child = path + "{}"
                    else:
                        child = f"{path}.{m.key}"
                        pair = ids.setdefault((path, m.key or ""), len(ids))
                        if 0 <= m.first < len(pair_at):
                            pair_at[m.first] = pair
                    if m.value is not None:
                        children.setdefault(child, []).append(m.value)
        for n in nodes:
            if n.kind == "arr":
                for m in n.members:
                    if m.value is not None:
                        children.setdefault(path + "[]", []).append(m.value)
        queue.extend(children.items())


def _key_path(path: str, key: str) -> str:
    if _IDENT.fullmatch(key):
        return f"{path}.{key}"
    return f'{path}["{key}"]' if '"' not in key else f"{path}[{key!r}]"


# --------------------------------------------------------------------------- folding


class _Folder:
    def __init__(self, rows: list[str | None], pair_at: list[int], problems: list[int]) -> None:
        self.rows = rows
        self.pair_at = pair_at
        self.problems = sorted(problems)
        self.covered: set[int] = set()
        self.drops: list[tuple[int, int, str]] = []
        self.sizes = list(accumulate((len(r) + 1 if r is not None else 0 for r in rows), initial=0))

    def chars(self, a: int, b: int) -> int:
        return self.sizes[b + 1] - self.sizes[a]

    def fold(self, node: _Node, path: str, depth: int = 0) -> None:
        if depth > 200:
            return
        members = node.members
        n = len(members)
        scalars = all(m.value is None and m.first == m.last for m in members)
        head, tail = (HEAD_SCALARS, TAIL_SCALARS) if scalars else (HEAD_ITEMS, TAIL_ITEMS)
        if (
            not (node.kind == "arr" or node.is_map)
            or n <= head + tail + 1
            or any(members[k].last >= members[k + 1].first for k in range(n - 1))
        ):
            for i, m in enumerate(members):
                self.visit(node, i, m, path, depth)
            return
        pending: list[int] = []
        for i, m in enumerate(members):
            if i < head or i >= n - tail or self.must_keep(m):
                self.flush(node, pending, path, depth)
                pending = []
                self.visit(node, i, m, path, depth)
            else:
                pending.append(i)
        self.flush(node, pending, path, depth)

    def must_keep(self, m: _Member) -> bool:
        k = bisect_left(self.problems, m.first)
        if k < len(self.problems) and self.problems[k] <= m.last:
            return True
        pairs = set(self.pair_at[m.first : m.last + 1])
        pairs.discard(-1)
        return not pairs <= self.covered

    def flush(self, node: _Node, pending: list[int], path: str, depth: int) -> None:
        if not pending:
            return
        first, last = node.members[pending[0]], node.members[pending[-1]]
        a, b = first.first, last.last
        if len(pending) >= MIN_RUN_ITEMS and self.chars(a, b) >= MIN_RUN_CHARS:
            self.drops.append((a, b, self.describe(node, pending, path)))
            return
        for i in pending:
            self.visit(node, i, node.members[i], path, depth)

    def visit(self, node: _Node, i: int, m: _Member, path: str, depth: int) -> None:
        if node.stream:
            child = f"{path}[{i}]" if path else ""
        elif node.kind == "arr":
            child = f"{path}[{i}]"
        else:
            child = _key_path(path, m.key or "")
        pair = self.pair_at[m.first] if 0 <= m.first < len(self.pair_at) else -1
        seen = pair in self.covered
        if pair >= 0:
            self.covered.add(pair)
        if m.value is not None and m.value.members:
            self.fold(m.value, child, depth + 1)
            return
        shown = child or "."
        if m.last - m.first > TEXT_HEAD + TEXT_MIN:
            a = m.first + 1 + TEXT_HEAD
            if self.chars(a, m.last) >= MIN_RUN_CHARS and not self.must_keep(m):
                lines = m.last - m.first + 1
                self.drops.append((a, m.last, f"rest of the {lines}-line value of {shown}"))
            return
        row = self.rows[m.first]
        if (
            m.first == m.last
            and row is not None
            and len(row) > LONG_VALUE
            and (seen or (pair < 0 and i > 0))
            and not self.must_keep(m)
        ):
            self.drops.append((m.first, m.first, f"a {len(row):,}-character value of {shown}"))

    def describe(self, node: _Node, pending: list[int], path: str) -> str:
        members = [node.members[i] for i in pending]
        count = len(members)
        where = f" in {path}" if path else ""
        kinds = {m.kind for m in members}
        keys: dict[str, None] = {}
        if kinds == {"obj"}:
            for m in members[:50]:
                if m.value is not None:
                    for c in m.value.members:
                        keys[c.key or ""] = None
                        if len(keys) > NOTE_KEYS:
                            break
        shape = ""
        if keys:
            names = list(keys)
            shape = ", ".join(names[:NOTE_KEYS]) + (", ..." if len(names) > NOTE_KEYS else "")
            shape = f" of {{{shape}}}"
        if node.stream:
            return f"{count} more {node.stream}{shape}"
        if node.kind == "arr":
            noun = "items"
            if not keys:
                noun = {
                    frozenset({"arr"}): "arrays",
                    frozenset({"obj"}): "objects",
                }.get(frozenset(kinds), self.scalar_noun(members))
            return f"{count} more {noun}{shape}{where}"
        if keys:
            return f"{count} more entries{shape}{where}"
        kind = self.scalar_noun(members) if kinds <= {"scalar", "text"} else "nested"
        noun = {"strings": "string", "numbers": "number", "values": "scalar"}.get(kind, kind)
        return f"{count} more {noun} entries{where}"

    def scalar_noun(self, members: list[_Member]) -> str:
        strings = numbers = 0
        for m in members[:50]:
            row = self.rows[m.first] or ""
            value = row[_JSON_KEY.match(row).end() :] if _JSON_KEY.match(row) else row
            value = value.strip().rstrip(",").lstrip("- ")
            if value.startswith(('"', "'")):
                strings += 1
            elif _NUMBER.fullmatch(value):
                numbers += 1
        total = min(len(members), 50)
        if strings == total:
            return "strings"
        if numbers == total:
            return "numbers"
        return "values"


# --------------------------------------------------------------------------- CSV


def _delimiter(rows: list[str], hint: str | None) -> str | None:
    sample = [r for r in rows if r.strip() and not r.startswith("#")][:20]
    if len(sample) < 5:
        return None
    candidates = ["\t"] if hint == "tsv" else [","] if hint == "csv" else [",", "\t", ";", "|"]
    for delim in candidates:
        try:
            records = list(csv.reader(sample, delimiter=delim))
        except csv.Error:
            continue
        counts = [len(rec) for rec in records]
        if len(counts) != len(sample) or min(counts) < 2:
            continue
        if hint is not None:
            if max(counts) - min(counts) <= 2:
                return delim  # a named format: optional trailing columns are fine
            continue
        if delim == "\t":
            regular = max(counts) - min(counts) <= 1 and min(counts) >= 3
        else:
            regular = len(set(counts)) == 1 and counts[0] >= 3
        if regular and not _prose(records):
            return delim
    return None


def _prose(records: list[list[str]]) -> bool:
    """Sentences cut at their commas: every column holds several words."""
    width = min(len(rec) for rec in records)
    for k in range(width):
        words = sorted(len(rec[k].split()) for rec in records)
        if words[len(words) // 2] < 2:
            return False
    return True


def _is_number(value: str) -> bool:
    return _NUMBER.fullmatch(value.strip()) is not None


def _column_note(name: str, values: list[str]) -> str:
    cells = [v.strip() for v in values if v.strip()]
    if not cells:
        return f"{name}: empty"
    if all(_is_number(v) for v in cells):
        nums = [float(v) for v in cells]
        lo, hi = min(nums), max(nums)

        def fmt(x: float) -> str:
            return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.6g}"

        return f"{name}: {fmt(lo)}..{fmt(hi)}"
    distinct = len(set(cells))
    if distinct == 1:
        return f"{name}: all {cells[0][:30]!r}"
    return f"{name}: {distinct} distinct"


def _problem_record(cells: list[str]) -> bool:
    """A row that reports a failure: a cell that says so by itself ("error", "FAILED")."""
    return any(len(c) <= 14 and _ERROR_VALUE.fullmatch(c.strip()) for c in cells)


def _compress_table(
    rows: list[str | None], hint: str | None
) -> tuple[set[int], dict[int, str]] | None:
    index = [i for i, r in enumerate(rows) if r is not None]
    body = [rows[i] or "" for i in index]
    delim = _delimiter(body, hint)
    if delim is None:
        raise _Bail
    records: list[tuple[int, int, list[str]]] = []  # first and last line index, fields
    reader = csv.reader(
        (line.rstrip("\r") for line in body),
        delimiter=delim,
        strict=False,
    )
    pos = 0
    width = None
    try:
        for rec in reader:
            end = reader.line_num
            a, b = pos, end - 1
            pos = end
            line = body[a]
            if not line.strip() or line.startswith("#"):
                continue
            records.append((index[a], index[b], rec))
            if width is None:
                width = len(rec)
    except csv.Error:
        raise _Bail from None
    if width is None or len(records) < HEAD_ROWS + TAIL_ROWS + MIN_TABLE_DROP + 1:
        raise _Bail
    irregular = sum(1 for _, _, rec in records if len(rec) != width)
    if hint is None and irregular > 0.05 * len(records):
        raise _Bail
    width = max(len(rec) for _, _, rec in records)
    header = records[0][2]
    named = _has_header(records)
    head = 1 + HEAD_ROWS if named else HEAD_ROWS
    middle = records[head : len(records) - TAIL_ROWS]
    middle = [r for r in middle if not _problem_record(r[2])]
    if len(middle) < MIN_TABLE_DROP:
        return None
    names = (
        [" ".join(c.split())[:24] or f"col{k + 1}" for k, c in enumerate(header)] if named else []
    )
    names += [f"col{k + 1}" for k in range(len(names), width)]
    # Runs of dropped rows (a kept comment or problem row splits them).
    runs: list[list[tuple[int, int, list[str]]]] = []
    for rec in middle:
        if (runs and runs[-1][-1][1] + 1 == rec[0]) or (
            runs
            and all(
                rows[k] is None or not (rows[k] or "").strip()
                for k in range(runs[-1][-1][1] + 1, rec[0])
            )
        ):
            runs[-1].append(rec)
        else:
            runs.append([rec])
    dropped: set[int] = set()
    out_notes: dict[int, str] = {}
    for run in runs:
        if len(run) < MIN_TABLE_DROP:
            continue
        dropped.update(range(run[0][0], run[-1][1] + 1))
        notes: list[str] = []
        for k, name in enumerate(names[:NOTE_COLUMNS]):
            notes.append(_column_note(name, [r[2][k] if k < len(r[2]) else "" for r in run]))
        if len(names) > NOTE_COLUMNS:
            notes.append(f"{len(names) - NOTE_COLUMNS} more columns")
        out_notes[run[0][0]] = f"{len(run)} rows ({'; '.join(notes)})"
    if not dropped:
        return None
    return set(range(len(rows))) - dropped, out_notes


_SHAPE = re.compile(r"[A-Z]+|[a-z]+|[0-9]+")


def _shape(cell: str) -> str:
    return _SHAPE.sub(
        lambda m: "A" if m.group()[0].isupper() else "a" if m.group()[0].islower() else "9",
        cell.strip(),
    )


def _has_header(records: list[tuple[int, int, list[str]]]) -> bool:
    """Does the first row name the columns? Its cells look unlike the cells below them."""
    header = records[0][2]
    if any(_is_number(c) or not c.strip() or len(c) > 60 for c in header):
        return False
    sample = [rec for _, _, rec in records[1:41]]
    differ = 0
    for k, cell in enumerate(header):
        shapes = {_shape(rec[k]) for rec in sample if k < len(rec)}
        if _shape(cell) not in shapes:
            differ += 1
    return differ >= max(1, (len(header) + 1) // 2)


# --------------------------------------------------------------------------- sniff


def _sniff_json(lines: list[str]) -> bool:
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if first not in ("{", "[") or len(lines) < 4:
        return False
    try:
        _parse_json(list(lines))
    except (_Bail, RecursionError):
        return False
    return True


_YAML_SNIFF_KEY = re.compile(
    r"""(?:- )*(?:[A-Za-z_$][\w.$/@-]*|"[^"]*"|'[^']*')[ \t]*:(?=[ \t]+\S|[ \t]*$)"""
)


def _sniff_yaml(lines: list[str]) -> bool:
    keys = structural = nested = total = 0
    text_indent = -1  # inside a block scalar: lines deeper than this are its text
    for line in lines:
        body = line.strip()
        if not body:
            continue
        indent = len(line) - len(line.lstrip(" "))
        if text_indent >= 0:
            if indent > text_indent:
                continue
            text_indent = -1
        if body.startswith("#"):
            continue
        total += 1
        if indent or body.startswith("-"):
            nested += 1
        m = _YAML_SNIFF_KEY.match(body)
        if m:
            keys += 1
            structural += 1
            if _YAML_BLOCK.match(body[m.end() :].strip() or "x"):
                text_indent = indent + (len(body) - len(body.lstrip("- ")))
        elif body.startswith("- ") or body == "-" or body in ("---", "..."):
            structural += 1
    return total >= 8 and keys >= 5 and nested >= 2 and structural >= 0.85 * total


def _sniff_toml(lines: list[str]) -> bool:
    sig = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if len(sig) < 8:
        return False
    headers = sum(1 for ln in sig if _TOML_HEADER.match(ln))
    keys = sum(1 for ln in sig if _TOML_KEY.match(ln))
    return headers >= 2 and headers + keys >= 0.85 * len(sig)


def sniff(text: str, ctx: Context) -> bool:
    head = text[: 200 * SNIFF_LINES]
    lines = [ln.rstrip("\r") for ln in head.split("\n", SNIFF_LINES)][:SNIFF_LINES]
    if len(head) < len(text) or len(lines) == SNIFF_LINES:
        lines = lines[:-1]  # maybe cut short
    numbered = _numbered_rows(lines)
    if numbered is not None:  # a Read result: judge the file, not its line numbers
        lines = [row for row in numbered[0] if row is not None]
    if _sniff_json(lines) or _sniff_toml(lines) or _sniff_yaml(lines):
        return True
    sample = [ln for ln in lines if ln.strip()]
    if len(sample) < 10 or max(len(ln) for ln in sample[:20]) > 2000:
        return False
    return _delimiter(sample, None) is not None


# --------------------------------------------------------------------------- entry point


def _guess(rows: list[str | None]) -> list[str]:
    body = [r for r in rows[:SNIFF_LINES] if r is not None]
    first = next((r.strip() for r in body if r.strip()), "")
    order: list[str] = []
    if first[:1] in ("{", "["):
        order.append("json")
    if _sniff_toml(body):
        order.append("toml")
    if _sniff_yaml(body):
        order.append("yaml")
    order.append("csv")
    for fmt in ("json", "toml", "yaml"):
        if fmt not in order:
            order.append(fmt)
    return order


def _hint_factory(ctx: Context, number: Callable[[int], int]) -> Callable[[int, int], str]:
    tool = ctx.tool.strip() or "Read"
    path = ctx.file_path

    def hint(a: int, b: int) -> str:
        first, last = number(a), number(b)
        if tool.lower() in _EDITOR_TOOLS:
            return f"{tool} command=view path={path} view_range=[{first}, {last}]"
        return f"{tool} file_path={path} offset={first} limit={last - first + 1}"

    return hint


def compress(text: str, ctx: Context) -> Plan | None:
    if len(text) > MAX_TEXT:
        return None
    source = clean(text)
    lines = source.split("\n")
    read_path = _read_path(ctx)
    numbered = bool(read_path) or not ctx.command or bool(_CAT_N.search(ctx.command))
    rows, numbers = content_rows(lines, numbered=numbered)
    fmt = _ext_format(read_path) if read_path else None
    if fmt is None and ctx.command:
        fmt = _command_format(ctx.command)
    sig = [r for r in rows if r is not None and r.strip()]
    if not sig:
        return None
    if len(sig) == 1 and len(sig[0]) > MINIFIED:
        return None  # minified: no lines to drop
    order = _guess(rows)
    if fmt is not None:
        wanted = "csv" if fmt == "tsv" else fmt
        order = [wanted] + [f for f in order if f != wanted]
    result: tuple[set[int], dict[int, str]] | None = None
    for kind in order:
        try:
            result = _attempt(kind, rows, fmt)
        except (_Bail, RecursionError):
            continue
        break
    else:
        return None
    if result is None:
        return Plan(KIND, set(range(len(lines))), source=source if source != text else None)
    keep, notes = result
    plan = Plan(KIND, keep, notes, source=source if source != text else None)
    if numbers:

        def number(idx: int) -> int:
            return numbers.get(idx, idx + 1)

        plan.number = number
        if read_path:
            plan.hint = _hint_factory(ctx, number)
    return plan


def _attempt(kind: str, rows: list[str | None], fmt: str | None) -> tuple[set[int], dict] | None:
    if kind == "csv":
        return _compress_table(rows, fmt if fmt in ("csv", "tsv") else None)
    if kind == "json":
        root, problems = _parse_json(rows)
    elif kind == "yaml":
        parser = _Yaml(rows)
        root = parser.parse()
        problems = parser.problems
    else:
        root, problems = _parse_toml(rows)
    pair_at = [-1] * len(rows)
    _assign(root, pair_at)
    folder = _Folder(rows, pair_at, problems)
    folder.fold(root, "")
    if not folder.drops:
        return None
    dropped: set[int] = set()
    notes: dict[int, str] = {}
    for a, b, what in folder.drops:
        dropped.update(range(a, b + 1))
        notes[a] = what
    return set(range(len(rows))) - dropped, notes
