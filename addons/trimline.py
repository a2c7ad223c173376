"""The Trimline mitmproxy addon: compress tool results on the way up, meter every call.

Load it with ``trimline serve`` or ``mitmdump -s addons/trimline.py``. Hooks only:
wire formats live in ``addons/providers``, compression in ``compressors``,
records and stats in ``metering``.
"""

from __future__ import annotations

import os
import sys

# ``mitmdump -s addons/trimline.py`` loads this file by path with its folder first on
# sys.path, where this very file would shadow the ``trimline`` package; drop that entry.
if __name__ != "trimline.addons.trimline":
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import asyncio
import base64
import logging
import sqlite3
import time
from collections import deque
from typing import Any

import orjson
from mitmproxy import ctx, http
from mitmproxy.exceptions import OptionsError
from mitmproxy.proxy.mode_specs import ReverseMode
from trimline.addons import attribution
from trimline.addons.decisions import Decisions
from trimline.addons.guard import Guard
from trimline.addons.options import add_options
from trimline.addons.providers import anthropic, openai_chat, openai_responses, splice
from trimline.addons.providers.base import Provider, UsageTap
from trimline.addons.providers.sse import SSEReader
from trimline.addons.rewrite import Outcome
from trimline.addons.routing.step import Router
from trimline.addons.streams import decode_body, decoder
from trimline.addons.tool_outputs import ToolOutputs
from trimline.addons.upstream_errors import UpstreamErrors
from trimline.addons.upstream_errors import counts as upstream_counts
from trimline.compressors.shellcmd import contains_credential
from trimline.compressors.tokens import count_tokens
from trimline.core.paths import default_db_path
from trimline.metering import budgets, stats
from trimline.metering.access import AccessError, require_safe_binding, resolve_token
from trimline.metering.db import redact
from trimline.metering.prices import use_price_file
from trimline.metering.records import CallRecord
from trimline.metering.server import StatsServer
from trimline.metering.user_prices import PriceFileError
from trimline.metering.writer import RecordWriter

log = logging.getLogger("trimline")

PROVIDERS: tuple[Provider, ...] = (anthropic, openai_chat, openai_responses)  # type: ignore[assignment]
TAG_HEADER_PREFIX = "x-trimline-"
OVERHEAD_HEADER = "x-trimline-overhead-ms"
# Larger request bodies go upstream untouched (and the skip is recorded).
MAX_BODY_BYTES = 64 << 20


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


