"""Folding a parsed tree: collections keep their ends, every key path and every error stays."""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate

from trimline.compressors.structured.model import (
    _IDENT,
    _JSON_KEY,
    _NUMBER,
    HEAD_ITEMS,
    HEAD_SCALARS,
    LONG_VALUE,
    MIN_RUN_CHARS,
    MIN_RUN_ITEMS,
    NOTE_KEYS,
    TAIL_ITEMS,
    TAIL_SCALARS,
    TEXT_HEAD,
    TEXT_MIN,
    _Member,
    _Node,
)


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
