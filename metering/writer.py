"""Writes records off the request path: a bounded queue drained in batches by one thread.

The store may be unavailable for a while (locked by another process, read-only,
full): the proxy never waits for it. Records that could not be written stay in a
bounded buffer and are retried with backoff until the store is back; what the
buffer cannot hold is dropped, counted and logged, never silently lost.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from pathlib import Path

from trimline.compressors.tokens import count_tokens, estimate_json
from trimline.core.secrets import contains_secret, mask
from trimline.metering import composition, db, metrics, retention, store
from trimline.metering.block_tokens import count_blocks
from trimline.metering.originals import Originals
from trimline.metering.originals import path_for as originals_path
from trimline.metering.prices import cost, saved
from trimline.metering.records import CallRecord, Decision, Original
from trimline.metering.routing import counterfactual

log = logging.getLogger(__name__)

_STOP = object()
PRUNE_EVERY = 600.0  # seconds between prunes of the originals store
RETRY_MIN, RETRY_MAX = 0.25, 5.0  # seconds between attempts while the store is unavailable
STOP_GRACE = 20.0  # seconds a stopping writer keeps retrying what it still holds
# Records queued before the writer lets their texts go: a record with its request's text
# can weigh megabytes, and a backlog of them must not grow the proxy without bound.
LIGHT_AFTER = 500


def lighten(r: CallRecord) -> None:
    """For a writer that cannot keep up: the call's size is made now if it was not (the
    same estimate the writer would make), and the texts are let go, so memory stays bounded
    by the queue's length times a small record. The call's figures do not change; its new
    blocks keep their estimates, marked so (``tokens_method``), instead of exact counts."""
    if r.request_json is not None and r.tokens_before is None:
        size_from_body(r)
    r.request_json = r.sent_json = None
    for b in r.blocks:
        b.text_before = b.text_after = None


def checkpoint(conn: object) -> None:
    """Folds SQLite's write-ahead log into the database file and empties it, so that the
    .db alone holds every record once the proxy has stopped (a copy of it is a backup)."""
    if getattr(conn, "dialect", "sqlite") != "sqlite":
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
    except Exception as e:  # a reader holding the log open: the next start folds it in
        log.warning("could not checkpoint the database's write-ahead log: %s", e)


def size_from_body(r: CallRecord) -> None:
    """A call whose body the request path could not walk: its size is the estimate of the
    body as sent (unchanged: a body Trimline cannot read goes up as it came)."""
    if r.request_json is None:
        return
    r.tokens_before = r.tokens_after = round(estimate_json(r.request_json))
    r.tokens_method = "estimate"
    r.saved_new = r.replayed_blocks = 0


class RecordWriter:
    def __init__(
        self,
        db_path: str | Path,
        *,
        max_queue: int = 10_000,
        batch: int = 256,
        max_pending: int = 20_000,
        retention_days: int = 0,
        exact_counts: bool = False,
    ) -> None:
        self.db_path = db.target(db_path)
        # Blocks decided on a call counted with cl100k (some 100 ms per MB of the writer's CPU,
        # in the proxy's process) rather than left at the request path's estimate.
        self.exact_counts = exact_counts
        self.batch = batch
        self.max_pending = max_pending
        # Raw rows older than this many days are rolled up and pruned (0: kept forever).
        self.retention_days = retention_days
        self._next_retention = 0.0
        # Call records: written, dropped (queue full, or past the pending bound).
        self.dropped = 0
        self.written = 0
        # Decisions and originals that could not be kept.
        self.dropped_other = 0
        # Decisions kept out of the store because their text holds a credential.
        self.withheld = 0
        self.store_errors = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        # Past this backlog, records are queued without the texts they would be counted from.
        self.light_after = min(LIGHT_AFTER, max_queue // 2)
        # What the store refused for now, oldest first; retried until it is back.
        self._pending_calls: deque[CallRecord] = deque()
        self._pending_decisions: deque[Decision] = deque()
        self._retry = RETRY_MIN
        self._next_try = 0.0
        self._conn: store.Connection | None = None
        try:
            self._conn = store.connect(self.db_path)
        except db.UNAVAILABLE as e:
            # A database server that is down at start must not stop the proxy: records are
            # held back until it answers.
            log.warning("metering store unavailable at start (%s: %s)", type(e).__name__, e)
        # Only with --store-originals does an original ever arrive: the store is made then, not
        # before (a store left by an earlier run is opened so that its retention still runs).
        self._originals_path = originals_path(self.db_path)
        self.originals: Originals | None = (
            Originals(self._originals_path) if self._originals_path.exists() else None
        )
        self._next_prune = 0.0
        self._thread = threading.Thread(target=self._run, name="trimline-writer", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Call records waiting: queued, or held back while the store is unavailable."""
        return self._queue.qsize() + len(self._pending_calls)

    def counts(self) -> dict[str, int]:
        """For ``/stats`` totals: what reached the store, what waits for it, what was lost."""
        return {
            "records_written": self.written,
            "records_pending": self.pending,
            "records_dropped": self.dropped,
            "store_errors": self.store_errors,
        }

    def submit(self, record: CallRecord | Decision | Original) -> None:
        """Never blocks the proxy: a full queue counts the record as dropped."""
        if isinstance(record, CallRecord) and self._queue.qsize() > self.light_after:
            lighten(record)
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            if isinstance(record, CallRecord):
                self.dropped += 1
            else:
                self.dropped_other += 1
            log.warning(
                "metering queue full: %d record(s) dropped so far",
                self.dropped + self.dropped_other,
            )

    def flush(self, timeout: float = 10.0) -> None:
        """Waits until everything submitted so far was written (or, if the store is
        unavailable, held back for a retry)."""
        done = threading.Event()
        self._queue.put(done, timeout=timeout)
        done.wait(timeout)

    def close(self) -> None:
        try:
            self._queue.put(_STOP, timeout=STOP_GRACE)
        except queue.Full:
            log.error("metering writer stuck: %d queued record(s) not written", self.pending)
        self._thread.join(timeout=STOP_GRACE + 10)
        if self._conn is not None:
            checkpoint(self._conn)
            self._conn.close()
        if self.originals is not None:
            self.originals.close()

    def _run(self) -> None:
        while True:
            items = self._take()
            try:
                self._handle(items)
            except Exception:  # the writer must outlive any one batch
                log.exception("metering writer: a batch failed")
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
            if _STOP in items:
                self._drain_before_stop()
                return

    def _take(self) -> list[object]:
        """The next batch; while records wait for the store, wakes up to retry them."""
        timeout = None
        if self._pending_calls or self._pending_decisions:
            timeout = max(0.0, self._next_try - time.monotonic())
        if self.retention_days > 0:
            due = max(0.0, self._next_retention - time.monotonic())
            timeout = due if timeout is None else min(timeout, due)
        try:
            items = [self._queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(items) < self.batch:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _handle(self, items: list[object]) -> None:
        for item in items:
            if isinstance(item, CallRecord):
                _complete(item, self.exact_counts)
                if item.error:
                    item.error = mask(item.error)
                metrics.observe(item)
                self._pending_calls.append(item)
            elif isinstance(item, Decision):
                # No credential on disk: a decision whose text holds one lives in memory
                # only (after a restart that block goes as it came: one cache miss).
                if contains_secret(item.text):
                    self.withheld += 1
                else:
                    item.text = ""  # checked: held back, if need be, without it
                    self._pending_decisions.append(item)
        self._bound()
        self._store()
        self._retain()
        # Originals are kept for `trimline show`: with their credentials masked.
        originals = [(i.id, mask(i.text)) for i in items if isinstance(i, Original)]
        try:
            if originals:
                if self.originals is None:
                    self.originals = Originals(self._originals_path)
                self.originals.put_many(originals)
            if self.originals is not None and time.monotonic() > self._next_prune:
                self._next_prune = time.monotonic() + PRUNE_EVERY
                self.originals.prune()
        except Exception:
            self.dropped_other += len(originals)
            log.exception("could not write %d original(s)", len(originals))

    def _bound(self) -> None:
        """Drops the oldest held-back records beyond the bound, counting them."""
        over = len(self._pending_calls) - self.max_pending
        if over > 0:
            for _ in range(over):
                self._pending_calls.popleft()
            self.dropped += over
            log.error(
                "metering store unavailable: %d record(s) dropped so far, %d held back",
                self.dropped,
                len(self._pending_calls),
            )
        over = len(self._pending_decisions) - self.max_pending
        if over > 0:
            for _ in range(over):
                self._pending_decisions.popleft()
            self.dropped_other += over

    def _store(self) -> None:
        """Writes what is held back; on failure keeps it for a later attempt."""
        if not (self._pending_calls or self._pending_decisions):
            return
        if self._next_try and time.monotonic() < self._next_try:
            return
        try:
            if self._conn is None:
                self._conn = store.connect(self.db_path)
            if self._pending_calls:
                calls = list(self._pending_calls)
                store.write(self._conn, calls)
                self._pending_calls.clear()
                self.written += len(calls)
            if self._pending_decisions:
                store.write_decisions(self._conn, list(self._pending_decisions))
                self._pending_decisions.clear()
        except Exception as e:
            self.store_errors += 1
            if self._retry == RETRY_MIN:
                log.warning(
                    "metering store unavailable (%s: %s): %d record(s) held back, retrying",
                    type(e).__name__,
                    e,
                    len(self._pending_calls),
                )
            # A connection opened while the file was read-only stays so: open a new one.
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None
            self._next_try = time.monotonic() + self._retry
            self._retry = min(RETRY_MAX, self._retry * 2)
            return
        if self._retry != RETRY_MIN:
            log.warning("metering store available again: held-back records written")
        self._retry = RETRY_MIN
        self._next_try = 0.0

    def _retain(self) -> None:
        """Rolls up and prunes raw rows past retention, every PRUNE_EVERY seconds, while
        the store is reachable and nothing waits for it."""
        if self.retention_days <= 0 or time.monotonic() < self._next_retention:
            return
        if self._conn is None or self._pending_calls:
            self._next_retention = time.monotonic() + RETRY_MAX
            return
        self._next_retention = time.monotonic() + PRUNE_EVERY
        try:
            retention.prune(self._conn, self.retention_days, time.time())
        except Exception as e:
            # The next write finds out whether the store itself is gone.
            log.warning("retention pass failed (%s: %s): retried later", type(e).__name__, e)

    def _drain_before_stop(self) -> None:
        """On shutdown, keep trying for a while; count what still could not be written."""
        deadline = time.monotonic() + STOP_GRACE
        while (self._pending_calls or self._pending_decisions) and time.monotonic() < deadline:
            time.sleep(max(0.0, min(self._next_try - time.monotonic(), 1.0)))
            self._store()
        if self._pending_calls:
            self.dropped += len(self._pending_calls)
            log.error(
                "metering store unavailable at shutdown: %d record(s) dropped",
                len(self._pending_calls),
            )
            self._pending_calls.clear()


def _complete(r: CallRecord, exact: bool = True) -> None:
    """Fills in what is too slow for the request path: exact counts of the blocks decided
    on this call (if ``exact``), the cost, and output tokens the provider did not report.
    Never raises: a record is kept with whatever could be worked out (a provider that
    reports impossible usage, such as more cached tokens than input, leaves no cost)."""
    try:
        if exact:
            count_blocks(r.blocks)
        for b in r.blocks:
            b.text_before = b.text_after = None
    except Exception:
        log.warning("block tokens not counted", exc_info=True)
    if r.tokens_before is None:
        size_from_body(r)
    try:
        if r.output_text is not None and r.usage.output_tokens is None:
            r.usage.output_tokens = count_tokens(r.output_text)
            r.usage_estimated = True
        if r.cost_usd is None:
            r.cost_usd = cost(r.provider, r.model, r.usage)
        if r.saved_usd is None and (r.blocks or r.tokens_saved_by_blocks):
            r.saved_usd = saved(r.provider, r.model, r.usage, *r.tokens_saved_split())
        if r.routed_model and r.counterfactual_usd is None:
            r.counterfactual_usd = counterfactual(r)
    except Exception as e:
        log.warning("no cost for a %s call: %s: %s", r.provider, type(e).__name__, e)
    composition.complete(r)
    # Held-back records must stay small.
    r.output_text = None
    r.request_json = None
