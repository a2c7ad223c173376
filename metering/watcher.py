"""The alert thread: budget thresholds and anomaly checks on a timer, alerts from the proxy
on a queue; every alert stored once (``metering.alerts``) and then sent to the sinks.

Runs off the request path on its own database connection; a failed check is logged and
tried again at the next tick.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trimline.metering import alerts, anomalies, store
from trimline.metering.alert_sinks import Webhook, log_alert
from trimline.metering.alerts import Alert
from trimline.metering.budget_status import threshold_alerts
from trimline.metering.budgets import BudgetFile

log = logging.getLogger(__name__)

_STOP = object()


class Watcher:
    def __init__(self, db_path: str | Path, config: BudgetFile) -> None:
        self.db_path = db_path
        self.config = config
        self.fired = 0
        self.sinks: list[Callable[[Alert], None]] = [log_alert]
        self.webhook: Webhook | None = None
        if config.webhook:
            self.webhook = Webhook(config.webhook, config.webhook_timeout_s)
            self.sinks.append(self.webhook)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=10_000)
        self._conn: Any = None
        self._failing = False
        self._last_call_id: int | None = None
        self._next_thresholds = 0.0
        self._next_anomalies = time.monotonic() + config.anomalies.interval_s
        self._thread = threading.Thread(target=self._run, name="trimline-alerts", daemon=True)
        self._thread.start()

    def fire(self, alert: Alert) -> None:
        """From the proxy: never blocks."""
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(alert)

    def close(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=5)
        self._thread.join(timeout=10)
        if self.webhook is not None:
            self.webhook.close()

    def _run(self) -> None:
        while True:
            timeout = max(0.0, min(self._next_thresholds, self._next_anomalies) - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _STOP:
                break
            try:
                self._tick(item if isinstance(item, Alert) else None)
                if self._failing:
                    self._failing = False
                    log.warning("alert checks running again")
            except Exception as e:
                if not self._failing:  # said once per outage, not at every tick
                    self._failing = True
                    log.warning("alert checks failed (%s: %s); retrying", type(e).__name__, e)
                if self._conn is not None:
                    with contextlib.suppress(Exception):
                        self._conn.close()
                    self._conn = None
        if self._conn is not None:
            self._conn.close()

    def _tick(self, alert: Alert | None) -> None:
        if self._conn is None:
            self._conn = store.connect(self.db_path)
        conn = self._conn
        if self._last_call_id is None:
            # Calls from before this start were looked at by an earlier run, or are old news.
            (last,) = conn.execute("SELECT MAX(id) FROM calls").fetchone()
            self._last_call_id = int(last or 0)
        found = [alert] if alert is not None else []
        now = time.time()
        if time.monotonic() >= self._next_thresholds:
            self._next_thresholds = time.monotonic() + self.config.check_interval_s
            found += threshold_alerts(conn, self.config, now)
        rules = self.config.anomalies
        if time.monotonic() >= self._next_anomalies:
            self._next_anomalies = time.monotonic() + rules.interval_s
            if rules.enabled:
                found += self.check_anomalies(conn, now)
        for a in found:
            if alerts.record(conn, a):
                self.fired += 1
                for sink in self.sinks:
                    try:
                        sink(a)
                    except Exception:
                        log.exception("alert sink failed")

    def check_anomalies(self, conn: Any, now: float) -> list[Alert]:
        rules = self.config.anomalies
        outliers, self._last_call_id = anomalies.call_outliers(
            conn, rules, now, self._last_call_id or 0
        )
        return (
            anomalies.hourly_spikes(conn, rules, now)
            + outliers
            + anomalies.session_outliers(conn, rules, now)
        )
