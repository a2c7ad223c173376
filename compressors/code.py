"""File reads (Claude Code ``Read`` and its kin) shrunk to an outline.

A read result is the file with each line prefixed by its number: ``N\\t<text>``
(Claude Code today), or the number right-aligned and followed by ``→`` or a tab
(older Claude Code, ``cat -n``, SWE-agent's editor). Lines without a number
(a header, a trailing ``<system-reminder>``) are always kept. A plain ``cat``
of one file is read as if numbered from 1.

Source code becomes a tree-sitter outline. What a reader navigates by always
stays -- imports, declarations and signatures, decorators -- and the rest
competes for a budget: every function body, docstring or comment tail and
long constant is a candidate run, grown over the glue after it (blank lines,
closing brackets, the comment that introduces the next member), and runs are
elided longest first until the read is down to about a quarter of its tokens.
A run only goes if it is clearly bigger than the marker that replaces it
(markers name the function and tell how to read exactly those lines back:
file line numbers, ``offset``/``limit``), so short members stay whole.

Documents (Markdown, reStructuredText, text with headings) keep their headings,
the first line of each section and the opening line of each code block; the
section bodies compete for the same budget. Minified and generated files
(``.min.js``, source maps, lockfiles, lines averaging over 300 characters) keep
a few short leading lines and lose the rest behind one marker that says what
it was. Structured data (JSON, YAML, TOML, CSV, HTML) is left to others.

A read the agent aimed at a window (``offset``/``limit``) came back for a
reason: a short window is left alone, and so is a window into a document or a
generated file; a long window into source only loses the bodies of complete
functions. A re-read of an elided run therefore comes back whole.
"""

from __future__ import annotations

import re
import shlex
from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import Any

from trimline.compressors.base import Context, Plan, marker

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

BIG_ANONYMOUS = 150  # an anonymous function this long is a wrapper: look inside
WINDOW_VERBATIM = 250  # an aimed read of at most this many lines is left alone
FULL_READ_LIMIT = 2000  # Claude Code's default limit: asking for this many is asking for it all
MAX_DEPTH = 64  # nesting deeper than this is kept as it is (and the stack stays small)
MAX_SOURCE = 600_000  # characters of source; beyond that a parse costs too much
MAX_TEXT = 8_000_000  # characters; beyond that a read is left to the generic pass
# Characters; beyond that only a minified file (few, long lines) is read here: numbering,
# parsing and outlining cost some 300 ms per MB (40 ms at this size), the generic pass a tenth.
MAX_OUTLINE = 128_000
MAX_AVERAGE_LINE = 300  # characters; longer lines on average mean minified or generated text
# The budget: elide until a read is down to this share of its (estimated) tokens...
TARGET = 0.25
# ...but only runs whose tokens are at least this many times their marker's.
WORTH = 1.2
HEAD_LINES = 5  # a generated file keeps its short lines among the first few...
TAIL_LINES = 1  # ...and the last ones (a sourceMappingURL comment, a closing brace)
SHORT_LINE = 200  # characters: a line of a generated file short enough to keep
MAX_TITLE = 60  # characters of a name or heading quoted in a marker
MIN_MARKER = 30  # estimated tokens: no marker with its recovery commands costs less
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CLOSER = re.compile(r"[\s})\];,]*(?:end\b[\s;,)]*)?")
# A rough cl100k token count: words, short digit groups, punctuation pairs, spaces.
_TOKEN = re.compile(r" ?[A-Za-z]+| ?\d{1,3}|[^\sA-Za-z\d]{1,2}|\s+")
# The part of a marker the renderer adds, with a stand-in block id.
_RENDER_TAIL = ", or run: trimline show 0123456789ab --lines {}-{}"

