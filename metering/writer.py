"""Writes records off the request path: a bounded queue drained in batches by one thread."""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

import orjson

from compressors.tokens import count_tokens
from metering import store
from metering.estimate import request_tokens
from metering.originals import Originals
from metering.originals import path_for as originals_path
from metering.prices import cost, saved
from metering.records import CallRecord, Decision, Original

log = logging.getLogger(__name__)

_STOP = object()
PRUNE_EVERY = 600.0  # seconds between prunes of the originals store


class RecordWriter:
    def __init__(self, db_path: str | Path, *, max_queue: int = 10_000, batch: int = 256) -> None:
        self.db_path = Path(db_path)
        self.batch = batch
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._conn = store.connect(self.db_path)
        self.originals = Originals(originals_path(self.db_path))
        self._next_prune = 0.0
        self._thread = threading.Thread(target=self._run, name="trimline-writer", daemon=True)
        self._thread.start()

    def submit(self, record: CallRecord | Decision | Original) -> None:
        """Never blocks the proxy: a full queue counts the record as dropped."""
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1
            log.warning("metering queue full: %d record(s) dropped so far", self.dropped)

    def flush(self, timeout: float = 10.0) -> None:
        """Waits until everything submitted so far is written."""
        done = threading.Event()
        self._queue.put(done, timeout=timeout)
        done.wait(timeout)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)
        self._conn.close()
        self.originals.close()

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < self.batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records = [i for i in items if isinstance(i, CallRecord)]
            if records:
                self._write(records)
            decisions = [i for i in items if isinstance(i, Decision)]
            originals = [(i.id, i.text) for i in items if isinstance(i, Original)]
            try:
                if decisions:
                    store.write_decisions(self._conn, decisions)
                if originals:
                    self.originals.put_many(originals)
                if time.monotonic() > self._next_prune:
                    self._next_prune = time.monotonic() + PRUNE_EVERY
                    self.originals.prune()
            except Exception:
                self.dropped += len(decisions) + len(originals)
                log.exception(
                    "could not write %d decision(s), %d original(s)", len(decisions), len(originals)
                )
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
            if _STOP in items:
                return

    def _write(self, records: list[CallRecord]) -> None:
        for r in records:
            _complete(r)
        try:
            store.write(self._conn, records)
            self.written += len(records)
        except Exception:
            self.dropped += len(records)
            log.exception("could not write %d record(s)", len(records))


def _complete(r: CallRecord) -> None:
    """Fills in what is too slow for the request path: the cost, the request's size
    before and after compression, and output tokens the provider did not report."""
    if r.output_text is not None:
        if r.usage.output_tokens is None:
            r.usage.output_tokens = count_tokens(r.output_text)
            r.usage_estimated = True
        r.output_text = None
    if r.cost_usd is None:
        r.cost_usd = cost(r.provider, r.model, r.usage)
    if r.saved_usd is None and r.blocks:
        r.saved_usd = saved(r.provider, r.model, r.usage, *r.tokens_saved_split())
    if r.request_json is None or r.tokens_before is not None:
        return
    try:
        body = orjson.loads(r.request_json)
        if isinstance(body, dict):
            r.tokens_before = request_tokens(body)
            r.tokens_after = r.tokens_before - r.tokens_saved_by_blocks
    except Exception:
        log.debug("request size not estimated", exc_info=True)
    r.request_json = None
