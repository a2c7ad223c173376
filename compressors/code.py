"""File reads (Claude Code ``Read`` and its kin) shrunk to a tree-sitter outline.

A read result is the file with each line prefixed by its number: ``N\\t<text>``
(Claude Code today), or the number right-aligned and followed by ``→`` or a tab
(older Claude Code, ``cat -n``, SWE-agent's editor). Lines without a number
(a header, a trailing ``<system-reminder>``) are always kept.

The outline keeps what a reader navigates by -- imports, declarations and
signatures, decorators, the first line of docstrings and comment blocks, the
first line of long constants, short functions whole -- and elides long
function bodies, each behind one marker that names the function and tells how
to read exactly those lines back (file line numbers, ``offset``/``limit``).
A run also swallows the glue after it (blank lines, closing brackets, the
comment that introduces the next member), so a method costs one marker.

A read the agent aimed at a window (``offset``/``limit``) came back for a
reason: a short window is left alone, a long one only loses the bodies of
complete functions. A re-read of an elided body therefore comes back whole.
"""

from __future__ import annotations

import re
import shlex
from bisect import bisect_left
from functools import lru_cache
from typing import Any

from compressors.base import Context, Plan, marker

KIND = "code"

# "12\tline" (Claude Code), "    12→line" (older Claude Code), "    12\tline" (cat -n).
_NUMBERED = re.compile(r" *(\d{1,9})(?:\t|→)")

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
_WINDOW_KEYS = ("offset", "limit", "view_range", "start_line", "end_line", "line_start", "line_end")

_LANGUAGES = {
    "py": "python",
    "pyi": "python",
    "pyw": "python",
    "js": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "mts": "typescript",
    "cts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "c": "c",
    "h": "cpp",
    "cc": "cpp",
    "cpp": "cpp",
    "cxx": "cpp",
    "hpp": "cpp",
    "hh": "cpp",
    "hxx": "cpp",
    "cs": "csharp",
    "rb": "ruby",
    "php": "php",
    "kt": "kotlin",
    "kts": "kotlin",
    "swift": "swift",
    "scala": "scala",
}

# Node types, a union over the grammars above (names rarely clash in meaning).
_FUNCS = frozenset(
    {
        "function_definition",  # Python, C, C++, PHP
        "function_declaration",  # JS/TS, Go, Kotlin, Swift
        "generator_function_declaration",
        "method_definition",  # JS/TS
        "function_expression",
        "generator_function",
        "arrow_function",
        "method_declaration",  # Go, Java, C#, PHP
        "func_literal",
        "function_item",  # Rust
        "constructor_declaration",  # Java, C#
        "compact_constructor_declaration",
        "destructor_declaration",
        "operator_declaration",
        "conversion_operator_declaration",
        "local_function_statement",
        "method",  # Ruby
        "singleton_method",
        "secondary_constructor",  # Kotlin
        "anonymous_initializer",
        "anonymous_function",
        "init_declaration",  # Swift
        "deinit_declaration",
    }
)
# Declarations whose members are listed one by one (their body is recursed into).
_DECLS = frozenset(
    {
        "class_definition",
        "class_declaration",
        "abstract_class_declaration",
        "class",
        "interface_declaration",
        "enum_declaration",
        "internal_module",
        "module",
        "record_declaration",
        "annotation_type_declaration",
        "struct_item",
        "enum_item",
        "union_item",
        "trait_item",
        "impl_item",
        "mod_item",
        "foreign_mod_item",
        "struct_specifier",
        "union_specifier",
        "enum_specifier",
        "class_specifier",
        "namespace_definition",
        "namespace_declaration",
        "file_scoped_namespace_declaration",
        "struct_declaration",
        "trait_declaration",
        "object_declaration",
        "companion_object",
        "protocol_declaration",
        "singleton_class",
        "type_declaration",
        "type_alias_declaration",
        "object_definition",
        "trait_definition",
    }
)
# Wrappers and bodies: transparent, their children are looked at one by one.
_CONTAINERS = _DECLS | frozenset(
    {
        "ERROR",
        "program",
        "source_file",
        "translation_unit",
        "compilation_unit",
        "decorated_definition",
        "export_statement",
        "ambient_declaration",
        "template_declaration",
        "linkage_specification",
        "type_spec",
        "const_declaration",
        "var_declaration",
        "var_spec_list",
        "interface_type",
        "struct_type",
        "class_body",
        "interface_body",
        "enum_body",
        "enum_body_declarations",
        "enum_class_body",
        "protocol_body",
        "annotation_type_body",
        "declaration_list",
        "field_declaration_list",
        "enum_variant_list",
        "enum_member_declaration_list",
        "object_type",
        "block",
        "body_statement",
        "statement_block",
        "template_body",
        "preproc_if",
        "preproc_ifdef",
        "preproc_else",
        "preproc_elif",
    }
)
_IMPORTS = frozenset(
    {
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "import_declaration",
        "use_declaration",
        "extern_crate_declaration",
        "using_directive",
        "namespace_use_declaration",
        "package_clause",
        "package_declaration",
        "package_header",
        "import_list",
        "import_header",
        "preproc_include",
    }
)
_COMMENTS = frozenset(
    {"comment", "line_comment", "block_comment", "doc_comment", "multiline_comment"}
)
_BODIES = frozenset(
    {
        "block",
        "statement_block",
        "compound_statement",
        "constructor_body",
        "function_body",
        "body_statement",
        "class_body",
        "declaration_list",
    }
)
_ANONYMOUS = frozenset(
    {
        "arrow_function",
        "function_expression",
        "generator_function",
        "func_literal",
        "anonymous_function",
    }
)
_NAMED_PARTS = frozenset(
    {
        "variable_declarator",
        "init_declarator",
        "const_spec",
        "var_spec",
        "type_spec",
        "assignment",
        "assignment_expression",
    }
)
_DECLARATION_LIKE = re.compile(r"assign|declar|_item|field|const|var|let|property|static")
_NAMES = frozenset(
    {
        "identifier",
        "simple_identifier",
        "type_identifier",
        "property_identifier",
        "field_identifier",
        "constant",
        "name",
    }
)

