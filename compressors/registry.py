"""Picks a compressor for a block: by tool and command first, by content second.

Wraps every compressor in the product's laws: a small block is left alone, an
error inside a compressor leaves the block alone, and a result that does not
shrink the block meaningfully is discarded in favour of the original.
"""

from __future__ import annotations

import logging
from types import ModuleType

from compressors import code, generic, listing, logs, search, structured, vcs, web
from compressors.base import Context, Result, render
from compressors.tokens import count_tokens

log = logging.getLogger(__name__)

# Order matters only for content sniffing; tool/command claims are unambiguous.
FAMILIES: tuple[ModuleType, ...] = (code, search, logs, listing, vcs, structured, web)

DEFAULT_THRESHOLD = 300
# Below this share of tokens saved, the original is cheaper to keep: it reads
# better and costs the agent nothing to trust.
MIN_SAVING = 0.10


def pick(text: str, ctx: Context) -> ModuleType:
    for family in FAMILIES:
        if family.claims(ctx):
            return family
    for family in FAMILIES:
        if family.sniff(text, ctx):
            return family
    return generic


def compress(text: str, ctx: Context, threshold: int = DEFAULT_THRESHOLD) -> Result:
    """Compress one tool output. Never raises, never returns more tokens than given."""
    # Four characters a token is generous for code and logs: a cheap early exit.
    if len(text) < threshold * 2:
        n = count_tokens(text)
        return Result(text, "small", n, n)
    before = count_tokens(text)
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
    after = count_tokens(out)
    if not elided or after > before * (1 - MIN_SAVING):
        return Result(text, plan.kind, before, before)
    return Result(out, plan.kind, before, after, elided)