def proxy_auth_tags(header: str) -> dict[str, str]:
    """Team and project from proxy basic-auth credentials (user name and password)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return {}
    try:
        team, _, project = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {k: v for k, v in (("team", team), ("project", project)) if v}


class WebSocketCalls:
    """The calls made over one WebSocket, answered in order."""

    __slots__ = ("pending", "tags")

    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = tags
        self.pending: deque[CallState] = deque()


WS_FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed", "error")


class Trimline:
    def __init__(self) -> None:
        self.decisions: Decisions | None = None
        self.connection_tags: dict[str, dict[str, str]] = {}
        self.hosts: set[str] = set()
        self.writer: RecordWriter | None = None
        self.stats_server: StatsServer | None = None
        self.guard: Guard | None = None
        self.outputs = ToolOutputs()
        # API calls between their request hook and their response (or error) hook, so a
        # stopping proxy can let them finish.
        self.in_flight = 0
        self.attribution: attribution.AttributionFile | None = None
        self.router = Router()

    def load(self, loader: Any) -> None:
        self.router.load(loader)
        add_options(loader)

    def configure(self, updated: set[str]) -> None:
        if updated & {"trimline_stats_host", "trimline_stats_token"}:
            try:
                require_safe_binding(
                    ctx.options.trimline_stats_host, resolve_token(ctx.options.trimline_stats_token)
                )
            except AccessError as e:
                raise OptionsError(str(e)) from None
        config = None
        if "trimline_budgets" in updated or self.guard is None:
            try:
                config = budgets.load(ctx.options.trimline_budgets or None)
            except budgets.BudgetFileError as e:
                raise OptionsError(str(e)) from None
            stats.use_budgets(config)
        self.router.configure(updated)
        if "trimline_prices" in updated:
            try:
                use_price_file(ctx.options.trimline_prices or None)
            except PriceFileError as e:
                raise OptionsError(str(e)) from None
        if "trimline_attribution" in updated:
            try:
                path = ctx.options.trimline_attribution
                self.attribution = attribution.load(path) if path else None
            except attribution.AttributionError as e:
                raise OptionsError(str(e)) from None
        if "trimline_hosts" in updated:
            self.hosts = {h.strip() for h in ctx.options.trimline_hosts.split(",") if h.strip()}
        if "trimline_retention_days" in updated and self.writer is not None:
            self.writer.retention_days = ctx.options.trimline_retention_days
        if "trimline_exact_counts" in updated and self.writer is not None:
            self.writer.exact_counts = ctx.options.trimline_exact_counts
        # The store opens when trimline_db is set, or at start on the default: addons loaded
        # after this one configure it before its options are set, and opening then would
        # create the default database even when --db names another.
        if "trimline_db" in updated:
            self._open_store()
        if self.writer is not None and (config is not None or "trimline_db" in updated):
            config = config or self.guard.config
            if self.guard is not None:
                self.guard.close()
            self.guard = Guard(self.writer.db_path, config)

    def _open_store(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.decisions.close()
        target = ctx.options.trimline_db or default_db_path()
        try:
            self.writer = RecordWriter(
                target,
                retention_days=ctx.options.trimline_retention_days,
                exact_counts=ctx.options.trimline_exact_counts,
            )
        except (sqlite3.DatabaseError, OSError) as e:
            # Not a database, corrupt, or not writable: stop, never run on unmetered.
            raise OptionsError(f"database {redact(target)}: {e}") from None
        self.decisions = Decisions(self.writer.db_path, self.writer.submit)

    def running(self) -> None:
        if self.writer is None:  # trimline_db was never set: the default database
            self.configure({"trimline_db"})
        count_tokens("warm up")  # loads the tokenizer now, not on the first request
        contains_credential("warm up")  # and the secret detectors markers consult
        if self.stats_server is None and ctx.options.trimline_stats_port >= 0:
            self.stats_server = StatsServer(
                self.writer.db_path,
                ctx.options.trimline_stats_host,
                ctx.options.trimline_stats_port,
                live=lambda: {**(self.writer.counts() if self.writer else {}), **upstream_counts()},
                token=resolve_token(ctx.options.trimline_stats_token),
            )
            self.stats_server.start()
            log.info(
                "trimline: stats on http://%s:%d/stats, database %s",
                ctx.options.trimline_stats_host,
                self.stats_server.port,
                redact(self.writer.db_path),
            )

    def done(self) -> None:
        if self.guard is not None:
            self.guard.close()
            self.guard = None
        if self.stats_server is not None:
            self.stats_server.stop()
            self.stats_server = None
        if self.writer is not None:
            self.writer.close()
            self.decisions.close()
            self.writer = None

    # -- request side -------------------------------------------------------

    def _provider(self, flow: http.HTTPFlow) -> tuple[Provider, str] | None:
        for provider in PROVIDERS:
            endpoint = provider.endpoint(flow.request.method, flow.request.path)
            if endpoint:
                return provider, endpoint
        return None

    def _tags(self, flow: http.HTTPFlow) -> dict[str, str]:
        """``x-trimline-*`` headers, removed before the request goes upstream."""
        headers = flow.request.headers
        names = [k for k in headers if k.lower().startswith(TAG_HEADER_PREFIX)]
        tags = {k.lower()[len(TAG_HEADER_PREFIX) :]: headers[k] for k in names}
        for k in names:
            del headers[k]
        return tags

    def _start(self, provider: Provider, endpoint: str, tags: dict[str, str]) -> CallState:
        record = CallRecord(
            ts=time.time(),
            provider=provider.name,
            endpoint=endpoint,
            session=tags.get("session", ""),
            model="",
            stream=False,
            team=tags.get("team"),
            project=tags.get("project"),
            user=tags.get("user"),
            environment=tags.get("environment"),
            feature=tags.get("feature"),
            composer=provider.composition,
        )
        return CallState(provider, record)

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """Zero-code tagging: ``HTTPS_PROXY=http://team:project@127.0.0.1:8080``."""
        tags = proxy_auth_tags(flow.request.headers.get("proxy-authorization", ""))
        if tags:
            self.connection_tags[flow.client_conn.id] = tags

    def client_disconnected(self, client: Any) -> None:
        self.connection_tags.pop(client.id, None)

    async def request(self, flow: http.HTTPFlow) -> None:
        reverse = isinstance(flow.client_conn.proxy_mode, ReverseMode)
        if not reverse and flow.request.pretty_host not in self.hosts:
            return
        tags = {
            **self.connection_tags.get(flow.client_conn.id, {}),
            **proxy_auth_tags(flow.request.headers.get("proxy-authorization", "")),
            **self._tags(flow),
        }
        # Credentials meant for this proxy never travel further.
        flow.request.headers.pop("proxy-authorization", None)
        if (
            flow.request.method == "GET"
            and flow.request.headers.get("upgrade", "").lower() == "websocket"
        ):
            flow.metadata["trimline_ws"] = WebSocketCalls(tags)
            return
        match = self._provider(flow)
        if match is None:
            return
        state = self._start(*match, tags)
        flow.metadata["trimline"] = state
        self.in_flight += 1
        try:
            await asyncio.to_thread(self._rewrite, flow, state)
        except Exception as e:  # fail open: the request goes on as it came
            state.record.error = f"request: {type(e).__name__}: {e}"[:500]
            log.warning("trimline: request left unchanged: %s", state.record.error)
        state.record.overhead_ms = (time.perf_counter() - state.started) * 1000
        state.sent_at = time.time()

    def _rewrite(self, flow: http.HTTPFlow, state: CallState) -> None:
        raw = decode_body(
            flow.request.raw_content or b"",
            flow.request.headers.get("content-encoding", ""),
            MAX_BODY_BYTES,
        )
        if not raw:
            return
        record = state.record
        record.request_json = raw
        headers = {k.lower(): v for k, v in flow.request.headers.items()}
        outcome = self._compress(state, raw, headers)
        sent = outcome.out if outcome.out is not None else raw
        # Routing and budgets read (and may change) the whole body: parsed only for them,
        # and only a body they change is serialised again.
        budgets = self.guard is not None and bool(self.guard.config.budget)
        body = orjson.loads(sent) if self.router.rules is not None or budgets else outcome.fields
        routed = self.router.route(
            flow, state.provider, record.endpoint, record, body, headers, sent
        )
        # Budgets see the model the call will go to; a refusal answers without going upstream.
        guarded = self.guard is not None and self.guard.admit(
            flow,
            record,
            body,
            raw,
            lambda model, rule: self.router.downgrade(
                flow, state.provider, record.endpoint, record, body, headers, model, rule
            ),
        )
        if flow.response is not None:
            return
        if routed or guarded:
            flow.request.content = record.sent_json = orjson.dumps(body)
        elif outcome.out is not None:
            # Only the changed tool outputs differ from what the agent sent.
            flow.request.content = record.sent_json = outcome.out

    def _compress(self, state: CallState, raw: bytes, headers: dict[str, str]) -> Outcome:
        """The body with its tool outputs compressed (``Outcome.out``; None: unchanged)."""
        record = state.record
        if self.attribution is not None:
            for tag, value in attribution.tags(self.attribution, headers, raw).items():
                if getattr(record, tag) is None:
                    setattr(record, tag, value)
        return self.outputs.rewrite(
            record,
            state.provider,
            raw,
            headers,
            self.decisions,
            self.writer.submit,
            threshold=ctx.options.trimline_threshold,
            keep_originals=ctx.options.trimline_store_originals,
            limit_ms=ctx.options.trimline_compress_limit_ms,
        )

    # -- WebSocket (Codex's Responses transport) ----------------------------

    async def websocket_message(self, flow: http.HTTPFlow) -> None:
        calls: WebSocketCalls | None = flow.metadata.get("trimline_ws")
        if calls is None or flow.websocket is None:
            return
        message = flow.websocket.messages[-1]
        if not message.is_text:
            return
        try:
            payload = orjson.loads(message.content)
        except orjson.JSONDecodeError:
            return
        if not isinstance(payload, dict):
            return
        kind = payload.get("type")
        if message.from_client:
            if kind != "response.create":
                return
            state = self._start(openai_responses, "responses_ws", calls.tags)
            state.record.stream = True
            state.tap = openai_responses.usage_tap()
            headers = {k.lower(): v for k, v in flow.request.headers.items()}
            raw = message.content
            state.record.request_json = raw
            try:
                # Some clients nest the body under "response"; others send its fields flat.
                start, end = 0, len(raw)
                if isinstance(payload.get("response"), dict):
                    start, end = splice.locate(raw, 0, ("response",))
                outcome = await asyncio.to_thread(self._compress, state, raw[start:end], headers)
                state.record.stream = True  # a WebSocket answers in events, whatever it says
                if outcome.out is not None:
                    message.content = state.record.sent_json = raw[:start] + outcome.out + raw[end:]
            except Exception as e:  # fail open
                state.record.error = f"request: {type(e).__name__}: {e}"[:500]
            state.record.overhead_ms = (time.perf_counter() - state.started) * 1000
            state.sent_at = time.time()
            calls.pending.append(state)
        elif calls.pending:
            state = calls.pending[0]
            if state.record.ttfb_ms is None:
                state.record.ttfb_ms = (time.time() - state.sent_at) * 1000
            try:
                state.tap.event(str(kind), message.content)
            except Exception as e:
                state.record.error = f"usage stream: {type(e).__name__}: {e}"[:500]
            if kind in WS_FINAL_EVENTS:
                calls.pending.popleft()
                state.record.status = 200 if kind != "error" else 0
                if kind == "error":
                    state.record.error = message.text[:500]
                state.record.usage = state.tap.usage
                state.record.latency_ms = (time.time() - state.sent_at) * 1000
                if self.writer is not None:
                    self.writer.submit(state.record)

    def websocket_end(self, flow: http.HTTPFlow) -> None:
        calls: WebSocketCalls | None = flow.metadata.pop("trimline_ws", None)
        while calls is not None and calls.pending:
            state = calls.pending.popleft()
            state.record.error = "websocket closed before the response completed"
            state.record.usage = state.tap.usage
            if self.writer is not None:
                self.writer.submit(state.record)

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

    def response(self, flow: http.HTTPFlow) -> Any:
        state: CallState | None = flow.metadata.get("trimline")
        if state is not None and flow.response is not None:
            fallback = self.router.response(flow, state.provider, state.record)
            if fallback is not None:  # a routed call was refused: retried on the model asked for
                return self._after_fallback(flow, state, fallback)
        return self._response(flow)

    async def _after_fallback(self, flow: http.HTTPFlow, state: CallState, fallback: Any) -> None:
        state.tap = await fallback or state.tap
        self._response(flow)

    def _response(self, flow: http.HTTPFlow) -> None:
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
        message = flow.error.msg if flow.error else "error"
        if message.startswith("Client disconnected") or "reset by client" in message:
            # The agent gave up (Ctrl-C, a timeout of its own): kept with the usage seen so far.
            message = f"cancelled: {message}"
        state.record.error = message[:500]
        if state.sent_at:
            state.record.latency_ms = (time.time() - state.sent_at) * 1000
        self._finish(flow, state)

    def _finish(self, flow: http.HTTPFlow, state: CallState) -> None:
        self.in_flight -= 1
        record = state.record
        if flow.response is not None and flow.response.timestamp_start:
            record.ttfb_ms = max(0.0, (flow.response.timestamp_start - state.sent_at) * 1000)
            if flow.response.timestamp_end:
                record.latency_ms = max(0.0, (flow.response.timestamp_end - state.sent_at) * 1000)
        if self.writer is not None:
            self.writer.submit(record)


addons = [UpstreamErrors(), Trimline()]