# Files by name: data left to others, lockfiles, minified or generated files, documents.
_DATA = frozenset(
    {"json", "jsonc", "json5", "jsonl", "ndjson", "yaml", "yml", "toml", "csv", "tsv"}
    | {"html", "htm", "xhtml", "xml", "svg", "ini", "cfg", "conf", "properties", "env"}
)
_LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "cargo.lock",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "pipfile.lock",
        "go.sum",
        "gemfile.lock",
        "composer.lock",
        "mix.lock",
        "pubspec.lock",
        "podfile.lock",
        "package.resolved",
        "flake.lock",
        "packages.lock.json",
        "gradle.lockfile",
        "deno.lock",
    }
)
_DOC_EXTENSIONS = frozenset({"md", "mdx", "markdown", "mkd", "rst", "rest"})
# Text that is a document only if it has headings.
_TEXT_EXTENSIONS = frozenset({"txt", "text"})
_DOC_NAMES = frozenset(
    {
        "readme",
        "changelog",
        "changes",
        "history",
        "news",
        "contributing",
        "authors",
        "metadata",
        "pkg-info",
        "description",
    }
)
_MINIFIED_LABELS = {
    "js": "minified JavaScript",
    "mjs": "minified JavaScript",
    "cjs": "minified JavaScript",
    "css": "minified CSS",
}
# Shells' ways to print one file: the command says which file was read.
_SHELL_TOOLS = frozenset(
    {
        "bash",
        "shell",
        "sh",
        "zsh",
        "exec_command",
        "shell_command",
        "local_shell",
        "run_shell_command",
        "execute_command",
        "run_command",
        "run_terminal_cmd",
        "terminal",
    }
)
_CAT_PROGRAMS = frozenset({"cat", "nl", "bat", "batcat"})
_SHELL_META = re.compile(r"[|;&<>`$(){}*?\n]")


def _tool(ctx: Context) -> str:
    return ctx.tool.strip().lower()


def _cat_path(command: str) -> str:
    """The file a plain ``cat [-n] FILE`` (or ``nl``/``bat``) prints, else ""."""
    if not command or len(command) > 4096 or _SHELL_META.search(command):
        return ""
    try:
        words = shlex.split(command)
    except ValueError:
        return ""
    if not words or words[0].rsplit("/", 1)[-1] not in _CAT_PROGRAMS:
        return ""
    files = [w for w in words[1:] if not w.startswith("-")]
    return files[0] if len(files) == 1 else ""


def claims(ctx: Context) -> bool:
    tool = _tool(ctx)
    if tool in _READ_TOOLS or tool in _EDITOR_TOOLS:
        if tool in _EDITOR_TOOLS and ctx.tool_input.get("command") != "view":
            return False
        # Structured data (a package.json, a config.yaml) is a family of its own.
        return _route(ctx.file_path)[0] != "data"
    # A shell printing one file this family knows how to outline.
    if tool not in _SHELL_TOOLS:
        return False
    path = _cat_path(ctx.command)
    return bool(path) and _route(path)[0] not in ("data", "other")


def sniff(text: str, ctx: Context) -> bool:
    if _route(_path(ctx))[0] == "data":
        return False
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
    return ctx.file_path or _cat_path(ctx.command)


def _route(path: str) -> tuple[str, str]:
    """What a file is by its name: (mode, detail).

    Modes: "lock" (detail: the file name), "generated" (what it is), "data",
    "code" (the grammar), "doc" ("md" or "rst"), "text" (a document if it has
    headings) and "other" (only long lines can still make it "generated").
    """
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name in _LOCKFILES or name.endswith(".lock"):
        return "lock", name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return ("text", "") if name in _DOC_NAMES else ("other", "")
    if ext == "map":
        return "generated", "source map"
    if stem.endswith((".min", "-min")) or ext in ("min",):
        return "generated", _MINIFIED_LABELS.get(ext, "minified code")
    if ext in _DATA:
        return "data", ""
    if ext in _LANGUAGES:
        return "code", _LANGUAGES[ext]
    if ext in _DOC_EXTENSIONS:
        return "doc", "rst" if ext in ("rst", "rest") else "md"
    if ext in _TEXT_EXTENSIONS or stem in _DOC_NAMES:
        return "text", ""
    return "other", ""


def _language(path: str) -> str | None:
    mode, detail = _route(path)
    return detail if mode == "code" else None


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
        # The path is in the tool call this result answers; naming it again costs tokens.
        return f"{tool} offset={first} limit={last - first + 1}"

    return hint


