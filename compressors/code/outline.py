"""Source code outlines: a tree-sitter walk that offers candidate runs (function
bodies, docstring and comment tails, long values) to the budget."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from typing import Any

from trimline.compressors.base import Context
from trimline.compressors.code.files import _windowed
from trimline.compressors.code.nodes import (
    _ANONYMOUS,
    _BODIES,
    _COMMENTS,
    _CONTAINERS,
    _DECLARATION_LIKE,
    _DECLS,
    _FULL_NAMES,
    _FUNCS,
    _IMPORTS,
    _NAMED_PARTS,
    _NAMES,
)

BIG_ANONYMOUS = 150  # an anonymous function this long is a wrapper: look inside
MAX_DEPTH = 64  # nesting deeper than this is kept as it is (and the stack stays small)
# Characters of source. Tree-sitter parses a megabyte in some 300 ms here; with the walk and
# the budget a read costs about 1.3 ms per KB (a 234 KB file: 300 ms on a busy 2-core box),
# so past this size, to stay inside the proxy's 1 s budget for a block, definition lines are
# found by regex instead (some 0.8 ms per KB): the outline still names every definition.
MAX_SOURCE = 600_000
MAX_AVERAGE_LINE = 300  # characters; longer lines on average mean minified or generated text
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CLOSER = re.compile(r"[\s})\];,]*(?:end\b[\s;,)]*)?")


@lru_cache(maxsize=32)
def _grammar(lang: str) -> tuple[Any, Any] | None:
    """The language and a query for its interesting nodes (both immutable)."""
    try:
        import tree_sitter
        from tree_sitter_language_pack import get_language

        language = get_language(lang)  # type: ignore[arg-type]
        kinds = sorted(
            k for k in _FUNCS | _DECLS | _IMPORTS if language.id_for_node_kind(k, True) is not None
        )
        query = tree_sitter.Query(language, "[" + " ".join(f"({k})" for k in kinds) + "] @d")
    except Exception:
        return None
    return language, query


def _source_like(source: str, count: int) -> bool:
    """Source-like text: no binary noise, no minified walls (tree-sitter slows on both)."""
    if len(source) > MAX_AVERAGE_LINE * count:
        return False
    return len(_CONTROLS.findall(source)) <= len(source) // 200


class _Outline:
    """Walks one parsed segment and collects candidate runs: (first row, last row, what)."""

    def __init__(
        self, lang: str, rows: list[str], src: bytes, tree: Any, query: Any, bodies_only: bool
    ):
        import tree_sitter

        self.lang = lang
        self.rows = rows
        self.src = src
        self.bodies_only = bodies_only
        self.spans: list[tuple[int, int, str]] = []
        # Rows of comments that stand on their own lines (glue between members).
        self.comment_rows: set[int] = set()
        self.depth = 0
        found = tree_sitter.QueryCursor(query).captures(tree.root_node).get("d", [])
        self.found = found
        self.starts = sorted(n.start_byte for n in found)
        self.root = tree.root_node

    # -- helpers ---------------------------------------------------------
    def _text(self, node: Any) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _interesting_inside(self, node: Any) -> bool:
        i = bisect_left(self.starts, node.start_byte)
        while i < len(self.starts) and self.starts[i] == node.start_byte:
            i += 1  # the node itself, or a child starting where it starts
        return i < len(self.starts) and self.starts[i] < node.end_byte

    def _closer(self, row: int) -> bool:
        line = self.rows[row].strip()
        return bool(line) and _CLOSER.fullmatch(line) is not None

    def _short_name(self, node: Any | None) -> str | None:
        if node is None:
            return None
        text = self._text(node).strip()
        if not text or "\n" in text or len(text) > 60:
            return None
        return text

    def _name(self, node: Any) -> str | None:
        for field in ("name", "declarator", "left", "key", "pattern"):
            child = node.child_by_field_name(field)
            depth = 0
            while child is not None and depth < 6 and child.type not in _FULL_NAMES:
                inner = child.child_by_field_name("declarator") or child.child_by_field_name("name")
                if inner is None:
                    break
                child, depth = inner, depth + 1
            name = self._short_name(child)
            if name:
                return name
        for child in node.named_children:
            if child.type in _NAMES:
                return self._short_name(child)
            if child.type in _NAMED_PARTS:
                return self._name(child)
        return None

    def _function_name(self, node: Any) -> str:
        if node.type in _ANONYMOUS:
            name = self._short_name(node.child_by_field_name("name"))
        else:
            name = self._name(node)
        parent = node.parent
        if not name and parent is not None:
            if parent.type == "arguments" and parent.parent is not None:
                callee = self._short_name(parent.parent.child_by_field_name("function"))
                if callee:
                    return f"{callee} callback"
            elif parent.type not in _CONTAINERS:
                name = self._name(parent)
        return name or "anonymous function"

    def _body(self, node: Any) -> Any | None:
        body = node.child_by_field_name("body")
        if body is not None:
            return body
        for child in reversed(node.named_children):
            if child.type in _BODIES:
                return child
        return None

    def _header_end(self, node: Any, body: Any) -> int:
        """The last row of a definition's header (signature, up to the body's opening)."""
        if self.src[body.start_byte : body.start_byte + 1] == b"{":
            return body.start_point[0]
        prev = body.prev_sibling
        row = prev.end_point[0] if prev is not None else node.start_point[0]
        return max(node.start_point[0], min(row, body.start_point[0]))

    def _docstring_row(self, node: Any) -> int:
        """The row that shows what a docstring/comment node is about."""
        row = node.start_point[0]
        head = re.sub(r"[^A-Za-z0-9]", "", self.rows[row])
        if head in ("", "r", "u", "b") and row < node.end_point[0]:
            return row + 1
        return row

    def pinned(self) -> list[int]:
        """Rows that stay whatever run they fall in: the header (decorators, signature) of
        every named definition at any depth -- inner functions, named callbacks, methods
        of nested classes. A definition's signature is one line or a few; its name is
        what the agent navigates by."""
        rows: set[int] = set()
        for node in self.found:
            kind = node.type
            if kind in _IMPORTS:
                continue
            if kind in _FUNCS and node.type in _ANONYMOUS:
                name = self._function_name(node)
                if name == "anonymous function" or name.endswith(" callback"):
                    continue
            top = node
            while top.parent is not None and top.parent.type == "decorated_definition":
                top = top.parent
            first = top.start_point[0]
            body = self._body(node)
            last = self._header_end(node, body) if body is not None else node.start_point[0]
            # Decorators (however long) and the signature's first rows: a header of more
            # rows than that is a long parameter list, and its first rows say it.
            own = node.start_point[0]
            rows.update(range(first, own))
            rows.update(range(own, min(last, own + 8) + 1))
        return sorted(rows)

    def pointed_rows(self, names: frozenset[str], cited: frozenset[int]) -> set[int]:
        """Rows of the definitions the task points at, kept whole: those it names, and the
        innermost definition around each row it cites (a traceback frame, a grep hit)."""
        if not names and not cited:
            return set()
        rows: set[int] = set()
        around: dict[int, tuple[int, int]] = {}
        for node in self.found:
            if node.type not in _FUNCS and node.type not in _DECLS:
                continue
            if node.parent is None:
                continue  # the file itself (Python's root is a ``module``), not a definition
            a, b = node.start_point[0], node.end_point[0]
            if names:
                name = self._function_name(node) if node.type in _FUNCS else self._name(node)
                last = (name or "").rsplit(".", 1)[-1].rsplit("::", 1)[-1]
                if last in names:
                    rows.update(range(a, b + 1))
            for row in cited:
                if a <= row <= b and node.type in _FUNCS:
                    best = around.get(row)
                    if best is None or b - a < best[1] - best[0]:
                        around[row] = (a, b)
        for a, b in around.values():
            rows.update(range(a, b + 1))
        return rows

    # -- the walk --------------------------------------------------------
    def run(self) -> list[tuple[int, int, str]]:
        self._children(self.root)
        return self.spans

    def _children(self, node: Any) -> None:
        self.depth += 1
        try:
            if self.depth <= MAX_DEPTH:
                self._each_child(node)
        finally:
            self.depth -= 1

    def _each_child(self, node: Any) -> None:
        kids = node.named_children
        i = 0
        while i < len(kids):
            kid = kids[i]
            if kid.type in _COMMENTS:
                j = i
                while (
                    j + 1 < len(kids)
                    and kids[j + 1].type in _COMMENTS
                    and kids[j + 1].start_point[0] <= kids[j].end_point[0] + 1
                ):
                    j += 1
                nxt = kids[j + 1] if j + 1 < len(kids) else None
                self._comment(kids[i], kids[j], nxt)
                i = j + 1
                continue
            self._visit(kid)
            i += 1

    def _comment(self, first: Any, last: Any, nxt: Any | None) -> None:
        if self.bodies_only:
            return
        start, end = first.start_point[0], last.end_point[0]
        if self.rows[start][: first.start_point[1]].strip():
            return  # a trailing comment on a line of code
        if nxt is not None and nxt.start_point[0] <= end:
            end -= 1
        self.comment_rows.update(range(start, end + 1))
        keep = self._docstring_row(first)
        if keep < end:
            self.spans.append((keep + 1, end, "comment"))

    def _visit(self, node: Any) -> None:
        kind = node.type
        if kind in _FUNCS:
            self._function(node)
            return
        rows = node.end_point[0] - node.start_point[0] + 1
        if kind in _IMPORTS or rows <= 2:
            return
        if kind in _CONTAINERS or self._interesting_inside(node):
            self._children(node)
            return
        if not self.bodies_only:
            self._leaf(node)

    def _function(self, node: Any) -> None:
        body = self._body(node)
        if body is None or body.end_point[0] <= body.start_point[0]:
            return
        head = self._header_end(node, body)
        end = node.end_point[0]
        braced = self.src[body.start_byte : body.start_byte + 1] == b"{" or self.rows[
            end
        ].strip().startswith("end")
        if braced and end > head and self._closer(end):
            end -= 1
        if end <= head:
            return
        name = self._function_name(node)
        anonymous = name == "anonymous function" or name.endswith(" callback")
        if anonymous and end - head >= BIG_ANONYMOUS and self._interesting_inside(body):
            self._children(body)  # a wrapper (IIFE, describe(...)): outline its inside
            return
        start = head + 1
        kids = body.named_children
        if kids and self.lang == "python" and kids[0].start_point[0] == start:
            doc = kids[0]
            if doc.type == "expression_statement" and doc.named_child_count == 1:
                doc = doc.named_children[0]
            if doc.type in ("string", "concatenated_string"):
                start = min(self._docstring_row(doc), end) + 1
        if start <= end:
            self.spans.append((start, end, f"body of {name}"))

    def _leaf(self, node: Any) -> None:
        start, end = node.start_point[0], node.end_point[0]
        nxt = node.next_sibling
        shared = nxt is not None and nxt.start_point[0] <= end
        if shared or (end > start and self._closer(end)):
            end -= 1
        inner = node
        if node.type == "expression_statement" and node.named_child_count == 1:
            inner = node.named_children[0]
        if inner.type in ("string", "concatenated_string"):
            keep = self._docstring_row(inner)
            what = "rest of docstring"
        else:
            keep = start
            name = self._name(node) if _DECLARATION_LIKE.search(inner.type) else None
            what = f"value of {name}" if name else "rest of " + node.type.replace("_", " ")
        if keep < end:
            self.spans.append((keep + 1, end, what))


def _glue(a: int, b: int, what: str, outline: _Outline, last_row: int) -> tuple[int, int, str]:
    """A candidate run grown over the glue after it: blank lines, closing brackets,
    and the comments that introduce the next member."""
    rows, comments = outline.rows, outline.comment_rows
    b = min(b, last_row)
    while b < last_row:
        nxt = b + 1
        if nxt not in comments and rows[nxt].strip() and not outline._closer(nxt):
            break
        b = nxt
    return a, b, what


def _code_candidates(
    lang: str,
    lines: list[str],
    live: list[tuple[int, tuple[int, int, int, list[int]], int]],
    ctx: Context,
    pointed: tuple[frozenset[str], frozenset[int]] = (frozenset(), frozenset()),
) -> list[tuple[int, int, str]] | None:
    """Candidate runs of every parseable segment (one parse each); None if none parsed."""
    grammar = _grammar(lang)
    cands: list[tuple[int, int, str]] = []
    outlined = False
    for _, (start, end, first, cuts), last_row in live:
        rows = [lines[start + r][c:] for r, c in enumerate(cuts)]
        source = "\n".join(rows)
        if not _source_like(source, end - start + 1):
            continue
        outlined = True
        if grammar is None or len(source) > MAX_SOURCE:
            # Past what a parse and a walk can do in time: an outline of definition lines.
            found = _regex_runs(rows, last_row)
        else:
            names, cited = pointed
            rows_cited = frozenset(n - first for n in cited if first <= n <= first + last_row)
            found = _tree_runs(
                grammar, lang, rows, source, last_row, _windowed(ctx, first), names, rows_cited
            )
        cands.extend((start + a, start + b, what) for a, b, what in found)
    return cands if outlined else None


def _tree_runs(
    grammar: tuple[Any, Any],
    lang: str,
    rows: list[str],
    source: str,
    last_row: int,
    bodies_only: bool,
    names: frozenset[str] = frozenset(),
    cited: frozenset[int] = frozenset(),
) -> list[tuple[int, int, str]]:
    import tree_sitter

    language, query = grammar
    src = source.encode("utf-8", "replace")
    tree = tree_sitter.Parser(language).parse(src)
    outline = _Outline(lang, rows, src, tree, query, bodies_only=bodies_only)
    spans = outline.run()
    pinned = sorted(set(outline.pinned()) | outline.pointed_rows(names, cited))
    found: list[tuple[int, int, str]] = []
    for a_row, b_row, what in spans:
        a_row, b_row, what = _glue(a_row, b_row, what, outline, last_row)
        found.extend(_split(a_row, b_row, what, pinned))
    return found


def _split(a: int, b: int, what: str, pinned: list[int]) -> list[tuple[int, int, str]]:
    """The run a..b in pieces that leave out the pinned rows (nested definitions' headers)."""
    out: list[tuple[int, int, str]] = []
    k = bisect_left(pinned, a)
    while k < len(pinned) and pinned[k] <= b:
        if pinned[k] > a:
            out.append((a, pinned[k] - 1, what))
        a = pinned[k] + 1
        k += 1
    if a <= b:
        out.append((a, b, what))
    return out


# A definition line in most languages: what a structural outline keeps when a file is too
# large to parse and walk in time (or has no grammar here).
_DEFINITION = re.compile(
    r"\s*(?:@\w|(?:(?:export|default|pub(?:\([^)]*\))?|public|private|protected|internal|static"
    r"|final|abstract|sealed|open|override|virtual|async|unsafe|extern|inline|const|data"
    r"|suspend|declare)\s+)*(?:def|class|function\*?|fn|func|interface|struct|enum|trait|impl"
    r"|module|namespace|type|object|record|macro_rules!|fun|let\s+\w+\s*=\s*(?:async\s*)?\("
    r"|(?:const|let|var)\s+\w+\s*=\s*(?:async\s+)?(?:function|\([^)]*\)\s*=>)))\b"
)
_METHOD = re.compile(
    r"\s*(?:(?:public|private|protected|static|final|abstract|synchronized|override|virtual"
    r"|internal)\s+)+[\w<>\[\],.? ]+\s+\w+\s*\("
)


def _regex_runs(rows: list[str], last_row: int) -> list[tuple[int, int, str]]:
    """Runs between definition lines (found by regex), each ``code below <name>``."""
    found: list[tuple[int, int, str]] = []
    start = -1
    title = ""
    for r in range(min(last_row, len(rows) - 1) + 1):
        row = rows[r]
        if _DEFINITION.match(row) or _METHOD.match(row):
            if start >= 0 and start < r:
                found.append((start, r - 1, title))
            start = r + 1
            name = re.search(r"\b(\w+)\s*[(:<{=\[]", row.split("#", 1)[0])
            title = f"code after {name.group(1)}" if name else "code between definitions"
        elif start < 0 and row.strip():
            start, title = r, "code between definitions"
    if 0 <= start <= last_row:
        found.append((start, min(last_row, len(rows) - 1), title))
    return found
