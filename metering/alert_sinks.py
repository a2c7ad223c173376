"""Where a fired alert goes besides the ``alerts`` table: a log line, and a webhook.

The webhook gets a JSON POST with a Slack-compatible ``text`` field and the alert itself
under ``alert``. Posts leave from a thread of their own with a timeout: a slow or failing
receiver is logged and never holds up a request or the checks.
"""

from __future__ import annotations

import logging
import queue
import threading
import urllib.request

import orjson
from trimline.metering.alerts import Alert

log = logging.getLogger("trimline.alerts")

_STOP = object()


def log_alert(alert: Alert) -> None:
    log.warning("trimline alert [%s] %s", alert.kind, alert.message)


class Webhook:
    def __init__(self, url: str, timeout: float = 5.0, max_queue: int = 1000) -> None:
        self.url = url
        self.timeout = timeout
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="trimline-webhook", daemon=True)
        self._thread.start()

    def __call__(self, alert: Alert) -> None:
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.failed += 1
            log.error("alert webhook backlog full: alert not sent: %s", alert.message)

    def close(self, timeout: float = 5.0) -> None:
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _run(self) -> None:
        while (alert := self._queue.get()) is not _STOP:
            assert isinstance(alert, Alert)
            payload = {
                "text": f":rotating_light: Trimline: {alert.message}",
                "alert": alert.as_dict(),
            }
            request = urllib.request.Request(
                self.url,
                data=orjson.dumps(payload),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                self.sent += 1
            except Exception as e:
                self.failed += 1
                log.warning("alert webhook failed (%s: %s): %s", type(e).__name__, e, alert.message)
