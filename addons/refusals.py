"""Answers Trimline gives in a provider's place, in that provider's own error format.

A request over a ``block`` budget, or caught in a retry loop with the circuit breaker on,
is answered at once without contacting upstream: HTTP 429 with the provider's error JSON,
which the SDKs raise as their typed rate-limit error carrying our message. Streaming
requests get the same JSON, as providers answer before a stream starts. ``x-should-retry:
false`` tells the Anthropic and OpenAI SDKs not to retry it automatically.
"""

from __future__ import annotations

import orjson
from mitmproxy import http

# (Anthropic error type, OpenAI error type, OpenAI error code) per reason.
_TYPES = {
    "budget": ("rate_limit_error", "insufficient_quota", "insufficient_quota"),
    "retry_loop": ("rate_limit_error", "requests", "rate_limit_exceeded"),
}
STATUS = 429


def body(provider: str, reason: str, message: str) -> dict[str, object]:
    anthropic_type, openai_type, openai_code = _TYPES[reason]
    if provider == "anthropic":
        return {"type": "error", "error": {"type": anthropic_type, "message": message}}
    return {"error": {"message": message, "type": openai_type, "param": None, "code": openai_code}}


def refusal(provider: str, reason: str, message: str, retry_after_s: float) -> http.Response:
    return http.Response.make(
        STATUS,
        orjson.dumps(body(provider, reason, message)),
        {
            "content-type": "application/json",
            "x-should-retry": "false",
            "retry-after": str(max(1, int(retry_after_s))),
            "x-trimline-refused": reason,
        },
    )
