"""The request path's work on tool outputs: decide each block once, splice the results in.

A block seen before is decided by its content (``addons.decisions``): the same bytes on
every turn. A block of the newest turn not seen before is compressed now (in a worker,
under a CPU limit); history Trimline never saw goes as it came. Only decisions made now
become block records; the rest of a call's history is counted in the call's record.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import orjson
from trimline.addons.bounded import BoundedCompress
from trimline.addons.decisions import Decisions, decision_key
from trimline.addons.providers.base import Provider, ToolBlock
from trimline.addons.rewrite import TOKENS_METHOD, Outcome, Rewriter
from trimline.addons.task import task_text
from trimline.compressors import Context, Result
from trimline.compressors.base import block_id
from trimline.metering.records import BlockRecord, CallRecord, Original


class ToolOutputs:
    def __init__(self) -> None:
        self.rewriter = Rewriter()
        self.bounded_compress = BoundedCompress()

    def rewrite(
        self,
        record: CallRecord,
        provider: Provider,
        raw: bytes,
        headers: dict[str, str],
        decisions: Decisions,
        submit: Callable[[Any], None],
        *,
        threshold: int,
        keep_originals: bool,
        limit_ms: int,
    ) -> Outcome:
        """Fills the record's model, stream, session and sizes; returns the new body."""

        made: list[tuple[ToolBlock, BlockRecord]] = []
        task: list[str] = []

        def with_task(context: Context) -> Context:
            # What large reads keep whole: read from the body once, and only on a turn that
            # compresses a new block (a decision's key leaves it out, so replays never need it).
            if not task:
                try:
                    body = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    body = None
                task.append(task_text(body) if isinstance(body, dict) else "")
            return dataclasses.replace(context, task=task[0])

        def decide(block: ToolBlock) -> tuple[Result, bool] | None:
            context = Context(block.tool, block.tool_input, block.is_error, keep_originals)
            t0 = time.perf_counter()
            key = decision_key(context, block.text)
            result = decisions.get(key)
            fresh = False
            if result is None:
                if block.latest:
                    result = self.bounded_compress(
                        block.text, with_task(context), threshold, limit_ms
                    )
                    if result.changed and keep_originals:
                        submit(Original(block_id(block.text), block.text))
                else:
                    # History sent before Trimline saw it (it started mid-session, or lost its
                    # database): those bytes are in the provider's cache as they are.
                    result = Result(block.text, "unseen", 0, 0)
                result, fresh = decisions.put(key, result)
            if result.kind in ("small", "unseen"):
                return None
            if fresh:
                # One record per decision; its counts are made exact by the writer.
                record.blocks.append(
                    BlockRecord(
                        block.tool,
                        result.kind,
                        result.tokens_before,
                        result.tokens_after,
                        (time.perf_counter() - t0) * 1000,
                        False,
                        text_before=block.text,
                        text_after=result.text if result.changed else None,
                        decision=key,
                    )
                )
                made.append((block, record.blocks[-1]))
            return result, fresh

        hint = provider.session_id(headers, {}) or ""
        outcome = self.rewriter.rewrite(raw, provider, hint, decide)
        for block, made_record in made:
            # The sizes the call's total was made of (the string as sent, JSON escapes and
            # all), so that the blocks' savings add up to the call's.
            if block.tokens_before is not None and block.tokens_after is not None:
                made_record.tokens_before = block.tokens_before
                made_record.tokens_after = block.tokens_after
        fields = outcome.fields
        record.model = str(fields.get("model") or "")
        record.stream = fields.get("stream") is True
        record.session = (
            record.session
            or provider.session_id(headers, fields)
            or outcome.conversation
            or provider.conversation_id(fields)
            or "unknown"
        )
        record.tokens_before = outcome.tokens_before
        record.tokens_after = outcome.tokens_after
        record.tokens_method = TOKENS_METHOD
        record.replayed_blocks = outcome.replayed_blocks
        record.saved_new = outcome.saved_new
        if outcome.error is not None:
            record.error = f"request: {outcome.error}"[:500]
        return outcome

    def close(self) -> None:
        self.bounded_compress.close()
