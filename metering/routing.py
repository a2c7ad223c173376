"""What a routed call would have cost on the model asked for (for routing savings).

The routed call's own usage is not the answer: the small model wrote its cache cold,
while the model asked for would have read the session's cached prefix. So the prompt
the provider billed is priced at the requested model's rates with the prefix the router
judged cached for that model (``route_cached_share`` of it) at its cache-read rate, the rest
at its cache-write rate when the call wrote to a cache (else the input rate), and the
same output tokens.
"""

from __future__ import annotations

from trimline.metering.prices import cost
from trimline.metering.records import CallRecord, Usage


def counterfactual(r: CallRecord) -> float | None:
    model = r.requested_model
    u = r.usage
    if not model or u.input_tokens is None:
        return None
    if r.fallback or model == r.model:
        return r.cost_usd
    prompt = (
        u.input_tokens + (u.cache_read_input_tokens or 0) + (u.cache_creation_input_tokens or 0)
    )
    cached = round(prompt * min(1.0, max(0.0, r.route_cached_share)))
    rest = prompt - cached
    wrote = bool(u.cache_creation_input_tokens or u.cache_read_input_tokens)
    writes = r.provider == "anthropic" and wrote
    return cost(
        r.provider,
        model,
        Usage(
            input_tokens=0 if writes else rest,
            cache_creation_input_tokens=rest if writes else 0,
            cache_read_input_tokens=cached,
            output_tokens=u.output_tokens or 0,
        ),
    )