# --------------------------------------------------------------------------- budget


def _estimate(line: str) -> int:
    """Roughly the cl100k tokens of one line (within ~20% a line, ~10% a file)."""
    return len(_TOKEN.findall(line))


def _select(
    cands: list[tuple[int, int, str]],
    tokens: list[int],
    target: float,
    marker_cost: Any,
) -> list[tuple[int, int, str]]:
    """Candidate runs to elide, longest first, until the estimate meets the target.

    A run that would stand alone must outweigh its marker clearly (``WORTH``);
    one that touches runs already taken costs no new marker. Linear in the
    lines the candidates span (they hardly overlap).
    """
    n = len(tokens)
    prefix = [0] * (n + 1)
    for i, t in enumerate(tokens):
        prefix[i + 1] = prefix[i] + t
    order = sorted(
        ((prefix[b + 1] - prefix[a], a, b, what) for a, b, what in cands if 0 <= a <= b < n),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    covered = bytearray(n)
    current = float(prefix[n])
    chosen: list[tuple[int, int, str]] = []
    for _, a, b, what in order:
        if current <= target:
            break
        new = sum(tokens[i] for i in range(a, b + 1) if not covered[i])
        if not new:
            continue
        touched = 0
        inside = False
        for i in range(max(a - 1, 0), min(b + 1, n - 1) + 1):
            if covered[i] and not inside:
                touched += 1
            inside = bool(covered[i])
        if not touched and new < WORTH * MIN_MARKER:
            continue  # cheaper than any marker: no need to price one
        cost = marker_cost(a, b, what)
        if not touched and new < WORTH * cost:
            continue
        covered[a : b + 1] = b"\x01" * (b - a + 1)
        current -= new - cost * (1 - touched)
        chosen.append((a, b, what))
    return chosen


# --------------------------------------------------------------------------- documents

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+|$)")
_FENCE = re.compile(r"[ \t]{0,12}(`{3,}|~{3,})")
_SETEXT = re.compile(r" {0,3}(?:=+|-{2,})[ \t]*")
_ADORNMENT = re.compile(r"([=\-~^\"'`#*+:.<>_!$%&,;?@\\/|])\1{2,}[ \t]*")
_DIRECTIVE = re.compile(r"\s*\.\. (?:code-block|code|sourcecode|highlight|literalinclude)::")
_WORDY = re.compile(r"[^\W_]")
_BLOCK_START = re.compile(r" {0,3}(?:[-*+>|]|\d{1,9}[.)])(?:\s|$)")


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"


def _doc_structure(
    rows: list[str], flavor: str
) -> tuple[list[tuple[int, int, str]], set[int], int]:
    """Headings (first row, last row, title), code-block openers, and the row after
    any front matter. Fenced code is skipped: a ``# comment`` there is no heading."""
    md = flavor in ("md", "")
    rst = flavor in ("rst", "")
    n = len(rows)
    heads: list[tuple[int, int, str]] = []
    openers: set[int] = set()
    body = 0
    if md and n and rows[0].rstrip() == "---":
        for j in range(1, min(n, 200)):
            if rows[j].rstrip() in ("---", "..."):
                body = j + 1
                break
    fence: tuple[str, int] | None = None
    i = body
    while i < n:
        s = rows[i].rstrip()
        if fence is not None:
            m = _FENCE.match(s)
            if (
                m
                and m.group(1)[0] == fence[0]
                and len(m.group(1)) >= fence[1]
                and not s[m.end() :].strip()
            ):
                fence = None
            i += 1
            continue
        head = s.lstrip()[:1]
        m = _FENCE.match(s) if md and head in ("`", "~") else None
        if m and not (m.group(1)[0] == "`" and "`" in s[m.end() :]):
            fence = (m.group(1)[0], len(m.group(1)))
            openers.add(i)
            i += 1
            continue
        if rst and head == "." and _DIRECTIVE.match(s):
            openers.add(i)
        m = _ATX.match(s) if md and head == "#" else None
        if m:
            heads.append((i, i, _title(s[m.end() :].rstrip("#").strip()) or m.group(1)))
            i += 1
            continue
        nxt = rows[i + 1].rstrip() if i + 1 < n else ""
        text = s.strip()
        if text and nxt and not s[0].isspace() and _ADORNMENT.fullmatch(text) is None:
            setext = (
                md
                and _SETEXT.fullmatch(nxt) is not None
                and _BLOCK_START.match(s) is None
                and (i == body or not rows[i - 1].strip())
            )
            underline = (
                rst and _ADORNMENT.fullmatch(nxt) is not None and len(nxt.strip()) >= len(text)
            )
            if setext or underline:
                first = i
                if rst and i > body and rows[i - 1].rstrip() == nxt:
                    first = i - 1  # an overline
                if heads and first <= heads[-1][1]:
                    first = heads[-1][1] + 1
                heads.append((first, i + 1, _title(text)))
                i += 2
                continue
        i += 1
    return heads, openers, body


