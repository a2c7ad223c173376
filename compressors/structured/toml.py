"""TOML tables and arrays of tables, parsed line by line into the tree."""

from __future__ import annotations

from collections import deque

from trimline.compressors.structured.model import (
    _TOML_HEADER,
    _TOML_KEY,
    _TOML_PART,
    MAP_KEYS,
    _Bail,
    _Member,
    _Node,
    _problem,
    _value_kind,
)


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
