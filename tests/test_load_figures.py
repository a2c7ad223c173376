"""A call's figures do not depend on the load: the same request records the same
tokens_before and tokens_after (with the method named) whether the writer keeps up or
has a backlog, whether its history is replayed or walked afresh; never negative; the
savings never above the call's total; one block row per distinct decision."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from mitmproxy.test import taddons
from trimline.addons.trimline import Trimline
from trimline.metering import store
from trimline.metering.writer import RecordWriter

from tests.samples import pytest_log
from tests.test_fuzz import rewrite


@pytest.fixture
def addon(tmp_path: Path) -> Iterator[Trimline]:
    trimline = Trimline()
    with taddons.context(trimline) as tctx:
        tctx.configure(
            trimline,
            trimline_db=str(tmp_path / "addon.db"),
            trimline_threshold=40,
            trimline_hosts="api.anthropic.com",
        )
        yield trimline
        trimline.done()


def session(rng: random.Random, turns: int) -> list[bytes]:
    log = pytest_log().splitlines()
    messages: list[dict] = [{"role": "user", "content": "Make the tests pass."}]
    bodies = []
    for t in range(turns):
        for m in messages:
            if isinstance(m["content"], list):
                for part in m["content"]:
                    part.pop("cache_control", None)
        tid = f"toolu_{t}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": tid, "name": "Bash", "input": {"command": "pytest"}}
                ],
            }
        )
        start = rng.randrange(len(log) // 2)
        output = "\n".join(log[start : start + rng.randint(5, len(log) // 2)]) + f"\n# run {t}"
        messages.append(
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": tid,
                        "content": output,
                        "cache_control": {"type": "ephemeral"},
                    }
                ],
            }
        )
        body = {"model": "claude-sonnet-4-5", "messages": messages, "max_tokens": 1000}
        bodies.append(orjson.dumps(body))
    return bodies


def rows(db: Path) -> list[tuple]:
    conn = store.connect(db, readonly=True)
    try:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT id, tokens_before, tokens_after, tokens_method, saved_new FROM calls"
                " ORDER BY id"
            )
        ]
    finally:
        conn.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_are_the_same_under_a_backlog_and_on_replay(
    addon: Trimline, tmp_path: Path, seed: int
) -> None:
    bodies = session(random.Random(seed), 12)
    # Each body twice: first sight (fresh decisions), then again (all replayed).
    records = []
    for raw in bodies + bodies[::-1]:
        _, record = rewrite(addon, "/v1/messages", raw)
        assert record.error is None
        records.append(record)
    calm = RecordWriter(tmp_path / "calm.db", exact_counts=True)
    busy = RecordWriter(tmp_path / "busy.db", exact_counts=True)
    busy.light_after = -1  # as if the backlog were long: texts let go on submit
    for r in records:
        calm.submit(copy.deepcopy(r))
        busy.submit(copy.deepcopy(r))
    calm.close()
    busy.close()
    a, b = rows(tmp_path / "calm.db"), rows(tmp_path / "busy.db")
    assert [r[1:4] for r in a] == [r[1:4] for r in b]
    n = len(bodies)
    for first, again in zip(a[:n], a[n:][::-1], strict=True):
        assert first[1:4] == again[1:4]  # the same request, replayed: the same figures
    for _, before, after, method, saved_new in a:
        assert method == "estimate"
        assert 0 <= after <= before
        assert 0 <= saved_new <= before - after
    assert any(before > after for _, before, after, _, _ in a)
    conn = store.connect(tmp_path / "calm.db", readonly=True)
    (blocks,) = conn.execute("SELECT COUNT(*) FROM blocks").fetchone()
    (distinct,) = conn.execute("SELECT COUNT(DISTINCT decision) FROM blocks").fetchone()
    methods = {m for (m,) in conn.execute("SELECT DISTINCT tokens_method FROM blocks")}
    conn.close()
    assert blocks == distinct <= n  # one row per decision, none per re-send
    assert methods == {"cl100k"}
    conn = store.connect(tmp_path / "busy.db", readonly=True)
    methods = {m for (m,) in conn.execute("SELECT DISTINCT tokens_method FROM blocks")}
    conn.close()
    assert methods <= {"estimate"}  # under a backlog, block rows say they are estimates


def test_blocks_keep_their_estimates_unless_exact_counts_are_asked_for(
    addon: Trimline, tmp_path: Path
) -> None:
    writer = RecordWriter(tmp_path / "w.db")
    for raw in session(random.Random(5), 4):
        _, record = rewrite(addon, "/v1/messages", raw)
        writer.submit(record)
    writer.close()
    conn = store.connect(tmp_path / "w.db", readonly=True)
    methods = {m for (m,) in conn.execute("SELECT DISTINCT tokens_method FROM blocks")}
    (blocks_saved,) = conn.execute(
        "SELECT SUM(tokens_before - tokens_after) FROM blocks"
    ).fetchone()
    (new_saved, total_saved) = conn.execute(
        "SELECT SUM(saved_new), SUM(tokens_before - tokens_after) FROM calls"
    ).fetchone()
    conn.close()
    assert methods == {"estimate"}
    # The blocks' savings are the very numbers the calls' totals are made of.
    assert blocks_saved == new_saved > 0
    assert total_saved > new_saved  # and re-sent history adds to the calls' savings
