"""Picks a compressor for a block: by tool and command first, by content second.

Wraps every compressor in the product's laws: a small block is left alone, an
error inside a compressor leaves the block alone, and a result that does not
shrink the block meaningfully is discarded in favour of the original.

Sizes are decided with ``estimate_tokens``: exact counting would cost twice a
compressor's whole time budget on a large block. A block small enough to count
in a millisecond or two is still checked exactly, so small blocks never grow
by a token; large ones are held to a saving margin the estimate cannot miss.
"""

from __future__ import annotations

import logging
from types import ModuleType

from compressors import code, generic, listing, logs, search, structured, vcs, web
from compressors.base import Context, Result, render
from compressors.tokens import count_tokens, estimate_tokens

log = logging.getLogger(__name__)

# Order matters only for content sniffing; tool/command claims are unambiguous.
FAMILIES: tuple[ModuleType, ...] = (code, search, logs, listing, vcs, structured, web)

DEFAULT_THRESHOLD = 300
# Below this share of tokens saved, the original is cheaper to keep: it reads
# better and costs the agent nothing to trust.
MIN_SAVING = 0.10
# Under this many characters a block is counted exactly (about 2 ms at most).
EXACT_CHARS = 20_000
# Above it, the estimate must show this much more saving: estimates of the dropped lines
# and of the markers err by a few percent of the block (see ``estimate_tokens``).
ESTIMATE_MARGIN = 0.05


def pick(text: str, ctx: Context) -> ModuleType:
    for family in FAMILIES:
        if family.claims(ctx):
            return family
    for family in FAMILIES:
        if family.sniff(text, ctx):
            return family
    return generic


def compress(text: str, ctx: Context, threshold: int = DEFAULT_THRESHOLD) -> Result:
    """Compress one tool output. Never raises, never returns more tokens than given.

    ``tokens_before``/``tokens_after`` are exact under ``EXACT_CHARS`` characters and
    estimates above; reports and metering count exactly off the hot path."""
    # Four characters a token is generous for code and logs: a cheap early exit.
    if len(text) < threshold * 2:
        n = count_tokens(text)
        return Result(text, "small", n, n)
    exact = len(text) < EXACT_CHARS
    measure = count_tokens if exact else estimate_tokens
    before = measure(text)
    if before < threshold:
        return Result(text, "small", before, before)
    family = pick(text, ctx)
    try:
        plan = family.compress(text, ctx)
        if plan is None and family is not generic:
            plan = generic.compress(text, ctx)
        if plan is None:
            return Result(text, family.KIND, before, before)
        out, elided = render(text, plan, ctx)
    except Exception:
        log.exception("compressor %s failed; block left as it was", family.KIND)
        return Result(text, "error", before, before)
    after = measure(out)
    margin = 0.0 if exact else ESTIMATE_MARGIN
    if not elided or after > before * (1 - MIN_SAVING - margin):
        return Result(text, plan.kind, before, before)
    return Result(out, plan.kind, before, after, elided)
