"""Documents (Markdown, reStructuredText, text with headings): headings and section
leads stay, section bodies are candidate runs."""

from __future__ import annotations

import re
from bisect import bisect_right

MAX_TITLE = 60  # characters of a name or heading quoted in a marker

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
