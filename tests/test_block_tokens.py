"""Block records carry estimates from the hot path; the writer stores exact counts."""

from __future__ import annotations

from pathlib import Path

from trimline.compressors import Context, compress
from trimline.compressors.registry import EXACT_CHARS
from trimline.compressors.tokens import count_tokens
from trimline.metering import store
from trimline.metering.records import BlockRecord, CallRecord
from trimline.metering.writer import RecordWriter

from tests.samples import pytest_log


def test_the_writer_stores_exact_counts_of_a_block_compressed_on_estimates(
    tmp_path: Path,
) -> None:
    # Large enough that the registry decides on estimates.
    text = pytest_log() * (EXACT_CHARS // len(pytest_log()) + 1)
    result = compress(text, Context("Bash", {"command": "pytest -v"}))
    assert result.changed
    exact = (count_tokens(text), count_tokens(result.text))
    assert (result.tokens_before, result.tokens_after) != exact  # estimates, not counts
    blocks = [
        BlockRecord(
            "Bash",
            result.kind,
            result.tokens_before,
            result.tokens_after,
            1.0,
            False,
            text_before=text,
            text_after=result.text,
        ),
        # Left alone: no text after, the same count as before.
        BlockRecord("Bash", "logs", 7, 7, 1.0, True, text_before="left as it was\n"),
        # No texts: the counts stand as given.
        BlockRecord("Read", "code", 500, 100, 1.0, True),
    ]
    record = CallRecord(
        ts=1.0,
        provider="anthropic",
        endpoint="messages",
        session="s",
        model="claude-sonnet-4-5",
        stream=False,
        status=200,
        blocks=blocks,
    )
    writer = RecordWriter(tmp_path / "t.db", exact_counts=True)
    writer.submit(record)
    writer.flush()
    writer.close()
    conn = store.connect(tmp_path / "t.db", readonly=True)
    rows = conn.execute("SELECT tokens_before, tokens_after FROM blocks ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [exact, (5, 5), (500, 100)]
    assert all(b.text_before is None and b.text_after is None for b in blocks)
