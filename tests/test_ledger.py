"""Budget admission is one locked step across connections (processes), on both backends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from trimline.metering import ledger, store
from trimline.metering.budgets import Budget
from trimline.metering.records import CallRecord, Usage

BUDGET = Budget(name="b", team="t", window="day", usd=10.0, action="block")


def reservation(rid: str, usd: float, ts: float | None = None) -> ledger.Reservation:
    return ledger.Reservation(rid, ts or time.time(), "t", None, None, usd, 100)


def test_a_second_admission_waits_for_the_first_and_sees_its_reservation(
    store_target: str | Path,
) -> None:
    first, second = store.connect(store_target), store.connect(store_target)
    seen: list[float] = []
    in_first = threading.Event()

    def slow(standings: list[ledger.Standing]) -> ledger.Reservation:
        in_first.set()
        time.sleep(0.5)  # another process checks the budget meanwhile
        return reservation("r1", 9.0)

    def look(standings: list[ledger.Standing]) -> ledger.Reservation | None:
        seen.append(standings[0].spent)
        return None if standings[0].exhausted else reservation("r2", 9.0)

    a = threading.Thread(target=ledger.admit, args=(first, [BUDGET], time.time(), slow, 600))
    a.start()
    assert in_first.wait(5)
    _, got = ledger.admit(second, [BUDGET], time.time(), look, 600)
    a.join()
    # Without the lock the second check would have run beside the first and seen $0.
    assert seen == [9.0]
    assert got is not None  # $9 of $10: still room, so it reserves too (the bounded overshoot)
    _, third = ledger.admit(second, [BUDGET], time.time(), look, 600)
    assert third is None and seen[-1] == 18.0
    first.close()
    second.close()


def test_recording_a_call_settles_its_reservation_and_stale_ones_expire(
    store_target: str | Path,
) -> None:
    conn = store.connect(store_target)
    now = time.time()
    ledger.admit(conn, [BUDGET], now, lambda s: reservation("live", 4.0, now), 600)
    ledger.admit(conn, [BUDGET], now, lambda s: reservation("dead", 3.0, now), 1)
    assert ledger.standing(conn, BUDGET, now).reserved == 7.0
    call = CallRecord(
        ts=now,
        provider="anthropic",
        endpoint="messages",
        session="s",
        model="claude-sonnet-4-5",
        stream=False,
        status=200,
        team="t",
        usage=Usage(1000, 100),
        cost_usd=0.5,
        reservation="live",
    )
    store.write(conn, [call])
    standing = ledger.standing(conn, BUDGET, now)
    assert (standing.recorded, standing.reserved) == (0.5, 3.0)
    # The "dead" reservation's process never recorded its call: it expires.
    standings, _ = ledger.admit(conn, [BUDGET], now + 5, lambda s: None, 600)
    assert standings[0].spent == 0.5
    assert ledger.open_reservations(conn) == 0
    conn.close()
