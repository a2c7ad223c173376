"""HTML pages an agent fetched (``curl``/``wget`` output) or read (``.html`` files).

Two passes over whole lines:

1. Boilerplate goes: the lines of ``<script>``, ``<style>``, ``<svg>``,
   ``<noscript>``, ``<template>`` elements and HTML comments, the ``<head>``
   (its ``<title>`` stays), and runs of markup that carry no visible text
   (wrapper ``<div>``s, closing tags, long attribute-laden lines). A run is
   only dropped when it is big enough to be worth a marker, so short stretches
   of markup between paragraphs stay where they are.
2. A long page becomes an outline: every heading line stays, each section
   keeps its first lines of text, and the rest of a long section drops behind
   one marker that names it ("rest of section 'Installation'").

What always stays: headings, the title, form controls, table header rows,
server error lines (``Fatal error: ...``), and every line that is not part of
the page (a ``Read`` header, a trailing ``<system-reminder>``). Pages with no
line structure (minified onto a few lines) are left to the generic fallback.
"""

from __future__ import annotations

import html
import re
import shlex
from bisect import bisect_right
from collections.abc import Callable

from trimline.compressors.base import EDITOR_TOOLS, READ_TOOLS, Context, Plan
from trimline.compressors.structured import _numbered_rows, content_rows
from trimline.compressors.text import clean

KIND = "web"

MIN_RUN_CHARS = 500  # a run of boilerplate this heavy drops behind a marker
OUTLINE_CHARS = 8000  # kept text beyond this after pass 1: fold section bodies
TARGET_SHARE = 0.25  # ... until at most this share of the page is left (or OUTLINE_CHARS)
# (lines of text a section keeps after its heading, characters its rest must weigh
# for a marker to be worth it), from generous to tight: the first that meets the target.
OUTLINE_STEPS = ((3, 1200), (2, 800), (1, 500), (0, 400))
HEADING_LINES = 4  # a heading spread over more lines than this is not kept whole
MAX_TEXT = 8_000_000
SNIFF_BYTES = 2048

_HTML_EXTS = frozenset({"html", "htm", "xhtml", "shtml"})
_READ_TOOLS = READ_TOOLS
_EDITOR_TOOLS = EDITOR_TOOLS
_VIEWERS = frozenset({"cat", "bat", "batcat", "head", "tail", "less", "more"})

_REGION_OPEN = re.compile(r"<(script|style|svg|noscript|template|head)\b|<!--", re.IGNORECASE)
_CLOSERS = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE)
    for name in ("script", "style", "svg", "noscript", "template", "head")
}
_TAG = re.compile(r"<[^<>]*>")
_OPEN_TAG = re.compile(r"<[A-Za-z/!][^>]*$")
_BODY = re.compile(r"<body\b", re.IGNORECASE)
_HEADING = re.compile(r"<h([1-6])\b", re.IGNORECASE)
_HEADING_END = re.compile(r"</h[1-6]\s*>", re.IGNORECASE)
_TITLE = re.compile(r"<title\b", re.IGNORECASE)
_TITLE_END = re.compile(r"</title\s*>", re.IGNORECASE)
_CONTROL = re.compile(
    r"<(?:form|input|button|select|textarea|label|th)\b|<tr\b[^>]*>\s*<th\b", re.IGNORECASE
)
_WORD = re.compile(r"\w")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)
_SERVER_ERROR = re.compile(
    r"(?:<[^>]*>\s*)*(?:Fatal error|Parse error|Warning|Notice|Deprecated|Traceback"
    r"|Internal Server Error|Server Error|Exception|Error)\b[^<]{0,20}:",
)
_KNOWN_TAGS = re.compile(
    r"<(?:div|p|a|span|li|ul|td|tr|table|body|head|meta|link|script|section|nav|h[1-6]|br|img)\b",
    re.IGNORECASE,
)
_ANCHORS = str.maketrans({"¶": " ", "§": " ", "#": " "})
_REGION_NAMES = {
    "script": "<script>",
    "style": "<style>",
    "svg": "<svg>",
    "noscript": "<noscript>",
    "template": "<template>",
    "head": "<head> boilerplate",
    "comment": "HTML comments",
    "markup": "markup without text",
}


# --------------------------------------------------------------------------- claims


