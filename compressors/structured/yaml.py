"""YAML (block style, several documents), parsed line by line into the tree."""

from __future__ import annotations

from trimline.compressors.structured.model import (
    _ERROR_KEY,
    _YAML_BLOCK,
    _YAML_KEY,
    _YAML_PROPS,
    _Bail,
    _Member,
    _Node,
    _problem,
    _root,
    _value_kind,
)
from trimline.compressors.structured.toml import _strip_comment

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
