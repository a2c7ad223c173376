"""The Trimline mitmproxy addon: compress tool results on the way up, meter every call.

Load it with ``trimline serve`` or ``mitmdump -s addons/trimline.py``. Hooks only:
wire formats live in ``addons/providers``, compression in ``compressors``,
records and stats in ``metering``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from mitmproxy import ctx, http
from mitmproxy.proxy.mode_specs import ReverseMode

from addons.cache import ResultCache, block_key
from addons.defaults import DEFAULT_HOSTS, default_db_path
from addons.providers import anthropic, openai_chat, openai_responses
from addons.providers.base import Provider, UsageTap
from addons.providers.sse import SSEReader
from addons.streams import decoder
from compressors import DEFAULT_THRESHOLD, Context, compress
from compressors.tokens import count_tokens
from metering.records import BlockRecord, CallRecord
from metering.server import StatsServer
from metering.writer import RecordWriter

log = logging.getLogger("trimline")

PROVIDERS: tuple[Provider, ...] = (anthropic, openai_chat, openai_responses)  # type: ignore[assignment]
TAG_HEADER_PREFIX = "x-trimline-"
OVERHEAD_HEADER = "x-trimline-overhead-ms"


class CallState:
    """What the request hook learned, for the response hooks to record."""

    # A plain class, not a dataclass: mitmdump -s loads this file outside sys.modules.
    __slots__ = ("provider", "record", "sent_at", "started", "tap")

    def __init__(self, provider: Provider, record: CallRecord) -> None:
        self.provider = provider
        self.record = record
        self.started = time.perf_counter()
        self.sent_at = 0.0
        self.tap: UsageTap | None = None


class Trimline:
    def __init__(self) -> None:
        self.cache = ResultCache()
        self.hosts: set[str] = set()
        self.writer: RecordWriter | None = None
        self.stats_server: StatsServer | None = None

    def load(self, loader: Any) -> None:
        loader.add_option(
            "trimline_db", str, "", "SQLite database path (default ~/.trimline/trimline.db)."
        )
        loader.add_option(
            "trimline_stats_port", int, 8081, "Port of the stats endpoint (0: any free port)."
        )
        loader.add_option(
            "trimline_stats_host", str, "127.0.0.1", "Address the stats endpoint binds to."
        )
        loader.add_option(
            "trimline_threshold",
            int,
            DEFAULT_THRESHOLD,
            "Tool outputs under this many tokens are left alone.",
        )
        loader.add_option(
            "trimline_hosts",
            str,
            DEFAULT_HOSTS,
            "Comma-separated API hosts to work on in forward mode (reverse mode: the upstream).",
        )

    def configure(self, updated: set[str]) -> None:
        if "trimline_hosts" in updated:
            self.hosts = {h.strip() for h in ctx.options.trimline_hosts.split(",") if h.strip()}
        if "trimline_db" in updated or self.writer is None:
            if self.writer is not None:
                self.writer.close()
            self.writer = RecordWriter(ctx.options.trimline_db or default_db_path())

    def running(self) -> None:
        count_tokens("warm up")  # loads the tokenizer now, not on the first request
        if self.stats_server is None and ctx.options.trimline_stats_port >= 0:
            self.stats_server = StatsServer(
                self.writer.db_path,
                ctx.options.trimline_stats_host,
                ctx.options.trimline_stats_port,
            )
            self.stats_server.start()
            log.info(
                "trimline: stats on http://%s:%d/stats, database %s",
                ctx.options.trimline_stats_host,
                self.stats_server.port,
                self.writer.db_path,
            )

    def done(self) -> None:
        if self.stats_server is not None:
            self.stats_server.stop()
            self.stats_server = None
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # -- request side -------------------------------------------------------

    def _provider(self, flow: http.HTTPFlow) -> tuple[Provider, str] | None:
        reverse = isinstance(flow.client_conn.proxy_mode, ReverseMode)
        if not reverse and flow.request.pretty_host not in self.hosts:
            return None
        for provider in PROVIDERS:
            endpoint = provider.endpoint(flow.request.method, flow.request.path)
            if endpoint:
                return provider, endpoint
        return None

    async def request(self, flow: http.HTTPFlow) -> None:
        match = self._provider(flow)
        if match is None:
            return
        provider, endpoint = match
        tags = {
            k.lower()[len(TAG_HEADER_PREFIX) :]: v
            for k, v in flow.request.headers.items()
            if k.lower().startswith(TAG_HEADER_PREFIX)
        }
        for k in [k for k in flow.request.headers if k.lower().startswith(TAG_HEADER_PREFIX)]:
            del flow.request.headers[k]
        record = CallRecord(
            ts=time.time(),
            provider=provider.name,
            endpoint=endpoint,
            session=tags.get("session", ""),
            model="",
            stream=False,
        )
        state = CallState(provider, record)
        flow.metadata["trimline"] = state
        try:
            await asyncio.to_thread(self._rewrite, flow, state)
        except Exception as e:  # fail open: the request goes on as it came
            record.error = f"request: {type(e).__name__}: {e}"[:500]
            log.warning("trimline: request left unchanged: %s", record.error)
        record.overhead_ms = (time.perf_counter() - state.started) * 1000
        state.sent_at = time.time()

    def _rewrite(self, flow: http.HTTPFlow, state: CallState) -> None:
        record = state.record
        raw = flow.request.get_content(strict=True)
        if not raw:
            return
        body = orjson.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("request body is not a JSON object")
        record.request_json = raw
        record.model = str(body.get("model") or "")
        record.stream = body.get("stream") is True
        headers = {k.lower(): v for k, v in flow.request.headers.items()}
        provider = state.provider
        record.session = (
            record.session
            or provider.session_id(headers, body)
            or provider.conversation_id(body)
            or "unknown"
        )
        threshold = ctx.options.trimline_threshold
        changed = False
        # Every block is looked at, so later turns find their history in the cache.
        for block in provider.tool_blocks(body):
            context = Context(block.tool, block.tool_input, block.is_error)
            t0 = time.perf_counter()
            result, cached = self.cache.get_or_compute(
                block_key(context, block.text, threshold),
                lambda: compress(block.text, context, threshold),  # noqa: B023
            )
            ms = (time.perf_counter() - t0) * 1000
            if result.kind == "small":
                continue
            record.blocks.append(
                BlockRecord(
                    block.tool, result.kind, result.tokens_before, result.tokens_after, ms, cached
                )
            )
            if result.changed:
                block.write(result.text)
                changed = True
        if changed:
            # Untouched bodies go upstream byte-identical; only a change re-serialises.
            flow.request.content = orjson.dumps(body)

    # -- response side ------------------------------------------------------

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        state: CallState | None = flow.metadata.get("trimline")
        if state is None or flow.response is None:
            return
        flow.response.headers[OVERHEAD_HEADER] = f"{state.record.overhead_ms:.2f}"
        if "text/event-stream" not in flow.response.headers.get("content-type", ""):
            return
        state.tap = state.provider.usage_tap()
        state.record.stream = True
        reader = SSEReader(state.tap.event)
        broken = False
        decode = bytes
        try:
            decode = decoder(flow.response.headers.get("content-encoding", ""))
        except ValueError as e:
            # Still stream it through; only the usage goes unread.
            broken = True
            state.record.error = f"usage stream: {e}"

        def tap(chunk: bytes) -> bytes:
            # Pass every chunk on untouched; reading usage must never hold it up.
            nonlocal broken
            if not broken and chunk:
                try:
                    reader.feed(decode(chunk))
                except Exception as e:
                    broken = True
                    state.record.error = f"usage stream: {type(e).__name__}: {e}"[:500]
            return chunk

        flow.response.stream = tap

    def response(self, flow: http.HTTPFlow) -> None:
        state: CallState | None = flow.metadata.pop("trimline", None)
        if state is None or flow.response is None:
            return
        record = state.record
        response = flow.response
        record.status = response.status_code
        if state.tap is not None:
            record.usage = state.tap.usage
            if record.usage.output_tokens is None and state.tap.output_text:
                record.output_text = "".join(state.tap.output_text)
        else:
            try:
                content = response.get_content(strict=True)
                payload = orjson.loads(content) if content else None
                if isinstance(payload, dict):
                    record.usage = state.provider.usage(payload)
            except Exception as e:
                record.error = record.error or f"response: {type(e).__name__}: {e}"[:500]
        self._finish(flow, state)

    def error(self, flow: http.HTTPFlow) -> None:
        state: CallState | None = flow.metadata.pop("trimline", None)
        if state is None:
            return
        if flow.response is not None:
            state.record.status = flow.response.status_code
            if state.tap is not None:
                state.record.usage = state.tap.usage
        state.record.error = (flow.error.msg if flow.error else "error")[:500]
        self._finish(flow, state)

    def _finish(self, flow: http.HTTPFlow, state: CallState) -> None:
        record = state.record
        if flow.response is not None and flow.response.timestamp_start:
            record.ttfb_ms = max(0.0, (flow.response.timestamp_start - state.sent_at) * 1000)
            if flow.response.timestamp_end:
                record.latency_ms = max(0.0, (flow.response.timestamp_end - state.sent_at) * 1000)
        if self.writer is not None:
            self.writer.submit(record)


addons = [Trimline()]
