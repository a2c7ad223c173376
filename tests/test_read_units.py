"""Read-side rules that need no proxy: metric label bounds, five-hour blocks, time windows."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from trimline.metering import store
from trimline.metering.billing_blocks import BLOCK_SECONDS, blocks
from trimline.metering.metrics import OVERFLOW, Metrics
from trimline.metering.queries import BadQuery, parse_time
from trimline.metering.records import CallRecord, Usage
from trimline.metering.writer import RecordWriter

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def call(ts: float, team: str = "t", model: str = "claude-sonnet-4-5") -> CallRecord:
    return CallRecord(
        ts=ts,
        provider="anthropic",
        endpoint="messages",
        session="s",
        model=model,
        stream=False,
        status=200,
        team=team,
        usage=Usage(input_tokens=100, output_tokens=10),
        cost_usd=0.5,
    )


def test_metric_labels_are_bounded() -> None:
    m = Metrics(max_label_values=3)
    for i in range(50):
        m.observe(call(T0, team=f"team{i}", model=f"model{i % 5}"))
    teams, models = set(), set()
    for family in text_string_to_metric_families(m.render().decode()):
        for s in family.samples:
            if s.name == "trimline_requests_total":
                teams.add(s.labels["team"])
                models.add(s.labels["model"])
    assert teams == {"team0", "team1", "team2", OVERFLOW}
    assert models == {"model0", "model1", "model2", OVERFLOW}
    # Nothing is lost to the bound: every call is still counted.
    total = sum(
        s.value
        for f in text_string_to_metric_families(m.render().decode())
        for s in f.samples
        if s.name == "trimline_requests_total"
    )
    assert total == 50


def test_a_broken_record_does_not_break_metrics() -> None:
    m = Metrics()
    bad = call(T0)
    bad.blocks = [None]  # type: ignore[list-item]
    m.observe(bad)  # logged, not raised
    m.observe(call(T0))


def test_negative_usage_is_not_counted_but_the_call_is() -> None:
    """Found by the fuzz run: a provider reporting negative tokens made the whole call
    go uncounted (prometheus counters refuse to go down)."""
    m = Metrics()
    odd = call(T0)
    odd.usage = Usage(input_tokens=-5, output_tokens=10)
    odd.cost_usd = -0.1
    m.observe(odd)
    samples = {
        (s.name, s.labels.get("kind")): s.value
        for f in text_string_to_metric_families(m.render().decode())
        for s in f.samples
    }
    assert samples[("trimline_requests_total", None)] == 1
    assert samples[("trimline_tokens_total", "output")] == 10
    assert ("trimline_tokens_total", "input") not in samples
    assert samples[("trimline_overhead_seconds_count", None)] == 1  # counted to the end


def test_five_hour_blocks_follow_ccusage(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path / "t.db")
    times = [
        T0 + 30 * 60,  # block 1 starts at T0 (floored to the hour)
        T0 + 4 * 3600,  # same block
        T0 + 5 * 3600 + 60,  # past T0 + 5 h: block 2 starts at T0 + 5 h
        T0 + 5 * 3600 + 120,
        T0 + 20 * 3600 + 15 * 60,  # a gap of more than 5 h: block 3 at T0 + 20 h
    ]
    for ts in times:
        writer.submit(call(ts))
    writer.close()
    conn = store.connect(tmp_path / "t.db", readonly=True)
    found = blocks(conn, now=T0 + 21 * 3600)
    assert [b["start"] for b in found] == [T0, T0 + 5 * 3600, T0 + 20 * 3600]
    assert [b["requests"] for b in found] == [2, 2, 1]
    assert [b["active"] for b in found] == [False, False, True]
    assert found[0]["end"] == T0 + BLOCK_SECONDS
    assert found[0]["cost_usd"] == pytest.approx(1.0)
    assert found[2]["total_tokens"] == 110
    assert [b["start"] for b in blocks(conn, since=T0 + 5 * 3600, now=T0)] == [
        T0 + 5 * 3600,
        T0 + 20 * 3600,
    ]


def test_time_windows() -> None:
    now = T0 + 100_000
    assert parse_time("7d", now) == now - 7 * 86400
    assert parse_time("24h", now) == now - 86400
    assert parse_time("2026-01-01") == T0
    assert parse_time("20260101") == T0
    assert parse_time("2026-01-01T01:00:00Z") == T0 + 3600
    assert parse_time("2026-01-01T02:00:00+01:00") == T0 + 3600
    assert parse_time(str(int(T0))) == T0
    assert parse_time(None) is None and parse_time("") is None
    for bad in ("soon", "7y", "2026-13-01"):
        with pytest.raises(BadQuery):
            parse_time(bad)
