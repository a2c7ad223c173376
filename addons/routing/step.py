"""The routing step of the addon: after compression, before the request goes upstream.

``Router.route`` decides and adapts the body; ``Router.response`` runs before the
response is recorded and, when a routed call was refused with a 4xx the model asked
for would likely not have returned (unsupported parameter or content, model not
allowed for the key, per-model rate limit), sends the original request — the body as
it would have gone without routing — to the original model once, and hands the agent
that answer instead. A streamed fallback arrives as one piece (mitmproxy cannot splice
a second upstream stream into a response), still as a valid event stream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from mitmproxy import ctx, http
from mitmproxy.exceptions import OptionsError
from trimline.addons.providers.base import Provider, UsageTap
from trimline.addons.providers.sse import SSEReader
from trimline.addons.routing.adapt import adapt
from trimline.addons.routing.decide import Decision, decide
from trimline.addons.routing.features import Features, compute
from trimline.addons.routing.memory import SessionMemory
from trimline.addons.routing.rules import RulesError, RuleSet, load
from trimline.addons.streams import decoder

log = logging.getLogger("trimline")

ROUTED_ENDPOINTS = ("messages", "chat_completions", "responses")
# Refusals a smaller model may give where the one asked for would not.
FALLBACK_STATUSES = frozenset({400, 403, 404, 422, 429})
FALLBACK_TIMEOUT_S = 600.0
_HOP_HEADERS = frozenset(
    {"host", "content-length", "content-encoding", "transfer-encoding", "connection",
     "keep-alive", "proxy-connection", "upgrade", "te", "trailer"}
)  # fmt: skip
METADATA_KEY = "trimline_route"


@dataclass(slots=True)
class RouteState:
    features: Features
    decision: Decision
    original: bytes | None = None  # the body without routing, for a fallback
    notes: list[str] | None = None


class Router:
    def __init__(self) -> None:
        self.rules: RuleSet | None = None
        self.memory = SessionMemory()
        self._client: httpx.AsyncClient | None = None

    def load(self, loader: Any) -> None:
        loader.add_option(
            "trimline_routing",
            str,
            "",
            "Routing rules (TOML or YAML), or 'default' for the shipped rules; empty: off.",
        )

    def configure(self, updated: set[str]) -> None:
        if "trimline_routing" not in updated:
            return
        path = ctx.options.trimline_routing
        try:
            self.rules = load(path) if path else None
        except RulesError as e:
            raise OptionsError(str(e)) from None
        if self.rules is not None:
            self.memory.ttl_s = self.rules.settings.cache_ttl_s
            log.info("trimline: routing with %d rule(s) from %s", len(self.rules.rule), path)

    # -- request ------------------------------------------------------------

    def route(
        self,
        flow: http.HTTPFlow,
        provider: Provider,
        endpoint: str,
        record: Any,
        body: dict[str, Any],
        headers: dict[str, str],
        original: bytes | None,
    ) -> bool:
        """Decides, and adapts ``body`` when routing; True if the body changed.

        ``original`` is the body as it would go upstream without routing (None: it is
        ``body`` as it stands, serialised only if needed).
        """
        if self.rules is None or endpoint not in ROUTED_ENDPOINTS or not body.get("model"):
            return False
        try:
            return self._route(flow, provider, endpoint, record, body, headers, original)
        except Exception as e:  # fail open: the request goes to the model asked for
            state = flow.metadata.pop(METADATA_KEY, None)
            record.error = f"routing: {type(e).__name__}: {e}"[:500]
            record.model = str(record.requested_model or record.model)
            record.routed_model = None
            log.warning("trimline: request not routed: %s", record.error)
            if state is not None and state.original is not None:
                body.clear()  # undo a half-done adaptation
                body.update(orjson.loads(state.original))
                return original is None
            return False

    def _route(
        self,
        flow: http.HTTPFlow,
        provider: Provider,
        endpoint: str,
        record: Any,
        body: dict[str, Any],
        headers: dict[str, str],
        original: bytes | None,
    ) -> bool:
        features = compute(
            provider.name, endpoint, body, headers, provider.tool_blocks(body), record.session
        )
        settings = self.rules.settings
        pinned = self.memory.pinned(features.session)
        decision = decide(features, self.rules, self.memory, pinned=pinned)
        self.memory.outcome(
            features.session,
            failed=features.error,
            streak=settings.error_streak,
            turns=settings.sticky_turns,
        )
        state = RouteState(features, decision)
        flow.metadata[METADATA_KEY] = state
        record.requested_model = features.model
        record.route_rule = decision.rule
        if features.context_tokens:
            record.route_cached_share = features.cached_tokens / features.context_tokens
        if decision.estimate is not None:
            record.route_est_requested_usd = decision.estimate.requested_usd
            record.route_est_routed_usd = decision.estimate.routed_usd
        if decision.target is None:
            return False
        state.original = original if original is not None else orjson.dumps(body)
        state.notes = adapt(endpoint, body, decision.target)
        record.model = decision.target
        record.routed_model = decision.target
        return True

    def downgrade(
        self,
        flow: http.HTTPFlow,
        provider: Provider,
        endpoint: str,
        record: Any,
        body: dict[str, Any],
        headers: dict[str, str],
        target: str,
        rule: str,
    ) -> bool:
        """A budget's ``downgrade``: the same adaptation and fallback as a routed call.

        Applies after ``route``; the fallback still goes to the model the agent asked for.
        """
        requested = str(record.requested_model or body.get("model") or "")
        if endpoint not in ROUTED_ENDPOINTS or not requested or target == body.get("model"):
            return False
        state: RouteState | None = flow.metadata.get(METADATA_KEY)
        if state is None:
            features = compute(
                provider.name, endpoint, body, headers, provider.tool_blocks(body), record.session
            )
            state = RouteState(features, Decision(requested, None, None, ""))
            flow.metadata[METADATA_KEY] = state
        if state.original is None:
            state.original = orjson.dumps(body)
        state.decision = Decision(requested, target, rule, f"{rule}: budget used up")
        state.notes = adapt(endpoint, body, target)
        record.requested_model = requested
        record.model = record.routed_model = target
        record.route_rule = rule
        return True

    # -- response -----------------------------------------------------------

    def response(
        self, flow: http.HTTPFlow, provider: Provider, record: Any
    ) -> Coroutine[Any, Any, UsageTap | None] | None:
        """None when there is nothing to wait for; else the fallback to await (a routed call
        was refused), which returns the usage read from a streamed fallback (the addon would
        otherwise look for JSON). Either way, remembers which model's cache now holds the
        session's prefix."""
        state: RouteState | None = flow.metadata.pop(METADATA_KEY, None)
        if state is None or flow.response is None:
            return None
        if (
            state.decision.target
            and state.original is not None
            and flow.response.status_code in FALLBACK_STATUSES
        ):
            return self._fallback_then_remember(flow, provider, record, state)
        self._remember(flow, record, state)
        return None

    async def _fallback_then_remember(
        self, flow: http.HTTPFlow, provider: Provider, record: Any, state: RouteState
    ) -> UsageTap | None:
        tap = await self._fallback(flow, provider, record, state)
        self._remember(flow, record, state)
        return tap

    def _remember(self, flow: http.HTTPFlow, record: Any, state: RouteState) -> None:
        if flow.response is not None and flow.response.status_code < 400:
            f = state.features
            self.memory.remember(f.session, record.model, f.prefix_hashes, f.prefix_tokens)

    async def _fallback(
        self, flow: http.HTTPFlow, provider: Provider, record: Any, state: RouteState
    ) -> UsageTap | None:
        refused = flow.response
        assert refused is not None and state.original is not None
        log.info(
            "trimline: %s refused the routed call (%d): retrying on %s",
            state.decision.target,
            refused.status_code,
            state.decision.requested,
        )
        headers = [
            (k, v)
            for k, v in flow.request.headers.items(multi=True)
            if k.lower() not in _HOP_HEADERS
        ]
        if self._client is None:
            # trust_env=False: the proxy's own HTTPS_PROXY must not send this back to itself.
            self._client = httpx.AsyncClient(timeout=FALLBACK_TIMEOUT_S, trust_env=False)
        started = time.time()
        try:
            request = self._client.build_request(
                "POST", flow.request.url, headers=headers, content=state.original
            )
            upstream = await self._client.send(request, stream=True)
            try:
                raw = b"".join([chunk async for chunk in upstream.aiter_raw()])
            finally:
                await upstream.aclose()
        except Exception as e:  # the agent gets the refusal it would have got anyway
            record.error = f"fallback: {type(e).__name__}: {e}"[:500]
            return None
        fields = [
            (k, v)
            for k, v in upstream.headers.raw
            if k.decode("latin-1").lower() not in _HOP_HEADERS
        ]
        encoding = upstream.headers.get("content-encoding")
        if encoding:
            fields.append((b"content-encoding", encoding.encode("latin-1")))
        fields.append((b"content-length", str(len(raw)).encode()))
        for name in ("x-trimline-overhead-ms",):
            if name in refused.headers:
                fields.append((name.encode(), refused.headers[name].encode()))
        flow.response = http.Response(
            http_version=refused.data.http_version,
            status_code=upstream.status_code,
            reason=upstream.reason_phrase.encode("latin-1", "replace"),
            headers=http.Headers(fields),
            content=raw,
            trailers=None,
            timestamp_start=started,
            timestamp_end=time.time(),
        )
        record.model = state.decision.requested
        record.fallback = True
        self.memory.outcome(
            state.features.session,
            failed=True,
            streak=self.rules.settings.error_streak if self.rules else 0,
            turns=self.rules.settings.sticky_turns if self.rules else 0,
        )
        if "text/event-stream" not in upstream.headers.get("content-type", ""):
            return None
        record.stream = True
        tap = provider.usage_tap()
        try:
            SSEReader(tap.event).feed(decoder(encoding or "")(raw))
        except Exception as e:
            record.error = f"usage stream: {type(e).__name__}: {e}"[:500]
        return tap

    def done(self) -> None:
        self._client = None