def _doc_candidates(
    rows: list[str], flavor: str, start: int, last_row: int
) -> list[tuple[int, int, str]] | None:
    """Runs of section bodies to offer the budget; None when there are no headings."""
    heads, openers, front = _doc_structure(rows, flavor)
    if not heads or (flavor == "" and len(heads) < 2):
        return None
    sections: list[tuple[int, int, str]] = []
    if heads[0][0] > 0:
        what = "front matter" if front else "text before the first heading"
        sections.append((0, heads[0][0] - 1, what))
    for k, (_, last, title) in enumerate(heads):
        end = heads[k + 1][0] - 1 if k + 1 < len(heads) else len(rows) - 1
        sections.append((last + 1, end, f"body of section {title}"))
    fences = sorted(openers)
    cands: list[tuple[int, int, str]] = []
    for first, end, what in sections:
        end = min(end, last_row)
        lead = first  # the section's first line that says something stays
        while lead <= end and not _WORDY.search(rows[lead]):
            lead += 1
        if lead > end:
            continue
        # One marker per section: the code blocks inside are counted, not kept
        # (a lone fence line per block would cost a marker per block).
        blocks = bisect_right(fences, end) - bisect_right(fences, lead)
        if blocks:
            what += f", {blocks} code block{'s' * (blocks != 1)}"
        if lead < end:
            cands.append((start + lead + 1, start + end, what))
    return cands


# --------------------------------------------------------------------------- generated files

_NPM_PACKAGE = re.compile(r'\s*"(?:[^"]*/)?node_modules/[^"]+": \{')
_NPM_VERSION = re.compile(r'\s*"version": "')
_GEM_SPEC = re.compile(r"    \S+ \(")
_COMPOSER_NAME = re.compile(r' {12}"name": "')
_SWIFT_PIN = re.compile(r'\s*"(?:identity|package)": "')


def _lock_packages(name: str, rows: list[str]) -> int:
    """How many packages the given lockfile lines pin (0 when unknown)."""
    if name == "composer.lock":
        return sum(1 for r in rows if _COMPOSER_NAME.match(r))
    if name == "package.resolved":
        return sum(1 for r in rows if _SWIFT_PIN.match(r))
    if name.endswith(".json"):
        count = sum(1 for r in rows if _NPM_PACKAGE.match(r))
        return count or sum(1 for r in rows if _NPM_VERSION.match(r))
    if name == "yarn.lock":
        return sum(
            1
            for r in rows
            if r[:1] not in ("", " ", "\t", "#", "\r")
            and r.rstrip().endswith(":")
            and not r.startswith("__metadata")
        )
    if name in ("pnpm-lock.yaml", "pubspec.lock"):
        count, section = 0, ""
        for r in rows:
            if r[:1] not in ("", " ", "\t", "#", "\r"):
                section = r.rstrip()
            elif section == "packages:" and r.startswith("  ") and r[2:3] not in (" ", "#"):
                count += r.rstrip().endswith(":")
        return count
    if name in ("go.sum",):
        mods = {tuple(r.split()[:2]) for r in rows if len(r.split()) == 3}
        return len({(m, v.removesuffix("/go.mod")) for m, v in mods})
    if name == "gemfile.lock":
        return sum(1 for r in rows if _GEM_SPEC.match(r))
    return sum(1 for r in rows if r.strip() == "[[package]]")


