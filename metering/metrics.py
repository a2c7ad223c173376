"""Prometheus metrics for ``GET /metrics``, fed live as each call is recorded.

The writer calls ``observe(record)`` once a record is complete (cost known), so a
scrape reads counters instead of summing the database. Label values are bounded:
the first ``max_label_values`` distinct teams (models) keep their name, later ones
are counted as ``other``, so a client inventing team names cannot blow up the
series count. Budgets and the writer's record counts are read at scrape time from
callables the stats server sets (``sources``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from trimline.metering.records import CallRecord

log = logging.getLogger(__name__)

MAX_LABEL_VALUES = 20
OVERFLOW = "other"
NONE = "none"

OVERHEAD_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 60.0, 120.0, 300.0)
FIRST_BYTE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
COMPRESS_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0)


class BoundedLabel:
    """A label's values: the first ``cap`` distinct ones as they are, the rest ``other``."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str | None) -> str:
        value = value or NONE
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self.cap:
                self._seen.add(value)
                return value
        return OVERFLOW


class _Sources(Collector):
    """What is read at scrape time: the writer's counts and the budgets."""

    def __init__(self) -> None:
        self.live: Callable[[], dict[str, int]] | None = None
        self.budgets: Callable[[], list[dict[str, Any]]] | None = None

    def collect(self) -> Iterator[Any]:
        if self.live is not None:
            try:
                counts = self.live()
            except Exception:
                log.debug("writer counts unavailable", exc_info=True)
                counts = {}
            for name, help_text in (
                ("records_written", "call records written to the store"),
                ("records_dropped", "call records lost (queue full or store away too long)"),
                ("store_errors", "failed attempts to write to the store"),
                ("upstream_errors", "upstream failures answered in the provider's error shape"),
            ):
                if name in counts:
                    yield CounterMetricFamily(f"trimline_{name}", help_text, value=counts[name])
            if "records_pending" in counts:
                yield GaugeMetricFamily(
                    "trimline_records_pending",
                    "call records waiting for the store",
                    value=counts["records_pending"],
                )
        if self.budgets is not None:
            remaining = GaugeMetricFamily(
                "trimline_budget_remaining",
                "what is left of each budget (unit: usd or tokens)",
                labels=["scope", "name", "period", "unit"],
            )
            try:
                rows = self.budgets()
            except Exception:
                log.debug("budgets unavailable", exc_info=True)
                rows = []
            for b in rows:
                if b.get("remaining") is None:
                    continue
                labels = [str(b.get(k) or NONE) for k in ("scope", "name", "period", "unit")]
                remaining.add_metric(labels, float(b["remaining"]))
            yield remaining