_FULL_NAMES = _NAMES | {"qualified_identifier", "destructor_name", "operator_name"}

SHORT_BODY = 5  # a function whose body has at most this many lines stays whole
SMALL_NODE = 4  # a statement of at most this many lines stays whole
SMALL_COMMENT = 3  # a comment block of at most this many lines stays whole
BIG_ANONYMOUS = 150  # an anonymous function this long is a wrapper: look inside
WINDOW_VERBATIM = 250  # an aimed read of at most this many lines is left alone
FULL_READ_LIMIT = 2000  # Claude Code's default limit: asking for this many is asking for it all
MAX_DEPTH = 64  # nesting deeper than this is kept as it is (and the stack stays small)
RENDER_EXTRA = 50  # characters the renderer may add to a marker (its own recovery command)
MAX_SOURCE = 600_000  # characters of source; beyond that a parse costs too much
MAX_AVERAGE_LINE = 240  # characters; longer lines on average mean minified code or data
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CLOSER = re.compile(r"[\s})\];,]*(?:end\b[\s;,)]*)?")


def _tool(ctx: Context) -> str:
    return ctx.tool.strip().lower()


def claims(ctx: Context) -> bool:
    tool = _tool(ctx)
    if tool in _READ_TOOLS:
        return True
    return tool in _EDITOR_TOOLS and ctx.tool_input.get("command") == "view"


def sniff(text: str, ctx: Context) -> bool:
    total = good = 0
    prev = None
    for line in text.split("\n", 200)[:200]:
        if not line.strip():
            continue
        total += 1
        m = _NUMBERED.match(line)
        if m:
            n = int(m.group(1))
            if prev is None or n == prev + 1:
                good += 1
            prev = n
    return good >= 5 and good >= 0.9 * total


def _path(ctx: Context) -> str:
    if ctx.file_path:
        return ctx.file_path
    cmd = ctx.command
    if not cmd:
        return ""
    try:
        words = shlex.split(cmd)
    except ValueError:
        return ""
    if words and words[0] in ("cat", "nl", "bat") and "|" not in words:
        files = [w for w in words[1:] if not w.startswith("-")]
        if len(files) == 1:
            return files[0]
    return ""


