"""Picks a compressor for a block: by tool and command first, by content second.

Wraps every compressor in the product's laws: a small block is left alone, an
error inside a compressor leaves the block alone, and a result that does not
shrink the block meaningfully is discarded in favour of the original.

Sizes are decided with ``estimate_tokens``: exact counting would cost twice a
compressor's whole time budget on a large block, and it is done once, off the request
path, by the metering writer. The estimate must show a margin of saving beyond the
least one; where it can be fooled (runs of punctuation, which cl100k packs into long
tokens), the saving is checked with exact counts, so a block never grows.
"""

from __future__ import annotations

import logging
import re
import threading
from types import ModuleType

from trimline.compressors import code, generic, listing, logs, search, structured, traces, vcs, web
from trimline.compressors.base import MARKER_PREFIX, Context, Plan, Result, render
from trimline.compressors.text import clean, problem_lines
from trimline.compressors.tokens import count_tokens, estimate_tokens, overpriced_share

log = logging.getLogger(__name__)

# Order matters only for content sniffing; tool/command claims are unambiguous.
FAMILIES: tuple[ModuleType, ...] = (code, search, logs, traces, listing, vcs, structured, web)

DEFAULT_THRESHOLD = 300
# Below this share of tokens saved, the original is cheaper to keep: it reads
# better and costs the agent nothing to trust.
MIN_SAVING = 0.10
# The estimate must show this much more saving: estimates of the dropped lines and of the
# markers err by a few percent of the block (see ``estimate_tokens``).
ESTIMATE_MARGIN = 0.05
# A block with more than this share in runs of punctuation is checked with exact counts:
# the estimate can be fooled there (a line of 3,000 slashes is a few dozen cl100k tokens;
# by byte classes it looks like hundreds), as the 100k-case fuzz run found.
OVERPRICED_SHARE = 0.02
# Kept for callers that size test inputs by it: blocks are no longer counted exactly on the
# request path below any size.
EXACT_CHARS = 200_000


# A format-aware pass costs up to some 200 ms per MB; beyond this many characters it reads
# the head of a line-oriented output and the rest is read line by line: its problem lines
# and its last lines are kept. Tool outputs this large are rare (Claude Code cuts Bash
# output at 30,000 characters), and the law is well under 50 ms for a megabyte.
WINDOW_CHARS = 128_000
WINDOW_TAIL = 40  # lines
# Test runs end with their failures and summary, and every changed line of a diff and every
# hit of a search is a fact: those families read the whole output (a single linear pass).
WINDOWED = frozenset({"generic", "listing", "structured", "traces", "web"})


def _windowed(family: ModuleType, text: str, ctx: Context) -> Plan | None:
    lines = text.split("\n")
    h = text.count("\n", 0, WINDOW_CHARS)  # the lines that end inside the window
    if h == 0 or h + WINDOW_TAIL >= len(lines):
        return family.compress(text, ctx)
    plan = family.compress("\n".join(lines[:h]), ctx)
    if plan is None:
        return None
    rest = lines[h:]
    if plan.source is not None:
        rest = clean("\n".join(rest)).split("\n")
        plan.source = plan.source + "\n" + "\n".join(rest)
    # The first line after the head is kept, so the head's last run and the rest's stay apart.
    plan.keep.add(h)
    plan.keep.update(h + k for k in _rest_problems(text, h, rest, plan.source is not None))
    plan.keep.update(range(len(lines) - WINDOW_TAIL, len(lines)))
    note = f"output past the first {WINDOW_CHARS // 1000} KB; problem lines kept"
    for k in [k for k in plan.keep if k >= h]:  # a note where each dropped run starts
        if k + 1 < len(lines) and k + 1 not in plan.keep:
            plan.notes[k + 1] = note
    return plan


# Per worker thread: the last block's problem lines past the window. A family that finds
# nothing to fold and the generic pass after it ask for the same ones, on a megabyte.
_memo = threading.local()


def _rest_problems(text: str, h: int, rest: list[str], cleaned: bool) -> set[int]:
    key = getattr(_memo, "key", None)
    # ``is``: the memo holds the text, so its identity cannot pass to another block.
    if key is not None and key[0] is text and key[1:] == (h, cleaned):
        return _memo.found
    found = problem_lines(rest)
    _memo.key, _memo.found = (text, h, cleaned), found
    return found


# Today's markers, and those of earlier versions ("N lines elided (lines A-B: ...)").
_OWN_MARKER = re.compile(
    r"^\[trimline\] (?:lines? \d+(?:-\d+)? elided: |\d+ lines? elided \()", re.MULTILINE
)


def already_compressed(text: str) -> bool:
    """Trimline's own output: its markers' line numbers and ``trimline show`` ids refer to
    the original, so a second pass would only make them wrong. It is left as it is."""
    return MARKER_PREFIX in text and _OWN_MARKER.search(text) is not None


def pick(text: str, ctx: Context) -> ModuleType:
    for family in FAMILIES:
        if family.claims(ctx):
            if family is logs and not logs.sniff(text, ctx) and traces.sniff(text, ctx):
                return traces  # a program run by a build tool crashed: no test or build output
            return family
    for family in FAMILIES:
        if family.sniff(text, ctx):
            return family
    return generic


def compress(text: str, ctx: Context, threshold: int = DEFAULT_THRESHOLD) -> Result:
    """Compress one tool output. Never raises, never returns more tokens than given.

    ``tokens_before``/``tokens_after`` are estimates (exact where the estimate could be
    fooled); the metering writer counts exactly, off the hot path."""
    # Four characters a token is generous for code and logs: a cheap early exit.
    if len(text) < threshold * 2:
        n = estimate_tokens(text)
        return Result(text, "small", n, n)
    before = estimate_tokens(text)
    if before < threshold:
        return Result(text, "small", before, before)
    if already_compressed(text):
        return Result(text, "trimline", before, before)
    family = pick(text, ctx)
    try:
        if len(text) > WINDOW_CHARS and family.KIND in WINDOWED:
            plan = _windowed(family, text, ctx)
        else:
            plan = family.compress(text, ctx)
        if plan is None and family is not generic:
            plan = (
                _windowed(generic, text, ctx)
                if len(text) > WINDOW_CHARS
                else generic.compress(text, ctx)
            )
        if plan is None:
            return Result(text, family.KIND, before, before)
        out, elided = render(text, plan, ctx)
    except Exception:
        log.exception("compressor %s failed; block left as it was", family.KIND)
        return Result(text, "error", before, before)
    after = estimate_tokens(out)
    if not elided or after > before * (1 - MIN_SAVING - ESTIMATE_MARGIN):
        return Result(text, plan.kind, before, before)
    if overpriced_share(text) > OVERPRICED_SHARE:
        before, after = count_tokens(text), count_tokens(out)
        if after > before * (1 - MIN_SAVING):
            return Result(text, plan.kind, before, before)
    return Result(out, plan.kind, before, after, elided)
