"""Upstream failures answered in the provider's own error shape, logged and counted.

When the upstream cannot be reached (refused, unresolvable, TLS failure, timeout) or cuts a
response before its status reached the agent, mitmproxy answers with an HTML 502 page.
Agents and SDKs parse errors as JSON: Anthropic ``{"type":"error","error":{…}}``, OpenAI
``{"error":{…}}``. For the flows Trimline works on (reverse mode: all; forward mode: the
API hosts) this addon answers instead with that JSON, a fitting status (502 unreachable or
cut, 504 timed out), ``content-type: application/json`` and ``x-trimline-overhead-ms``.
Each such failure is one console line naming the upstream and the cause, and is counted
(``upstream_errors`` in ``/stats`` and ``/metrics``). A stream already under way keeps
mitmproxy's behaviour: the agent sees the connection end, as it would from the provider.

mitmproxy (12.x) has no hook to replace its error page (mitmproxy PR #7999 proposes one),
so ``install`` wraps ``HttpStream._handle_event``: where mitmproxy would send the client its
error page, the response prepared by this addon's ``error`` hook is sent instead.
Register this addon before the Trimline addon: its hooks read the call's state first.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import orjson
from mitmproxy import ctx, http
from mitmproxy.proxy.mode_specs import ReverseMode

log = logging.getLogger("trimline")

OVERHEAD_HEADER = "x-trimline-overhead-ms"
CAUSE_HEADER = "x-trimline-upstream-error"
_ANSWER = "trimline_upstream_answer"

# mitmproxy's messages for a client that went away: the agent's doing, not upstream's.
_CLIENT_GONE = ("client disconnected", "reset by client", "killed", "client closed")


class Cause:
    __slots__ = ("anthropic", "kind", "openai", "status")

    def __init__(self, kind: str, status: int, anthropic: str, openai: str) -> None:
        self.kind, self.status, self.anthropic, self.openai = kind, status, anthropic, openai


TIMEOUT = Cause("timeout", 504, "timeout_error", "timeout")
UNREACHABLE = Cause("unreachable", 502, "api_error", "server_error")
TLS = Cause("tls", 502, "api_error", "server_error")
CUT = Cause("cut", 502, "api_error", "server_error")
BAD_RESPONSE = Cause("bad_response", 502, "api_error", "server_error")


def classify(message: str) -> Cause | None:
    """What went wrong upstream, from mitmproxy's error message; None if the client left."""
    text = message.lower()
    if any(s in text for s in _CLIENT_GONE):
        return None
    if "timed out" in text or "timeout" in text:
        return TIMEOUT
    if "tls" in text or "ssl" in text or "certificate" in text:
        return TLS
    if any(s in text for s in ("closed connection", "connection closed", "reset", "complete")):
        return CUT
    if "protocol error" in text or "cannot parse" in text or "unexpected server" in text:
        return BAD_RESPONSE
    return UNREACHABLE


def shape(flow: http.HTTPFlow) -> str:
    """Whose error format the agent expects: the call's provider, else a guess from the request."""
    state = flow.metadata.get("trimline")
    if state is not None:
        return state.provider.name
    request = flow.request
    if (
        "anthropic-version" in request.headers
        or "anthropic" in request.pretty_host
        or request.path.split("?")[0].endswith(("/messages", "/messages/count_tokens"))
    ):
        return "anthropic"
    return "openai"


def error_body(provider: str, cause: Cause, message: str) -> dict[str, Any]:
    if provider == "anthropic":
        return {"type": "error", "error": {"type": cause.anthropic, "message": message}}
    return {
        "error": {
            "message": message,
            "type": cause.openai,
            "param": None,
            "code": f"upstream_{cause.kind}",
        }
    }


def upstream_name(flow: http.HTTPFlow) -> str:
    r = flow.request
    default = 443 if r.scheme == "https" else 80
    port = "" if r.port == default else f":{r.port}"
    return f"{r.scheme}://{r.host}{port}"