def _generated_runs(
    lines: list[str], seg: tuple[int, int, int, list[int]], last_row: int
) -> list[int]:
    """Indices of a generated file's lines to drop: all but short head and tail lines."""
    start, end, _, cuts = seg
    count = end - start + 1
    drop = []
    for r in range(min(count, last_row + 1)):
        edge = r < HEAD_LINES or r >= count - TAIL_LINES
        if edge and len(lines[start + r]) - cuts[r] <= SHORT_LINE:
            continue
        drop.append(start + r)
    return drop


def _generated_notes(
    lines: list[str], seg: tuple[int, int, int, list[int]], drop: list[int], mode: str, detail: str
) -> dict[int, str]:
    """One note per dropped run of a segment: what the lines are, and how much."""
    start, _, _, cuts = seg
    notes: dict[int, str] = {}
    packages = 0
    if mode == "lock":  # a lockfile is described whole: how many packages it pins
        packages = _lock_packages(detail, [lines[start + r][c:] for r, c in enumerate(cuts)])
    i = 0
    while i < len(drop):
        j = i
        while j + 1 < len(drop) and drop[j + 1] == drop[j] + 1:
            j += 1
        n = j - i + 1
        if mode == "lock":
            what = (
                f"lockfile: {packages:,} package{'s' * (packages != 1)}"
                if packages and not notes
                else f"lockfile: {n:,} line{'s' * (n != 1)}"
            )
        else:
            chars = sum(len(lines[k]) - cuts[k - start] for k in drop[i : j + 1])
            what = f"{detail}, {n:,} line{'s' * (n != 1)} of {chars:,} characters"
        notes[drop[i]] = what
        i = j + 1
    return notes


def _minified(
    segs: list[tuple[int, int, int, list[int]]], lines: list[str], chars: int, count: int
) -> bool:
    """Lines averaging over MAX_AVERAGE_LINE characters, with few spaces (not prose)."""
    if count == 0 or chars <= MAX_AVERAGE_LINE * count:
        return False
    spaces = 0
    for start, _end, _, cuts in segs:
        for r, c in enumerate(cuts):
            spaces += lines[start + r].count(" ", c)
    return spaces * 10 < chars


# --------------------------------------------------------------------------- the plan


def _plain_segment(lines: list[str]) -> list[tuple[int, int, int, list[int]]]:
    """An unnumbered ``cat`` of a file: every line is file line 1, 2, ... after any
    Codex exec header (``Chunk ID: ...`` up to ``Output:``)."""
    start = 0
    if lines and lines[0].startswith(("Chunk ID:", "Wall time:", "Process exited")):
        start = next((i + 1 for i, line in enumerate(lines[:12]) if line == "Output:"), 0)
    end = len(lines) - 1
    if end >= start and lines[end] == "":
        end -= 1
    if end < start:
        return []
    return [(start, end, 1, [0] * (end - start + 1))]


