"""Budgets and retry loops on the request path: ``Guard.admit`` is called for every model
call once its body is known (in a worker thread, not on the event loop).

- Retries: the same body (and session) seen again within ``retry_window_s`` marks the call
  a retry; ``retry_loop_count`` of them within ``retry_loop_seconds`` is a retry loop,
  alerted once, and answered with the provider's error if the circuit breaker is on.
- Budgets covering the call (by team, project, user) are checked and the call's estimated
  cost reserved in one locked transaction (``metering.ledger``). A budget already used up
  applies its action: ``notify`` lets the call through (the threshold alert says it),
  ``downgrade`` rewrites the model, ``block`` answers with the provider's error. The writer
  settles the reservation when it records the call.

Fail open: an error here (the database locked for too long, say) lets the call through and
is recorded on the call.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mitmproxy import http
from trimline.addons import refusals
from trimline.addons.retries import RetryTracker
from trimline.addons.routing.models import smaller_model
from trimline.metering import ledger, store
from trimline.metering.alerts import Alert
from trimline.metering.budgets import Budget, BudgetFile, window_bounds
from trimline.metering.estimate import request_tokens
from trimline.metering.prices import cost
from trimline.metering.records import CallRecord, Usage
from trimline.metering.watcher import Watcher

log = logging.getLogger("trimline")

_RANK = {"notify": 0, "downgrade": 1, "block": 2}
# (model, rule) -> True if the call now goes to that model.
Downgrade = Callable[[str, str], bool]
_PERIOD = {"day": "daily", "week": "weekly", "month": "monthly"}
_OUTPUT_LIMITS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


def output_limit(body: dict[str, Any], default: int) -> int:
    for name in _OUTPUT_LIMITS:
        value = body.get(name)
        if isinstance(value, int) and value > 0:
            return value
    return default


class Guard:
    def __init__(self, db_path: str | Path, config: BudgetFile) -> None:
        self.db_path = db_path
        self.config = config
        rules = config.anomalies
        self.retries = RetryTracker(
            config.retry_window_s, rules.retry_loop_count, rules.retry_loop_seconds
        )
        self.watcher = Watcher(db_path, config)
        self._conn: Any = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self.watcher.close()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def admit(
        self,
        flow: http.HTTPFlow,
        record: CallRecord,
        body: dict[str, Any],
        raw: bytes,
        downgrade: Downgrade | None = None,
    ) -> bool:
        """Lets the call through, changes its model or answers it (``flow.response``).
        True if the body was changed. ``downgrade(model, rule)`` moves the call to a cheaper
        model the way routing does (body adapted, fallback on refusal); without it, only
        the model field changes."""
        if record.endpoint == "count_tokens":
            return False
        now = time.time()
        if self._retry_loop(flow, record, raw, now):
            return False
        budgets = [
            b
            for b in self.config.budget
            if b.applies({"team": record.team, "project": record.project, "user": record.user})
        ]
        if not budgets:
            return False
        try:
            return self._budgets(flow, record, body, budgets, now, downgrade)
        except Exception as e:  # fail open
            record.error = f"budget check: {type(e).__name__}: {e}"[:500]
            log.warning("trimline: budgets not checked, call let through: %s", record.error)
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            return False

    # -- retries ------------------------------------------------------------

    def _retry_loop(self, flow: http.HTTPFlow, record: CallRecord, raw: bytes, now: float) -> bool:
        rules = self.config.anomalies
        key = RetryTracker.key(record.session, raw)
        record.retry, count, first = self.retries.observe(key, now)
        if count < rules.retry_loop_count:
            return False
        if first and rules.enabled:
            self.watcher.fire(
                Alert(
                    kind="retry_loop",
                    dedupe_key=f"loop:{key.hex()}:{int(now // rules.retry_loop_seconds)}",
                    subject=record.session,
                    message=(
                        f"retry loop: the same {record.model or record.provider} request sent "
                        f"{count} times in {rules.retry_loop_seconds:g} s (session "
                        f"{record.session}{f', team {record.team!r}' if record.team else ''})"
                        + ("; circuit breaker on" if rules.circuit_breaker else "")
                    ),
                    value=count,
                    threshold=rules.retry_loop_count,
                    details={"session": record.session, "team": record.team, "model": record.model},
                    ts=now,
                )
            )
        if not rules.circuit_breaker:
            return False
        message = (
            f"Trimline circuit breaker: this exact request was sent {count} times in "
            f"{rules.retry_loop_seconds:g} s; it is not forwarded again for a while. "
            "Change the request or wait."
        )
        flow.response = refusals.refusal(
            record.provider, "retry_loop", message, rules.retry_loop_seconds
        )
        record.error = f"circuit breaker: {count} identical requests"
        return True

    # -- budgets ------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = store.connect(self.db_path)
        return self._conn

    def _budgets(
        self,
        flow: http.HTTPFlow,
        record: CallRecord,
        body: dict[str, Any],
        budgets: list[Budget],
        now: float,
        downgrade: Downgrade | None = None,
    ) -> bool:
        provider, requested = record.provider, record.model
        input_tokens = request_tokens(body)
        output_tokens = output_limit(body, self.config.expected_output_tokens)
        verdict: dict[str, Any] = {}

        def decide(standings: list[ledger.Standing]) -> ledger.Reservation | None:
            over = [s for s in standings if s.exhausted]
            worst = max(over, key=lambda s: _RANK[s.budget.action], default=None)
            verdict["worst"] = worst
            model = requested
            if worst is not None and worst.budget.action == "block":
                return None
            if worst is not None and worst.budget.action == "downgrade":
                model = worst.budget.downgrade_to or smaller_model(provider, requested) or requested
            verdict["model"] = model
            usd = cost(
                provider, model, Usage(input_tokens=input_tokens, output_tokens=output_tokens)
            )
            return ledger.Reservation(
                id=uuid.uuid4().hex,
                ts=record.ts,
                team=record.team,
                project=record.project,
                user=record.user,
                usd=usd or 0.0,
                tokens=input_tokens + output_tokens,
            )

        with self._lock:
            _, reservation = ledger.admit(
                self._connection(), budgets, now, decide, self.config.reservation_ttl_s
            )
        worst: ledger.Standing | None = verdict.get("worst")
        if reservation is None and worst is not None:
            self._block(flow, record, worst, now)
            return False
        assert reservation is not None
        record.reservation = reservation.id
        model = verdict.get("model", requested)
        if model == requested:
            return False
        if downgrade is None or not downgrade(model, f"budget:{worst.budget.name}"):
            body["model"] = model
            record.requested_model, record.model = requested, model
        log.info(
            "trimline: budget %r used up: %s downgraded to %s", worst.budget.name, requested, model
        )
        return True

    def _block(
        self, flow: http.HTTPFlow, record: CallRecord, standing: ledger.Standing, now: float
    ) -> None:
        budget = standing.budget
        _, end = window_bounds(budget.window, now)
        scope = ", ".join(f"{k} {v!r}" for k, v in budget.scope.items()) or "all calls"
        resets = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d %H:%M UTC")
        message = (
            f"Trimline budget {budget.name!r} ({_PERIOD[budget.window]}, {scope}) is used up: "
            f"{budget.amount(standing.spent)} of {budget.amount(budget.limit)}. "
            f"Calls are blocked until {resets}."
        )
        flow.response = refusals.refusal(record.provider, "budget", message, end - now)
        record.error = f"blocked by budget {budget.name!r}"
