"""Shared limits, patterns and the tree every parser builds: containers whose members own whole lines."""

from __future__ import annotations

import re

from trimline.compressors.base import EDITOR_TOOLS, READ_TOOLS

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
_READ_TOOLS = READ_TOOLS
_EDITOR_TOOLS = EDITOR_TOOLS
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