def _language(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return _LANGUAGES.get(name.rsplit(".", 1)[-1].lower())


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


def _parseable(source: str, count: int) -> bool:
    """Source-like text: no binary noise, no minified walls (tree-sitter slows on both)."""
    if len(source) > MAX_SOURCE or len(source) > MAX_AVERAGE_LINE * count:
        return False
    return len(_CONTROLS.findall(source)) <= len(source) // 200


def _segments(lines: list[str]) -> list[tuple[int, int, int, list[int]]]:
    """Runs of consecutively numbered lines: (first index, last index, first number, cuts)."""
    segs: list[tuple[int, int, int, list[int]]] = []
    start = -1
    first = prev = 0
    cuts: list[int] = []
    for i, line in enumerate(lines):
        m = _NUMBERED.match(line)
        n = int(m.group(1)) if m else -1
        if start >= 0 and m and n == prev + 1:
            prev = n
            cuts.append(m.end())
            continue
        if start >= 0:
            segs.append((start, i - 1, first, cuts))
            start = -1
        if m:
            start, first, prev, cuts = i, n, n, [m.end()]
    if start >= 0:
        segs.append((start, len(lines) - 1, first, cuts))
    return segs


class _Outline:
    """Walks one parsed segment and collects (first row, last row, what) to elide."""

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
        if end - start + 1 <= SMALL_COMMENT:
            return
        keep = self._docstring_row(first)
        if keep < end:
            self.spans.append((keep + 1, end, "comment"))

    def _visit(self, node: Any) -> None:
        kind = node.type
        if kind in _FUNCS:
            self._function(node)
            return
        rows = node.end_point[0] - node.start_point[0] + 1
        if kind in _IMPORTS or rows <= SMALL_NODE:
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
        if end - head <= SHORT_BODY:
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


def _merge(
    spans: list[tuple[int, int, str]], outline: _Outline, last_row: int
) -> list[tuple[int, int, str]]:
    """Runs to elide: each span grown over the glue after it (blank lines, closing
    brackets, the comments before the next member), touching runs joined."""
    rows, comments = outline.rows, outline.comment_rows
    runs: list[tuple[int, int, str]] = []
    for a, b, what in sorted(spans):
        b = min(b, last_row)
        if a > b:
            continue
        commented = False
        while b < last_row:
            nxt = b + 1
            if nxt in comments:
                commented = True
            elif rows[nxt].strip() and not outline._closer(nxt):
                break
            b = nxt
        if commented and what != "comment":
            what += "; comment"
        if runs and a <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(b, runs[-1][1]), runs[-1][2])
        else:
            runs.append((a, b, what))
    return runs


def _windowed(ctx: Context, first_number: int) -> bool:
    """Did the agent aim the read at some lines rather than ask for the file?"""
    if first_number > 1:
        return True
    args = ctx.tool_input
    if any(
        args.get(k) not in (None, "", 0, 1) for k in _WINDOW_KEYS if k not in ("offset", "limit")
    ):
        return True
    offset, limit = args.get("offset"), args.get("limit")
    try:
        if offset is not None and int(offset) > 1:
            return True
        return limit is not None and int(limit) < FULL_READ_LIMIT
    except (TypeError, ValueError):
        return True


def _hint_factory(ctx: Context, path: str, number: Any) -> Any:
    tool = ctx.tool.strip() or "Read"
    bashy = bool(ctx.command) and not ctx.file_path

    def hint(a: int, b: int) -> str:
        first, last = number(a), number(b)
        if bashy:
            return f"sed -n '{first},{last}p' {shlex.quote(path)}"
        if tool.lower() in _EDITOR_TOOLS:
            return f"{tool} command=view path={path} view_range=[{first}, {last}]"
        return f"{tool} file_path={path} offset={first} limit={last - first + 1}"

    return hint


def compress(text: str, ctx: Context) -> Plan | None:
    path = _path(ctx)
    lang = _language(path)
    if ctx.is_error or lang is None or len(text) > 2 * MAX_SOURCE:
        return None
    lines = text.split("\n")
    segs = [s for s in _segments(lines) if s[1] - s[0] >= 2]
    grammar = _grammar(lang) if segs else None
    if grammar is None:
        return None
    import tree_sitter

    language, query = grammar
    numbers: dict[int, int] = {}
    for start, end, first, _ in segs:
        for i in range(start, end + 1):
            numbers[i] = first + i - start

    def number(idx: int) -> int:
        return numbers.get(idx, idx + 1)

    hint = _hint_factory(ctx, path, number)
    keep = set(range(len(lines)))
    notes: dict[int, str] = {}
    outlined = False
    for k, (start, end, first, cuts) in enumerate(segs):
        count = end - start + 1
        windowed = _windowed(ctx, first)
        if windowed and count <= WINDOW_VERBATIM:
            outlined = True  # aimed at these lines: they stay as they are
            continue
        rows = [lines[start + r][cut:] for r, cut in enumerate(cuts)]
        source = "\n".join(rows)
        if not _parseable(source, count):
            continue
        outlined = True
        src = source.encode("utf-8", "replace")
        tree = tree_sitter.Parser(language).parse(src)
        outline = _Outline(lang, rows, src, tree, query, bodies_only=windowed)
        # A run must not reach into the next segment, whose numbers restart.
        last_row = count - 1 if k == len(segs) - 1 or segs[k + 1][0] > end + 1 else count - 2
        for a_row, b_row, what in _merge(outline.run(), outline, last_row):
            a, b = start + a_row, start + b_row
            size = sum(len(lines[i]) + 1 for i in range(a, b + 1))
            cost = len(marker(number(a), number(b), what, hint(a, b))) + RENDER_EXTRA
            if size < 1.5 * cost:
                continue  # the marker would save too little to be worth reading
            keep.difference_update(range(a, b + 1))
            notes[a] = what
    if not outlined:
        return None  # no outline to offer: the generic pass may still help
    # An outline that drops nothing means the code is already compact: keeping it
    # whole beats a generic head-and-tail cut through the middle of a file.
    return Plan(KIND, keep, notes, hint=hint, number=number)
