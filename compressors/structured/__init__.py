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

One module per format or part: see README.md in this folder.
"""

from __future__ import annotations

from collections.abc import Callable

from trimline.compressors.base import Context, Plan
from trimline.compressors.structured.claims import (
    _command_format,
    _ext_format,
    _read_path,
    claims,
)
from trimline.compressors.structured.folder import _Folder
from trimline.compressors.structured.json import _parse_json
from trimline.compressors.structured.model import (
    _CAT_N,
    _EDITOR_TOOLS,
    MAX_TEXT,
    MINIFIED,
    SNIFF_LINES,
    _Bail,
)
from trimline.compressors.structured.rows import _numbered_rows, content_rows
from trimline.compressors.structured.sniff import _sniff_toml, _sniff_yaml, sniff
from trimline.compressors.structured.table import _compress_table
from trimline.compressors.structured.toml import _assign, _parse_toml
from trimline.compressors.structured.yaml import _Yaml
from trimline.compressors.text import clean

KIND = "structured"
# web reads Read results with the same row helpers.
__all__ = ["KIND", "_numbered_rows", "claims", "compress", "content_rows", "sniff"]


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