def _ext(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""


def claims(ctx: Context) -> bool:
    tool = ctx.tool.strip().lower()
    if tool in _READ_TOOLS or (tool in _EDITOR_TOOLS and ctx.tool_input.get("command") == "view"):
        return _ext(ctx.file_path) in _HTML_EXTS
    cmd = ctx.command
    if not cmd or len(cmd) > 2000 or "|" in cmd or "\n" in cmd:
        return False
    try:
        words = shlex.split(cmd)
    except ValueError:
        return False
    if not words or words[0].rsplit("/", 1)[-1] not in _VIEWERS:
        return False
    files = [w for w in words[1:] if not w.startswith("-") and not w.isdigit()]
    return len(files) == 1 and _ext(files[0]) in _HTML_EXTS


def _content_lines(text: str) -> list[str]:
    head = text[: 200 * 200]
    lines = head.split("\n", 200)[:200]
    numbered = _numbered_rows(lines)
    if numbered is not None:
        return [row for row in numbered[0] if row is not None]
    return lines


def sniff(text: str, ctx: Context) -> bool:
    lines = _content_lines(text)
    head = "\n".join(lines)[:SNIFF_BYTES].lower()
    if "<!doctype html" in head or "<html" in head:
        return True
    sig = [ln.strip() for ln in lines if ln.strip()][:100]
    if len(sig) < 20:
        return False
    tagged = sum(1 for ln in sig if ln.startswith("<") and ">" in ln)
    known = sum(1 for ln in sig if _KNOWN_TAGS.search(ln))
    return tagged >= 0.7 * len(sig) and known >= 0.3 * len(sig)


# --------------------------------------------------------------------------- pass 1


def _regions(doc: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of script/style/svg/noscript/template/head elements and comments."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    n = len(doc)
    while pos < n:
        m = _REGION_OPEN.search(doc, pos)
        if m is None:
            break
        name = (m.group(1) or "comment").lower()
        if name == "comment":
            end = doc.find("-->", m.end())
            end = n if end < 0 else end + 3
        else:
            close = _CLOSERS[name].search(doc, m.end())
            end = n if close is None else close.end()
            if name == "head":  # </head> may be left out: <body> ends it too
                body = _BODY.search(doc, m.end(), end)
                if body is not None:
                    end = body.start()
        out.append((m.start(), end, name))
        pos = max(end, m.end())
    return out


class _Page:
    def __init__(self, rows: list[str | None]) -> None:
        self.rows = rows
        starts: list[int] = []
        pos = 0
        for row in rows:
            starts.append(pos)
            pos += len(row or "") + 1
        self.starts = starts
        self.doc = "\n".join(row or "" for row in rows)
        self.regions = _regions(self.doc)
        self.region_starts = [r[0] for r in self.regions]

    def outside(self, i: int) -> tuple[str, str | None]:
        """The part of line i outside boilerplate regions, and the region it is mostly in."""
        row = self.rows[i] or ""
        a = self.starts[i]
        b = a + len(row)
        k = bisect_right(self.region_starts, b) - 1
        parts: list[str] = []
        pos = a
        inside: str | None = None
        # Regions do not overlap and are sorted: walk back to the first that reaches line i.
        first = k
        while first >= 0 and self.regions[first][1] > a:
            first -= 1
        for start, end, name in self.regions[first + 1 : k + 1]:
            if end <= pos or start >= b:
                continue
            if start > pos:
                parts.append(self.doc[pos:start])
            inside = name
            pos = max(pos, end)
        if pos < b:
            parts.append(self.doc[pos:b])
        return "".join(parts), inside


def _visible(fragment: str, in_tag: bool) -> tuple[str, bool]:
    """The text of a line's fragment with tags removed; and whether a tag is left open."""
    if in_tag:
        close = fragment.find(">")
        if close < 0:
            return "", True
        fragment = fragment[close + 1 :]
    text = _TAG.sub(" ", fragment)
    opened = _OPEN_TAG.search(text) if "<" in text else None
    if opened is not None:
        text = text[: opened.start()]
        in_tag = True
    else:
        in_tag = False
    return _ENTITY.sub(" ", text), in_tag


def _heading_text(rows: list[str | None], a: int, b: int) -> str:
    joined = " ".join(rows[k] or "" for k in range(a, b + 1))
    text = html.unescape(_TAG.sub(" ", joined))
    text = " ".join(text.translate(_ANCHORS).split())
    return text[:60] + ("..." if len(text) > 60 else "")


# --------------------------------------------------------------------------- compress


def _hint_factory(ctx: Context, number: Callable[[int], int]) -> Callable[[int, int], str]:
    tool = ctx.tool.strip() or "Read"
    path = ctx.file_path

    def hint(a: int, b: int) -> str:
        first, last = number(a), number(b)
        if tool.lower() in _EDITOR_TOOLS:
            return f"{tool} command=view path={path} view_range=[{first}, {last}]"
        return f"{tool} file_path={path} offset={first} limit={last - first + 1}"

    return hint


def _section_cut(
    body: list[int], has_text: list[bool], sizes: list[int], head: int, least: int
) -> list[int]:
    """The lines of a section body past its first ``head`` lines of text, if they weigh enough."""
    texts = 0
    for pos, k in enumerate(body):
        if has_text[k]:
            texts += 1
            if texts > head:
                rest = body[pos:]
                return rest if sum(sizes[j] for j in rest) >= least else []
    return []


def _describe(kinds: dict[str, int]) -> str:
    named = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(named) == 1:
        return f"lines of {_REGION_NAMES[named[0][0]]}"
    parts = [f"{_REGION_NAMES[k]} ({n})" for k, n in named[:4]]
    return ", ".join(parts)


def compress(text: str, ctx: Context) -> Plan | None:
    if len(text) > MAX_TEXT:
        return None
    source = clean(text)
    lines = source.split("\n")
    rows, numbers = content_rows(lines)
    if sum(1 for r in rows if r is not None and r.strip()) < 10:
        return None  # minified or tiny: no lines to work with
    page = _Page(rows)
    n = len(rows)
    keep_always: set[int] = set()
    role: list[str | None] = [None] * n  # why a line may go (None: it stays)
    has_text = [False] * n
    in_tag = False
    in_title = in_heading = False
    heading_start = -1
    headings: list[tuple[int, int]] = []  # first and last line of each heading
    for i, row in enumerate(rows):
        if row is None:
            keep_always.add(i)
            continue
        outside, region = page.outside(i)
        if in_title or (region in (None, "head") and _TITLE.search(row)):
            keep_always.add(i)
            in_title = _TITLE_END.search(row) is None and (in_title or bool(_TITLE.search(row)))
            continue
        if (_HEADING.search(row) and region is None) or in_heading:
            if not in_heading:
                heading_start = i
            keep_always.add(i)
            opens = len(_HEADING.findall(row)) + (1 if in_heading else 0)
            closes = len(_HEADING_END.findall(row))
            in_heading = opens > closes and i - heading_start < HEADING_LINES - 1
            if not in_heading:
                headings.append((heading_start, i))
            in_tag = False
            continue
        if not row.strip():
            role[i] = "blank"
            continue
        if len(row) <= 500 and _SERVER_ERROR.match(row.lstrip()):
            keep_always.add(i)
            continue
        if not outside.strip():
            role[i] = region or "markup"
            continue
        if _CONTROL.search(outside):
            keep_always.add(i)
            in_tag = _visible(outside, in_tag)[1]
            continue
        visible, in_tag = _visible(outside, in_tag)
        if _WORD.search(visible):
            has_text[i] = True
        else:
            role[i] = region or "markup"

    why: dict[int, str] = {}  # dropped line -> boilerplate kind, or "" (section text)
    # Pass 1: runs of boilerplate (blank lines join runs, never start one).
    i = 0
    while i < n:
        if role[i] is None or role[i] == "blank":
            i += 1
            continue
        j = last = i
        while j + 1 < n and role[j + 1] is not None:
            j += 1
            if role[j] != "blank":
                last = j
        chars = sum(len(rows[k] or "") + 1 for k in range(i, last + 1))
        if chars >= MIN_RUN_CHARS:
            for k in range(i, last + 1):
                why[k] = role[k] or "markup"
        i = j + 1

    # Pass 2: a long page keeps its outline, as tight as it takes to reach the target.
    section_of: dict[int, str] = {}
    sizes = [len(row or "") + 1 for row in rows]
    kept_chars = sum(sizes[k] for k in range(n) if k not in why)
    if kept_chars > OUTLINE_CHARS:
        target = max(OUTLINE_CHARS, int(TARGET_SHARE * sum(sizes)))
        bounds = [h[0] for h in headings] + [n]
        sections: list[tuple[int, int, str]] = [
            (0, bounds[0] - 1, "the page before its first heading")
        ]
        for k, (first, last) in enumerate(headings):
            name = f"rest of section '{_heading_text(rows, first, last)}'"
            sections.append((last + 1, bounds[k + 1] - 1, name))
        bodies = [
            [k for k in range(a, b + 1) if k not in why and k not in keep_always]
            for a, b, _ in sections
        ]
        cuts: list[list[int]] = []
        for head, least in OUTLINE_STEPS:
            cuts = [_section_cut(body, has_text, sizes, head, least) for body in bodies]
            if kept_chars - sum(sizes[k] for rest in cuts for k in rest) <= target:
                break
        for (_, b, name), rest in zip(sections, cuts, strict=True):
            if not rest:
                continue
            for k in rest:
                why[k] = ""
            for k in range(rest[0], b + 1):
                section_of[k] = name

    # One note per run of dropped lines: the section it belongs to, or its boilerplate.
    notes: dict[int, str] = {}
    i = 0
    while i < n:
        if i not in why:
            i += 1
            continue
        j = i
        while j + 1 < n and j + 1 in why:
            j += 1
        kinds: dict[str, int] = {}
        section = None
        for k in range(i, j + 1):
            if why[k] == "" and section is None:
                section = section_of.get(k)
            elif why[k] and why[k] != "blank":
                kinds[why[k]] = kinds.get(why[k], 0) + 1
        notes[i] = section or (_describe(kinds) if kinds else "blank lines")
        i = j + 1
    dropped = set(why)
    if not dropped:
        return None
    keep = set(range(len(lines))) - dropped
    plan = Plan(KIND, keep, notes, source=source if source != text else None)
    if numbers:

        def number(idx: int) -> int:
            return numbers.get(idx, idx + 1)

        plan.number = number
        if ctx.file_path and not ctx.command:
            plan.hint = _hint_factory(ctx, number)
    return plan
