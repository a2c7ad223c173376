"""A request body rewritten where its tool outputs shrink, and nowhere else.

The body is walked in its original bytes (``providers.splice``): the conversation's
elements are found and parsed one by one, the provider says which strings in each are
tool outputs, and only the strings whose decision changes them are replaced. Every other
byte goes upstream as the agent sent it. The part of the body already seen on the
conversation's last turn (``addons.replay``) is not walked again: its bytes as sent are
reused, so a turn costs work in proportion to what is new in it.

Sizes are estimated here (``estimate_json``, per element, so the figures of a replayed
part are the sums already made): the same bytes give the same figures whatever the load.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import xxhash
from trimline.addons.providers import splice
from trimline.addons.providers.base import Provider, Scan, ToolBlock
from trimline.addons.replay import Mark, Replay, Seen, common_prefix
from trimline.compressors import Result
from trimline.compressors.tokens import estimate_json

# Top-level members parsed for the record and the router's features (model, stream,
# metadata, prompt_cache_key...); large ones never are on this path.
SMALL_FIELD = 64 << 10
_LARGE = frozenset({"system", "tools", "instructions"})
TOKENS_METHOD = "estimate"  # calls.tokens_method: see compressors.tokens.estimate_json

# (result, fresh: decided now rather than replayed), or None: the block stays as it is.
Decide = Callable[[ToolBlock], tuple[Result, bool] | None]

_UNPARSED = object()


@dataclass(slots=True)
class Outcome:
    out: bytes | None  # the body to send; None: send it as it came
    fields: dict[str, Any] = field(default_factory=dict)
    items: list[Any] | None = None  # the conversation's first elements, parsed, when walked
    conversation: str | None = None
    tokens_before: int = 0
    tokens_after: int = 0
    replayed_blocks: int = 0  # blocks sent changed whose decision was made on an earlier turn
    saved_new: int = 0  # of tokens_before - tokens_after, on blocks decided on this turn
    elements: int = 0
    walked: int = 0  # elements walked (the rest came from the replayed prefix)
    error: str | None = None  # elements that could not be read (sent as they came)


def _field(fields: dict[str, Any], name: str, raw: bytes, start: int, end: int) -> None:
    if name in _LARGE or end - start > SMALL_FIELD:
        return
    with contextlib.suppress(ValueError):
        fields[name] = splice.loads(raw[start:end])


def _tokens(data: bytes) -> float:
    return estimate_json(data)


class Rewriter:
    def __init__(self, replay: Replay | None = None) -> None:
        self.replay = replay if replay is not None else Replay()

    def rewrite(self, raw: bytes, provider: Provider, hint: str, decide: Decide) -> Outcome:
        """``hint``: the agent's session id from headers, if any (finds the last turn)."""
        list_key = provider.LIST_KEY
        fields: dict[str, Any] = {}
        pos = splice.first_member(raw)
        while pos is not None:
            name, start = splice.member_at(raw, pos)
            if name == list_key and raw[start] == 0x5B:
                return self._conversation(raw, provider, hint, decide, fields, start)
            end = splice.value_end(raw, start)
            _field(fields, name, raw, start, end)
            pos = splice.after_member(raw, end)
        n = round(_tokens(raw))
        return Outcome(None, fields, tokens_before=n, tokens_after=n)

    def _conversation(
        self,
        raw: bytes,
        provider: Provider,
        hint: str,
        decide: Decide,
        fields: dict[str, Any],
        list_open: int,
    ) -> Outcome:
        first = splice.ws(raw, list_open + 1)
        empty = raw[first] == 0x5D
        # Candidates: bodies that began the same way (the head and the first two elements).
        key_end = list_open + 1
        if not empty:
            for k, (_, end) in enumerate(splice.elements_from(raw, first)):
                key_end = end
                if k == 1:
                    break
        h = xxhash.xxh3_64(hint.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
        h.update(memoryview(raw)[:key_end])
        key = h.digest()
        base, c = None, 0
        for seen in self.replay.candidates(key):
            if seen.list_open != list_open or not seen.marks:
                continue
            n = bisect.bisect_right(seen.marks, common_prefix(raw, seen.raw), key=_end)
            if n > c:
                base, c = seen, n
        if base is not None:
            self.replay.hits += 1
            marks = base.marks[:c]
            scan = base.scan.upto(c)
            last = marks[-1]
            pieces: list[Any] = [memoryview(base.out or base.raw)[: last.out_end]]
            cursor, delta = last.end, last.out_end - last.end
            before, after, changed = last.before, last.after, last.changed
            start = splice.after_element(raw, last.end)
        else:
            marks, scan, pieces = [], Scan(), []
            cursor = delta = before = after = changed = 0
            start = None if empty else first

        new: list[tuple[int, int, int, Any]] = []
        unreadable: list[str] = []
        if start is not None:
            for i, (s, e) in enumerate(splice.elements_from(raw, start), start=c):
                try:
                    element = splice.loads(raw[s:e])
                except (ValueError, RecursionError) as exc:
                    element = _UNPARSED  # left as it is; the rest of the body is not
                    unreadable.append(f"element {i} sent as it came ({type(exc).__name__})")
                new.append((i, s, e, element))
            list_end = splice.array_end(raw, new[-1][2])
        elif marks:
            list_end = splice.array_end(raw, marks[-1].end)
        else:
            list_end = first + 1  # an empty conversation
        count = c + len(new)
        latest = provider.first_latest([n[3] for n in new], count)

        outcome = Outcome(None, fields, elements=count, walked=len(new))
        if unreadable:
            outcome.error = "; ".join(unreadable[:3])
        view = memoryview(raw)
        for i, s, e, element in new:
            blocks = [] if element is _UNPARSED else provider.element_blocks(element, i, scan)
            changes: list[tuple[int, int, bytes, ToolBlock, bool]] = []
            for block in blocks:
                block.latest = i >= latest
                got = decide(block)
                if got is None or not got[0].changed:
                    continue
                result, fresh = got
                try:
                    vs, ve = splice.locate(raw, s, block.path)
                except splice.SpliceError:
                    continue  # not where the parse put it: left as it is
                changes.append((vs, ve, splice.dumps_str(block.head + result.text), block, fresh))
                if not fresh:
                    outcome.replayed_blocks += 1
            # Each piece is sized on its own, in whole tokens: a block's figures are the same
            # numbers the call's total is made of, so the blocks' savings add up to the call's.
            at, el_before, el_after = s, 0, 0
            for vs, ve, replacement, block, fresh in sorted(changes, key=_start):
                mid = round(_tokens(raw[at:vs]))
                block.tokens_before = round(_tokens(raw[vs:ve]))
                block.tokens_after = round(_tokens(replacement))
                el_before += mid + block.tokens_before
                el_after += mid + block.tokens_after
                if fresh:
                    outcome.saved_new += block.tokens_before - block.tokens_after
                pieces.append(view[cursor:vs])
                pieces.append(replacement)
                delta += len(replacement) - (ve - vs)
                cursor = at = ve
            rest = round(_tokens(raw[at:e]))
            el_before += rest
            el_after += rest
            before += el_before
            after += el_after
            changed += len(changes)
            marks.append(Mark(e, e + delta, before, after, changed))

        outcome.replayed_blocks += base.marks[c - 1].changed if base is not None else 0
        tail = len(raw) - list_end
        if (
            base is not None
            and len(base.raw) - base.tail_start == tail
            and raw.endswith(memoryview(base.raw)[base.tail_start :])
        ):
            tail_tokens, tail_fields = base.tail_tokens, base.fields
        else:
            tail_tokens, tail_fields = round(_tokens(raw[list_end:])), {}
            pos = splice.after_member(raw, list_end)
            while pos is not None:
                name, vs = splice.member_at(raw, pos)
                if name == provider.LIST_KEY:
                    raise splice.SpliceError(f"two {name!r} members")
                ve = splice.value_end(raw, vs)
                _field(tail_fields, name, raw, vs, ve)
                pos = splice.after_member(raw, ve)
        fields.update(tail_fields)
        head_tokens = round(_tokens(raw[: list_open + 1]))
        outcome.tokens_before = head_tokens + before + tail_tokens
        outcome.tokens_after = head_tokens + after + tail_tokens
        if changed:
            pieces.append(view[cursor:])
            outcome.out = b"".join(pieces)
        if c >= 2:
            outcome.conversation = base.conversation if base is not None else None
        else:
            items = [splice.loads(raw[s:e]) for s, e in _first(raw, first, empty)[:c]]
            outcome.items = items + [n[3] for n in new]
            outcome.conversation = provider.conversation_id({provider.LIST_KEY: outcome.items})
        self.replay.keep(
            key,
            Seen(
                raw,
                outcome.out,
                list_open,
                marks,
                scan,
                head_tokens,
                list_end,
                tail_tokens,
                tail_fields,
                outcome.conversation,
            ),
            base,
        )
        return outcome


def _end(mark: Mark) -> int:
    return mark.end


def _start(change: tuple[int, int, bytes, ToolBlock, bool]) -> int:
    return change[0]


def _first(raw: bytes, first: int, empty: bool) -> list[tuple[int, int]]:
    if empty:
        return []
    out = []
    for span in splice.elements_from(raw, first):
        out.append(span)
        if len(out) == 2:
            break
    return out
