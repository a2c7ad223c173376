"""The plan for one read: segments, the route by file name, then an outline under budget."""

from __future__ import annotations

import shlex
from bisect import bisect_right
from typing import Any

from trimline.compressors.base import Context, Plan, marker
from trimline.compressors.code.budget import TARGET, _estimate, _select
from trimline.compressors.code.docs import _doc_candidates
from trimline.compressors.code.files import (
    _EDITOR_TOOLS,
    _MINIFIED_LABELS,
    _path,
    _route,
    _windowed,
    shown_file,
)
from trimline.compressors.code.generated import _generated_notes, _generated_runs, _minified
from trimline.compressors.code.numbered import _plain_segment, _segments
from trimline.compressors.code.outline import _code_candidates
from trimline.compressors.code.pointed import pointed
from trimline.compressors.shellcmd import contains_credential
from trimline.compressors.tokens import estimate_tokens

KIND = "code"
WINDOW_VERBATIM = 250  # an aimed read of at most this many lines is left alone
# The read policy. A read under this many (estimated) tokens stays whole: the agent reads a
# file to see its bodies, and a re-read costs a turn that re-sends the whole context. The
# size is where outlining starts to pay in the session-cost model of
# ``python -m benchmarks.read_policy`` (prompt-cache prices, contexts and turns measured on
# real agent runs). Larger reads are outlined, except the definitions the task points at.
KEEP_WHOLE_TOKENS = 2_500
MAX_TEXT = 8_000_000  # characters; beyond that a read is left to the generic pass
MAX_AVERAGE_LINE = 300  # characters; longer lines on average mean minified or generated text
# The part of a marker the renderer adds, with a stand-in block id.
_RENDER_TAIL = ", or run: trimline show 0123456789ab --lines {}-{}"


def _hint_factory(ctx: Context, path: str, number: Any) -> Any:
    tool = ctx.tool.strip() or "Read"
    # SWE-agent's editor tools take no range; its shell does.
    swe = tool.lower() in ("open", "goto", "scroll_up", "scroll_down")
    bashy = (bool(ctx.command) and not ctx.file_path) or swe
    # A command that changed directory first names the file from there.
    cd = "".join(f"{p.strip()} && " for p in ctx.command.split("&&")[:-1]) if bashy else ""
    if contains_credential(cd):
        cd = ""

    def hint(a: int, b: int) -> str:
        first, last = number(a), number(b)
        if bashy:
            return f"{cd}sed -n '{first},{last}p' {shlex.quote(path)}"
        if tool.lower() in _EDITOR_TOOLS:
            return f"{tool} command=view path={path} view_range=[{first}, {last}]"
        # The path is in the tool call this result answers; naming it again costs tokens.
        return f"{tool} offset={first} limit={last - first + 1}"

    return hint


def compress(text: str, ctx: Context) -> Plan | None:
    """A read's plan under the read policy: see ``KEEP_WHOLE_TOKENS``."""
    return outline(text, ctx, KEEP_WHOLE_TOKENS)


def outline(text: str, ctx: Context, whole_below: int = 0) -> Plan | None:
    """A read's plan: reads under ``whole_below`` estimated tokens stay whole."""
    path = _path(ctx, text)
    if ctx.is_error or not path or not text or len(text) > MAX_TEXT:
        return None
    mode, detail = _route(path)
    if mode == "data":
        return None  # structured data: another family's (or the generic pass's) business
    lines = text.split("\n")
    segs = _segments(lines)
    if not segs and not ctx.file_path:
        # A plain print of the file: ``cat FILE`` from line 1, ``sed -n 'A,Bp' FILE`` from A.
        segs = _plain_segment(lines, shown_file(ctx.command)[1] or 1)
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
    if whole_below and estimate_tokens(text) < whole_below:
        return plan  # small and medium reads stay whole: the agent came for their bodies
    cands: list[tuple[int, int, str]] = []
    if mode == "code":
        found = _code_candidates(detail, lines, live, ctx, pointed(ctx.task, path))
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
        tail = _RENDER_TAIL.format(a + 1, b + 1) if ctx.keeps_original else ""
        return _estimate(line + tail)

    # An outline that drops nothing means the read is already compact: keeping
    # it whole beats a generic head-and-tail cut through the middle of a file.
    for a, b, what in _select(cands, tokens, TARGET * sum(tokens), marker_cost):
        keep.difference_update(range(a, b + 1))
        plan.notes.setdefault(a, what)
    return plan
