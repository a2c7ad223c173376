"""Budget spend and reservations, checked and taken atomically.

Spend in a window = calls recorded in it + reservations still open. A request that a budget
covers reserves its estimated cost in the same transaction that checks the budget, under a
lock that every proxy process sharing the database takes (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: a transaction-scoped advisory lock), so parallel requests cannot all slip under
the cap. The writer deletes a reservation in the transaction that inserts its call's row
(``metering.store.write``): a call is counted once, as an estimate until its billed cost
lands. Reservations of calls whose record never arrived (a process that died) expire.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trimline.metering.budgets import Budget, window_bounds

TOKENS_SQL = (
    "COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0)"
    " + COALESCE(cache_creation_input_tokens, 0) + COALESCE(cache_read_input_tokens, 0)"
)
_COLUMN = {"team": "team", "project": "project", "user": '"user"'}


@dataclass(slots=True)
class Reservation:
    id: str
    ts: float
    team: str | None
    project: str | None
    user: str | None
    usd: float
    tokens: int


@dataclass(slots=True)
class Standing:
    """A budget as a request found it: spent (recorded + reserved) in the current window."""

    budget: Budget
    recorded: float
    reserved: float

    @property
    def spent(self) -> float:
        return self.recorded + self.reserved

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.budget.limit


def _lock(conn: Any) -> None:
    if getattr(conn, "dialect", "sqlite") == "sqlite" or isinstance(conn, sqlite3.Connection):
        # Takes the database's write lock now, not at the first write: the check and the
        # reservation are one step for every process on this file.
        conn.execute("BEGIN IMMEDIATE")
    else:
        # One lock per schema for every budget admission, held until the transaction ends.
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('trimline:budgets:' || current_schema()))"
        )


def scope_filter(budget: Budget) -> tuple[str, list[Any]]:
    scope = budget.scope
    sql = "".join(f" AND {_COLUMN[k]} = ?" for k in scope)
    return sql, list(scope.values())


def recorded(conn: Any, budget: Budget, since: float, until: float | None = None) -> float:
    """What calls recorded in [since, until) spent, in the budget's unit."""
    where, params = scope_filter(budget)
    amount = "cost_usd" if budget.unit == "usd" else TOKENS_SQL
    sql = f"SELECT COALESCE(SUM({amount}), 0) FROM calls WHERE ts >= ? AND endpoint != 'count_tokens'{where}"
    args: list[Any] = [since, *params]
    if until is not None:
        sql += " AND ts < ?"
        args.append(until)
    (value,) = conn.execute(sql, args).fetchone()
    return float(value or 0)


def reserved(conn: Any, budget: Budget, since: float) -> float:
    where, params = scope_filter(budget)
    amount = "usd" if budget.unit == "usd" else "tokens"
    (value,) = conn.execute(
        f"SELECT COALESCE(SUM({amount}), 0) FROM budget_reservations WHERE ts >= ?{where}",
        [since, *params],
    ).fetchone()
    return float(value or 0)


def standing(conn: Any, budget: Budget, now: float) -> Standing:
    start, _ = window_bounds(budget.window, now)
    return Standing(budget, recorded(conn, budget, start), reserved(conn, budget, start))


def admit(
    conn: Any,
    budgets: list[Budget],
    now: float,
    decide: Callable[[list[Standing]], Reservation | None],
    ttl: float,
) -> tuple[list[Standing], Reservation | None]:
    """Checks the budgets and takes the reservation ``decide`` returns, in one locked
    transaction. Expired reservations are dropped first."""
    with conn:
        _lock(conn)
        conn.execute("DELETE FROM budget_reservations WHERE expires < ?", (now,))
        standings = [standing(conn, b, now) for b in budgets]
        reservation = decide(standings)
        if reservation is not None:
            conn.execute(
                'INSERT INTO budget_reservations (id, ts, expires, team, project, "user", usd, tokens)'
                " VALUES (?,?,?,?,?,?,?,?)",
                (
                    reservation.id,
                    reservation.ts,
                    reservation.ts + ttl,
                    reservation.team,
                    reservation.project,
                    reservation.user,
                    reservation.usd,
                    reservation.tokens,
                ),
            )
    return standings, reservation


def open_reservations(conn: Any) -> int:
    (n,) = conn.execute("SELECT COUNT(*) FROM budget_reservations").fetchone()
    return int(n)
