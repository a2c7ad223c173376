"""Records go to the store (SQLite or PostgreSQL) off the request path; /stats sums them."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import orjson
import pytest
from trimline.compressors.tokens import estimate_json
from trimline.metering import stats, store
from trimline.metering.prices import cost, saved, use_price_file
from trimline.metering.records import BlockRecord, CallRecord, Usage
from trimline.metering.user_prices import PriceFileError
from trimline.metering.writer import RecordWriter

from tests.backends import count, query


def make_record(rng: random.Random, session: str, endpoint: str = "messages") -> CallRecord:
    before = rng.randint(1000, 5000)
    saved = rng.randint(0, 900)
    return CallRecord(
        ts=1_700_000_000 + rng.random() * 1000,
        provider="anthropic",
        endpoint=endpoint,
        session=session,
        model=rng.choice(["claude-sonnet-4-5", "claude-haiku-4-5"]),
        stream=rng.random() < 0.5,
        status=200,
        usage=Usage(
            rng.randint(1, 999), rng.randint(1, 99), rng.randint(0, 99), rng.randint(0, 9999)
        ),
        overhead_ms=rng.random(),
        blocks=[
            BlockRecord("Bash", rng.choice(["logs", "search"]), before, before - saved, 1.0, False)
        ],
        tokens_before=before + 100,
        tokens_after=before + 100 - saved,
    )


def test_writer_and_stats_agree_with_an_independent_sum(store_target: str | Path) -> None:
    rng = random.Random(7)
    records = [make_record(rng, f"s{i % 5}") for i in range(300)]
    records += [make_record(rng, "s0", endpoint="count_tokens") for _ in range(4)]
    writer = RecordWriter(store_target, batch=32)
    for r in records:
        writer.submit(r)
    writer.flush()
    writer.close()
    assert writer.written == len(records) and writer.dropped == 0

    conn = store.connect(store_target, readonly=True)
    data = stats.stats(conn)
    conn.close()
    model_calls = [r for r in records if r.endpoint == "messages"]
    t = data["totals"]
    assert t["requests"] == 300
    assert t["count_tokens_calls"] == 4
    assert t["tokens_before"] == sum(r.tokens_before for r in model_calls)
    assert t["tokens_saved"] == sum(r.tokens_before - r.tokens_after for r in model_calls)
    assert t["cache_read_input_tokens"] == sum(r.usage.cache_read_input_tokens for r in model_calls)
    assert t["output_tokens"] == sum(r.usage.output_tokens for r in model_calls)
    s0 = next(s for s in data["by_session"] if s["session"] == "s0")
    assert s0["requests"] == sum(1 for r in model_calls if r.session == "s0")
    kinds = {k["kind"]: k for k in data["by_kind"]}
    assert kinds["logs"]["blocks"] + kinds["search"]["blocks"] == 300
    assert sum(m["requests"] for m in data["by_model"]) == 300


def test_writer_sizes_a_body_the_request_path_could_not_walk(store_target: str | Path) -> None:
    """A body the proxy sent as it came (it could not walk it) is sized by the same
    estimate as any other, whole, and says so."""
    body = {
        "model": "m",
        "system": "be brief",
        "messages": [{"role": "user", "content": "hello " * 500}],
    }
    record = CallRecord(
        ts=1.0, provider="anthropic", endpoint="messages", session="s", model="m", stream=False
    )
    record.request_json = orjson.dumps(body)
    writer = RecordWriter(store_target)
    writer.submit(record)
    writer.close()
    (row,) = query(store_target, "SELECT tokens_before, tokens_after, tokens_method FROM calls")
    n = round(estimate_json(orjson.dumps(body)))
    assert row == (n, n, "estimate")
    assert n > 500


def test_a_backlogged_writer_queues_records_without_their_texts(tmp_path: Path) -> None:
    """A writer that falls behind must not hold every request's text: past ``light_after``
    queued records, the texts are let go at once; the call's figures stay as they are and
    its blocks' counts are marked as the estimates they remain."""
    body = {"model": "m", "messages": [{"role": "user", "content": "hello world " * 400}]}
    record = CallRecord(
        ts=1.0, provider="anthropic", endpoint="messages", session="s", model="m", stream=False
    )
    record.request_json = orjson.dumps(body)
    record.tokens_before, record.tokens_after, record.tokens_method = 1000, 700, "estimate"
    block = BlockRecord("Bash", "logs", 400, 100, 1.0, False, text_before="x " * 20000)
    record.blocks = [block]
    writer = RecordWriter(tmp_path / "t.db")
    writer.light_after = -1  # as if the backlog were already long
    writer.submit(record)
    assert record.request_json is None and block.text_before is None  # let go at once
    writer.close()
    (row,) = query(tmp_path / "t.db", "SELECT tokens_before, tokens_after FROM calls")
    assert row == (1000, 700)
    (row,) = query(
        tmp_path / "t.db", "SELECT tokens_before, tokens_after, tokens_method FROM blocks"
    )
    assert row == (400, 100, "estimate")


def test_schema_migrations_are_idempotent(store_target: str | Path) -> None:
    store.connect(store_target).close()
    conn = store.connect(store_target)
    assert store.schema_version(conn) == store.SCHEMA_VERSION
    if conn.dialect == "sqlite":
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    else:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    conn.close()


def test_a_full_queue_counts_what_it_drops(store_target: str | Path) -> None:
    writer = RecordWriter(store_target, max_queue=1)
    rng = random.Random(1)
    for _ in range(2000):
        writer.submit(make_record(rng, "s"))
    writer.flush()
    writer.close()
    n = count(store_target)
    assert n == writer.written
    assert n + writer.dropped == 2000