def compress(text: str, ctx: Context) -> Plan | None:
    path = _path(ctx)
    if ctx.is_error or not path or not text or len(text) > MAX_TEXT:
        return None
    mode, detail = _route(path)
    if mode == "data":
        return None  # structured data: another family's (or the generic pass's) business
    lines = text.split("\n")
    if len(text) > MAX_OUTLINE and len(text) <= MAX_AVERAGE_LINE * len(lines):
        return None
    segs = _segments(lines)
    if not segs and not ctx.file_path:
        segs = _plain_segment(lines)  # a plain ``cat FILE``: numbered from 1
    if not segs:
        return None
    chars = count = 0
    for start, end, _, cuts in segs:
        if len(segs) == 1 or end - start >= 2:
            chars += sum(map(len, lines[start : end + 1])) - sum(cuts)
            count += end - start + 1
    if mode in ("code", "other", "text") and _minified(segs, lines, chars, count):
        label = _MINIFIED_LABELS.get(path.rsplit(".", 1)[-1].lower())
        mode, detail = (
            "generated",
            label or ("minified code" if mode == "code" else "minified or generated text"),
        )
    if mode == "other":
        return None

    starts = [seg[0] for seg in segs]

    def number(idx: int) -> int:
        k = bisect_right(starts, idx) - 1
        if k >= 0 and idx <= segs[k][1]:
            return segs[k][2] + idx - segs[k][0]
        return idx + 1

    hint = _hint_factory(ctx, path, number)
    generated = mode in ("lock", "generated")
    if not generated:
        segs = [s for s in segs if s[1] - s[0] >= 2]
    if not segs:
        return None
    keep = set(range(len(lines)))
    plan = Plan(KIND, keep, {}, hint=hint, number=number, ranges_suffice=True)
    live: list[tuple[int, tuple[int, int, int, list[int]], int]] = []
    for k, seg in enumerate(segs):
        start, end, first, _ = seg
        # An aimed read comes back as it is: a short one always, a document or a
        # generated file at any length (a marker's range, read back, is whole).
        if _windowed(ctx, first) and (end - start + 1 <= WINDOW_VERBATIM or mode != "code"):
            continue
        # A run must not reach into the next segment, whose numbers restart.
        adjacent = k + 1 < len(segs) and segs[k + 1][0] == end + 1
        live.append((k, seg, end - start - (1 if adjacent else 0)))
    if not live:
        return plan  # an aimed read: left whole, not cut by the generic pass
    if generated:
        for _, seg, last_row in live:
            drop = _generated_runs(lines, seg, last_row)
            keep.difference_update(drop)
            plan.notes.update(_generated_notes(lines, seg, drop, mode, detail))
        return plan
    cands: list[tuple[int, int, str]] = []
    if mode == "code":
        found = _code_candidates(detail, lines, live, ctx)
        if found is None:
            return None  # no outline to offer: the generic pass may still help
        cands = found
    else:
        flavor = "" if mode == "text" else detail
        outlined = False
        for _, (start, _end, _, cuts), last_row in live:
            rows = [lines[start + r][c:] for r, c in enumerate(cuts)]
            found = _doc_candidates(rows, flavor, start, last_row)
            if found is not None:
                outlined = True
                cands.extend(found)
        if not outlined:
            return None
    # Exact-ish estimates where runs may go; a cheap one for lines that stay anyway.
    tokens = [len(line) >> 2 for line in lines]
    priced = bytearray(len(lines))
    for a, b, _ in cands:
        for i in range(a, b + 1):
            if not priced[i]:
                tokens[i] = _estimate(lines[i])
                priced[i] = 1

    def marker_cost(a: int, b: int, what: str) -> int:
        line = marker(number(a), number(b), what, hint(a, b))
        return _estimate(line + _RENDER_TAIL.format(a + 1, b + 1))

    # An outline that drops nothing means the read is already compact: keeping
    # it whole beats a generic head-and-tail cut through the middle of a file.
    for a, b, what in _select(cands, tokens, TARGET * sum(tokens), marker_cost):
        keep.difference_update(range(a, b + 1))
        plan.notes.setdefault(a, what)
    return plan


def _code_candidates(
    lang: str,
    lines: list[str],
    live: list[tuple[int, tuple[int, int, int, list[int]], int]],
    ctx: Context,
) -> list[tuple[int, int, str]] | None:
    """Candidate runs of every parseable segment (one parse each); None if none parsed."""
    grammar = _grammar(lang)
    if grammar is None:
        return None
    import tree_sitter

    language, query = grammar
    cands: list[tuple[int, int, str]] = []
    outlined = False
    for _, (start, end, first, cuts), last_row in live:
        rows = [lines[start + r][c:] for r, c in enumerate(cuts)]
        source = "\n".join(rows)
        if not _parseable(source, end - start + 1):
            continue
        outlined = True
        src = source.encode("utf-8", "replace")
        tree = tree_sitter.Parser(language).parse(src)
        outline = _Outline(lang, rows, src, tree, query, bodies_only=_windowed(ctx, first))
        for a_row, b_row, what in outline.run():
            a_row, b_row, what = _glue(a_row, b_row, what, outline, last_row)
            if a_row <= b_row:
                cands.append((start + a_row, start + b_row, what))
    return cands if outlined else None