# Per process, like the writer's counts: ``/stats`` and ``/metrics`` read them live.
_counts: dict[str, int] = {}
_lock = threading.Lock()


def counts() -> dict[str, int]:
    """``upstream_errors``: failures answered or logged here since the proxy started."""
    with _lock:
        return {"upstream_errors": sum(_counts.values())}


class UpstreamErrors:
    def running(self) -> None:
        install()

    def _ours(self, flow: http.HTTPFlow) -> bool:
        if "trimline" in flow.metadata or isinstance(flow.client_conn.proxy_mode, ReverseMode):
            return True
        hosts = getattr(ctx.options, "trimline_hosts", "")
        return flow.request.pretty_host in {h.strip() for h in hosts.split(",")}

    def error(self, flow: http.HTTPFlow) -> None:
        if flow.error is None or not self._ours(flow):
            return
        cause = classify(flow.error.msg)
        if cause is None:
            return
        with _lock:
            _counts[cause.kind] = _counts.get(cause.kind, 0) + 1
        upstream = upstream_name(flow)
        streaming = flow.response is not None and bool(flow.response.stream)
        log.warning(
            "trimline: upstream %s %s on %s %s: %s%s",
            upstream,
            cause.kind,
            flow.request.method,
            flow.request.path.split("?")[0],
            flow.error.msg,
            " (stream cut after its status was sent)" if streaming else f" -> {cause.status}",
        )
        if streaming:
            return
        state = flow.metadata.get("trimline")
        overhead = state.record.overhead_ms if state is not None else 0.0
        message = f"Trimline could not get an answer from {upstream}: {flow.error.msg}"
        body = orjson.dumps(error_body(shape(flow), cause, message))
        flow.metadata[_ANSWER] = http.Response.make(
            cause.status,
            b"" if flow.request.method == "HEAD" else body,
            {
                "content-type": "application/json",
                OVERHEAD_HEADER: f"{overhead:.2f}",
                CAUSE_HEADER: cause.kind,
            },
        )


_installed = False


def _sends_a_page(event: Any) -> bool:
    """Whether mitmproxy would answer this error with a status and its HTML page (not for a
    client that left or a flow that was killed)."""
    code = getattr(event, "code", None)
    if isinstance(code, int):  # mitmproxy 11: the status itself, 444 for none
        return code != 444
    status = getattr(code, "http_status_code", None)  # mitmproxy 12: an ErrorCode
    return status is None or status() is not None


def install() -> None:
    """Sends the prepared error response where mitmproxy would send its own error page."""
    global _installed
    if _installed:
        return
    try:
        from mitmproxy.proxy.layers.http import HttpStream, SendHttp
        from mitmproxy.proxy.layers.http._events import (
            ResponseData,
            ResponseEndOfMessage,
            ResponseHeaders,
            ResponseProtocolError,
        )
    except ImportError as e:  # another mitmproxy layout: keep its error page
        log.warning("trimline: upstream errors keep mitmproxy's page: %s", e)
        return
    original = HttpStream._handle_event

    def _handle_event(self: Any, event: Any) -> Any:
        commands = original(self, event)
        reply = None
        while True:
            try:
                command = commands.send(reply)
            except StopIteration as stop:
                return stop.value
            answer = None
            if (
                isinstance(command, SendHttp)
                and isinstance(command.event, ResponseProtocolError)
                and command.connection is self.context.client
                and _sends_a_page(command.event)
                and getattr(self, "flow", None) is not None
            ):
                answer = self.flow.metadata.pop(_ANSWER, None)
            if answer is None:
                reply = yield command
                continue
            answer.timestamp_start = answer.timestamp_end = time.time()
            self.flow.response = answer
            client = self.context.client
            content = answer.raw_content or b""
            yield SendHttp(ResponseHeaders(self.stream_id, answer, not content), client)
            if content:
                yield SendHttp(ResponseData(self.stream_id, content), client)
            yield SendHttp(ResponseEndOfMessage(self.stream_id), client)
            reply = None

    HttpStream._handle_event = _handle_event  # type: ignore[method-assign]
    _installed = True