class Metrics:
    def __init__(self, max_label_values: int = MAX_LABEL_VALUES) -> None:
        self.registry = CollectorRegistry()
        self.team = BoundedLabel(max_label_values)
        self.model = BoundedLabel(max_label_values)
        self.kind = BoundedLabel(max_label_values)
        r = self.registry
        tm = ["team", "model"]
        self.requests = Counter("trimline_requests", "model calls", tm, registry=r)
        self.errors = Counter("trimline_errors", "model calls that failed", tm, registry=r)
        self.count_tokens = Counter(
            "trimline_count_tokens_requests", "count_tokens calls (not billed)", registry=r
        )
        self.tokens = Counter(
            "trimline_tokens",
            "billed tokens by kind: input (plain rate), output, cache_read, cache_write",
            [*tm, "kind"],
            registry=r,
        )
        self.cost = Counter("trimline_cost_usd", "spend in US dollars", tm, registry=r)
        self.unpriced = Counter(
            "trimline_unpriced_requests", "calls to models without a known price", tm, registry=r
        )
        self.saved_tokens = Counter(
            "trimline_saved_tokens", "tokens compression removed from requests", tm, registry=r
        )
        self.saved_usd = Counter(
            "trimline_saved_usd",
            "what compression saved, priced as it would have been billed",
            tm,
            registry=r,
        )
        self.compression = Histogram(
            "trimline_compression_seconds",
            "time spent compressing one tool output, by compressor kind",
            ["kind"],
            buckets=COMPRESS_BUCKETS,
            registry=r,
        )
        self.overhead = Histogram(
            "trimline_overhead_seconds",
            "time Trimline added to a request before it went upstream",
            tm,
            buckets=OVERHEAD_BUCKETS,
            registry=r,
        )
        self.latency = Histogram(
            "trimline_upstream_latency_seconds",
            "from the request sent upstream to the response's last byte",
            tm,
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.first_byte = Histogram(
            "trimline_upstream_first_byte_seconds",
            "from the request sent upstream to the response's first byte"
            " (for a streamed call, the start of the event stream: time to first token)",
            tm,
            buckets=FIRST_BYTE_BUCKETS,
            registry=r,
        )
        self.command = BoundedLabel(max_label_values)
        self.context_tokens = Counter(
            "trimline_context_tokens",
            "tokens in the contexts sent, by kind (system, tools, conversation, tool_calls,"
            " tool_outputs, images, documents) and stage (before or after compression)",
            [*tm, "kind", "stage"],
            registry=r,
        )
        self.tool_output_tokens = Counter(
            "trimline_tool_output_tokens",
            "tokens of tool outputs first sent, by command family (or tool) and stage",
            ["command", "stage"],
            registry=r,
        )
        self.sources = _Sources()
        r.register(self.sources)

    def observe(self, record: CallRecord) -> None:
        """Counts one completed call. Never raises: metrics must not cost a record."""
        try:
            self._observe(record)
        except Exception:
            log.warning("metrics: a call was not counted", exc_info=True)

    def _observe(self, rec: CallRecord) -> None:
        if rec.endpoint == "count_tokens":
            self.count_tokens.inc()
            return
        labels = (self.team(rec.team), self.model(rec.model))
        self.requests.labels(*labels).inc()
        if rec.error is not None:
            self.errors.labels(*labels).inc()
        u = rec.usage
        for kind, value in (
            ("input", u.input_tokens),
            ("output", u.output_tokens),
            ("cache_read", u.cache_read_input_tokens),
            ("cache_write", u.cache_creation_input_tokens),
        ):
            # Counters only go up: usage a provider reports as negative is not counted.
            if value and value > 0:
                self.tokens.labels(*labels, kind).inc(value)
        if rec.cost_usd is not None:
            self.cost.labels(*labels).inc(max(0.0, rec.cost_usd))
        elif rec.status == 200:
            self.unpriced.labels(*labels).inc()
        saved = rec.tokens_saved_by_blocks
        if saved > 0:
            self.saved_tokens.labels(*labels).inc(saved)
        if rec.saved_usd and rec.saved_usd > 0:
            self.saved_usd.labels(*labels).inc(rec.saved_usd)
        for b in rec.blocks:
            if not b.cached:
                self.compression.labels(self.kind(b.kind)).observe(b.ms / 1000)
        for c in rec.composition:
            for stage, value in (("before", c.tokens_before), ("after", c.tokens_after)):
                if value > 0:
                    self.context_tokens.labels(*labels, c.kind, stage).inc(value)
            if c.kind == "tool_outputs":
                command = self.command(c.command)
                for stage, value in (
                    ("before", c.new_tokens_before),
                    ("after", c.new_tokens_after),
                ):
                    if value > 0:
                        self.tool_output_tokens.labels(command, stage).inc(value)
        self.overhead.labels(*labels).observe(rec.overhead_ms / 1000)
        if rec.latency_ms is not None:
            self.latency.labels(*labels).observe(rec.latency_ms / 1000)
        if rec.ttfb_ms is not None:
            self.first_byte.labels(*labels).observe(rec.ttfb_ms / 1000)

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS = Metrics()


def observe(record: CallRecord) -> None:
    METRICS.observe(record)
