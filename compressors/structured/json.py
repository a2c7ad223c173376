"""Pretty-printed JSON, parsed line by line into the tree."""

from __future__ import annotations

from trimline.compressors.structured.model import (
    _JSON_KEY,
    _Bail,
    _Member,
    _Node,
    _problem,
    _root,
    _unescape,
)


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
