"""Retention on both backends: raw rows past N days become daily rollups, totals do not move."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from trimline.metering import retention, stats, store
from trimline.metering.composition import CompositionRow
from trimline.metering.records import BlockRecord, CallRecord, Usage

from tests.backends import count, query
from tests.fake_anthropic import FakeAnthropic
from tests.proxy import trimline_serve

DAY = 86400
NOW = 1_760_000_000.0  # a fixed "now", so the day boundaries are the same on every run


def record(rng: random.Random, ts: float, endpoint: str = "messages") -> CallRecord:
    before = rng.randint(1000, 5000)
    saved = rng.randint(0, 900)
    return CallRecord(
        ts=ts,
        provider="anthropic",
        endpoint=endpoint,
        session=f"s{rng.randint(0, 3)}",
        model=rng.choice(["claude-sonnet-4-5", "claude-haiku-4-5"]),
        stream=False,
        status=rng.choice([200, 200, 200, 529]),
        team=rng.choice(["red", "blue", None]),
        project=rng.choice(["x", None]),
        user=rng.choice(["ann", "bob", None]),
        usage=Usage(rng.randint(1, 999), rng.randint(1, 99), rng.randint(0, 99), 0),
        cost_usd=rng.choice([None, rng.random() / 100]),
        saved_usd=rng.random() / 1000,
        overhead_ms=rng.random(),
        blocks=[
            BlockRecord("Bash", rng.choice(["logs", "search"]), before, before - saved, 1, False)
        ],
        tokens_before=before + 100,
        tokens_after=rng.choice([None, before + 100 - saved]),
        error=rng.choice([None, None, "upstream said no"]),
        composition=[
            CompositionRow(
                "tool_outputs",
                "Bash",
                "pytest",
                1,
                1,
                before,
                before - saved,
                before,
                before - saved,
            )
        ],
    )


def history(rng: random.Random, n: int = 400) -> list[CallRecord]:
    """Calls spread over the last 200 days, some on the cutoff day itself."""
    records = [record(rng, NOW - rng.random() * 200 * DAY) for _ in range(n)]
    edge = retention.cutoff(90, NOW)
    records += [record(rng, edge), record(rng, edge - 0.001), record(rng, NOW)]
    records += [record(rng, NOW - 150 * DAY, endpoint="count_tokens") for _ in range(3)]
    return records


def figures(target: str | Path) -> dict:
    """What must survive pruning: everything but sessions."""
    conn = store.connect(target, readonly=True)
    try:
        data = stats.stats(conn)
    finally:
        conn.close()
    data.pop("by_session")
    return data


def assert_same(after: dict, before: dict) -> None:
    assert after["totals"] == pytest.approx(before["totals"])
    for key in ("by_model", "by_team", "by_kind"):
        order = sorted(after[key], key=repr), sorted(before[key], key=repr)
        assert len(order[0]) == len(order[1]), key
        for a, b in zip(*order, strict=True):
            assert a == pytest.approx(b), key


def test_pruning_moves_old_days_into_rollups_and_totals_stay_the_same(
    store_target: str | Path,
) -> None:
    rng = random.Random(3)
    records = history(rng)
    conn = store.connect(store_target)
    store.write(conn, records)
    before = figures(store_target)
    assert before["totals"]["requests"] == len(records) - 3

    edge = retention.cutoff(90, NOW)
    old = [r for r in records if r.ts < edge]
    assert retention.prune(conn, 90, NOW) == len(old)
    assert count(store_target) == len(records) - len(old)
    assert count(store_target, "blocks") == len(records) - len(old)
    assert count(store_target, "composition") == len(records) - len(old)
    assert query(store_target, "SELECT COUNT(*) FROM calls WHERE ts < ?", (edge,)) == [(0,)]
    (rolled,) = query(store_target, "SELECT SUM(requests) FROM daily_rollups")[0]
    assert rolled == len(old)
    assert_same(figures(store_target), before)

    # A second pass finds nothing to do.
    assert retention.prune(conn, 90, NOW) == 0
    assert_same(figures(store_target), before)

    # A record held back past its day's rollup is counted once: raw, then rolled up.
    late = record(rng, NOW - 120 * DAY)
    store.write(conn, [late])
    with_late = figures(store_target)
    assert with_late["totals"]["requests"] == before["totals"]["requests"] + 1
    assert retention.prune(conn, 90, NOW) == 1
    assert_same(figures(store_target), with_late)
    # 0 days: keep forever.
    assert retention.prune(conn, 0, NOW + 1000 * DAY) == 0
    conn.close()


def test_concurrent_passes_count_each_call_once(store_target: str | Path) -> None:
    """Several replicas pruning at once (each its own connection)."""
    rng = random.Random(5)
    conn = store.connect(store_target)
    store.write(conn, history(rng, 600))
    conn.close()
    before = figures(store_target)
    conns = [store.connect(store_target) for _ in range(4)]
    start = threading.Barrier(len(conns))
    done: list[int] = []

    def run(c) -> None:
        start.wait()
        done.append(retention.prune(c, 30, NOW))

    threads = [threading.Thread(target=run, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in conns:
        c.close()
    assert len(done) == len(conns)
    (rolled,) = query(store_target, "SELECT SUM(requests) FROM daily_rollups")[0]
    assert sum(done) == rolled > 0
    assert_same(figures(store_target), before)


@pytest.mark.integration
def test_serve_prunes_past_its_retention_and_stats_keep_the_totals(
    store_target: str | Path, tmp_path: Path
) -> None:
    now = time.time()
    rng = random.Random(11)
    old = [record(rng, now - (40 + i % 30) * DAY) for i in range(50)]
    conn = store.connect(store_target)
    store.write(conn, old)
    conn.close()
    before = figures(store_target)
    with (
        FakeAnthropic() as fake,
        trimline_serve(tmp_path, "--retention-days", "30", upstream=fake.url, db=store_target) as p,
    ):
        deadline = time.monotonic() + 10
        while count(store_target) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count(store_target) == 0
        served = p.stats()
        served["totals"] = {k: served["totals"][k] for k in before["totals"]}
        served.pop("by_session")
    assert_same(served, before)