def test_cost_prices_each_kind_of_token_at_its_own_rate() -> None:
    # Anthropic: input_tokens exclude cache reads and writes. Sonnet 4.5 is $3 in, $3.75
    # cache write, $0.30 cache read, $15 out per million.
    anthropic = Usage(
        input_tokens=1200,
        output_tokens=42,
        cache_creation_input_tokens=300,
        cache_read_input_tokens=9000,
    )
    expected = (1200 * 3 + 300 * 3.75 + 9000 * 0.30 + 42 * 15) / 1e6
    assert cost("anthropic", "claude-sonnet-4-5", anthropic) == pytest.approx(expected)
    # OpenAI, as the provider module stores it: 5,000 prompt tokens of which 4,096 cached.
    # GPT-5 is $1.25 in, $0.125 cached, $10 out per million.
    openai = Usage(
        input_tokens=5000 - 4096,
        output_tokens=57,
        cache_read_input_tokens=4096,
        reasoning_tokens=20,
    )
    assert cost("openai", "gpt-5", openai) == pytest.approx(
        (904 * 1.25 + 4096 * 0.125 + 57 * 10) / 1e6
    )


def test_unknown_models_and_missing_usage_cost_nothing_known() -> None:
    assert cost("anthropic", "claude-imaginary-9", Usage(10, 10)) is None
    assert cost("anthropic", "claude-sonnet-4-5", Usage()) is None


def test_streamed_calls_are_priced_too(store_target: str | Path) -> None:
    record = CallRecord(
        ts=1.0,
        provider="anthropic",
        endpoint="messages",
        session="s",
        model="claude-sonnet-4-5",
        stream=True,
        status=200,
        usage=Usage(input_tokens=1000, output_tokens=100),
    )
    writer = RecordWriter(store_target)
    writer.submit(record)
    writer.close()
    ((value,),) = query(store_target, "SELECT cost_usd FROM calls")
    assert value == pytest.approx((1000 * 3 + 100 * 15) / 1e6)


def test_savings_are_priced_as_they_would_have_been_billed(store_target: str | Path) -> None:
    # One new block (written to the cache this call) and one re-sent from history (read from it).
    record = CallRecord(
        ts=1.0,
        provider="anthropic",
        endpoint="messages",
        session="s",
        model="claude-sonnet-4-5",
        stream=True,
        status=200,
        usage=Usage(
            input_tokens=50,
            output_tokens=10,
            cache_creation_input_tokens=900,
            cache_read_input_tokens=20_000,
        ),
        blocks=[
            BlockRecord("Bash", "logs", 5000, 1000, 1.0, cached=False),
            BlockRecord("Read", "code", 3000, 1000, 0.1, cached=True),
        ],
    )
    writer = RecordWriter(store_target)
    writer.submit(record)
    writer.close()
    ((value,),) = query(store_target, "SELECT saved_usd FROM calls")
    # Sonnet 4.5: cache write $3.75, cache read $0.30 per million.
    assert value == pytest.approx((4000 * 3.75 + 2000 * 0.30) / 1e6)
    # Without caching in the call, both would have been plain input at $3.
    plain = Usage(input_tokens=10_000, output_tokens=10)
    assert saved("anthropic", "claude-sonnet-4-5", plain, 4000, 2000) == pytest.approx(
        6000 * 3 / 1e6
    )
    assert saved("anthropic", "claude-imaginary", plain, 4000, 2000) is None


def test_a_user_price_file_prices_models_genai_prices_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(
        '[models."claude-zeta-9"]\ninput = 5.0\noutput = 25.0\ncache_read = 0.5\ncache_write = 6.25\n'
    )
    usage = Usage(
        input_tokens=1000,
        output_tokens=100,
        cache_creation_input_tokens=2000,
        cache_read_input_tokens=30_000,
    )
    assert cost("anthropic", "claude-zeta-9", usage) is None
    use_price_file(path)
    try:
        expected = (1000 * 5 + 2000 * 6.25 + 30_000 * 0.5 + 100 * 25) / 1e6
        assert cost("anthropic", "claude-zeta-9", usage) == pytest.approx(expected)
        # A dated release matches its family's entry.
        assert cost("anthropic", "claude-zeta-9-20261001", usage) == pytest.approx(expected)
        assert saved("anthropic", "claude-zeta-9", usage, 1000, 0) == pytest.approx(
            1000 * 6.25 / 1e6
        )
        # Models the file does not name still use genai-prices.
        assert cost("anthropic", "claude-sonnet-4-5", Usage(1000, 0)) == pytest.approx(3000 / 1e6)
    finally:
        use_price_file(None)


@pytest.mark.skipif(
    sys.version_info < (3, 12), reason="genai-prices 0.2.x needs mitmproxy 12's h11"
)
def test_todays_claude_code_default_is_priced_without_a_price_file() -> None:
    usage = Usage(input_tokens=1000, output_tokens=100)
    assert cost("anthropic", "claude-opus-5-5", usage)
    assert cost("anthropic", "claude-sonnet-5", usage)


@pytest.mark.parametrize(
    "text, problem",
    [
        ('[models."m"]\ninput = 1.0\n', "output"),
        ('[models."m"]\ninput = -1.0\noutput = 1.0\n', "greater than or equal to 0"),
        ('[models."m"]\ninput = 1.0\noutput = 1.0\nprice = 3\n', "price"),
        ("[models\n", "price file"),
    ],
)
def test_a_bad_price_file_says_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(text)
    with pytest.raises(PriceFileError, match=problem):
        use_price_file(path)
