"""What one turn would cost on the model asked for and on the smaller one, caches counted.

The model asked for reads the session's cached prefix at its cache-read price and writes
the rest (Anthropic, when the request marks ``cache_control``; OpenAI has no write
premium). The smaller model has its own cache, usually cold: it writes the whole prefix
at its own price. With a long cached prefix the large model's cache reads can cost less
than the small model's writes, so "smaller" is not "cheaper" and the router checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from trimline.metering.prices import cost as call_cost
from trimline.metering.prices import unit_prices
from trimline.metering.records import Usage

_N = 1_000_000


@dataclass(frozen=True, slots=True)
class Rates:
    """Dollars per token."""

    input: float
    write: float
    read: float
    output: float


@lru_cache(maxsize=128)
def rates(provider: str, model: str) -> Rates | None:
    units = unit_prices(provider, model)
    out = call_cost(provider, model, Usage(input_tokens=0, output_tokens=_N))
    if units is None or out is None:
        return None
    return Rates(units[0], units[1], units[2], out / _N)


def turn_cost(
    provider: str,
    model: str,
    *,
    context: int,
    cached: int,
    output: int,
    writes_cache: bool,
) -> float | None:
    """Dollars for one call: ``cached`` of ``context`` tokens read from the cache."""
    r = rates(provider, model)
    if r is None:
        return None
    cached = max(0, min(cached, context))
    rest = context - cached
    write = r.write if writes_cache and provider == "anthropic" else r.input
    return cached * r.read + rest * write + output * r.output


@dataclass(slots=True)
class Estimate:
    requested_usd: float | None
    routed_usd: float | None
    cached_requested: int
    cached_routed: int
    output_tokens: int

    def cheaper(self, margin: float) -> bool:
        """True when the routed call is cheaper by at least ``margin`` (a share, 0.2 = 20%)."""
        if self.requested_usd is None or self.routed_usd is None:
            return False
        return self.routed_usd <= self.requested_usd * (1 - margin)

    @property
    def saved_usd(self) -> float | None:
        if self.requested_usd is None or self.routed_usd is None:
            return None
        return self.requested_usd - self.routed_usd


def estimate(
    provider: str,
    requested: str,
    target: str,
    *,
    context: int,
    cached_requested: int,
    cached_routed: int,
    output: int,
    writes_cache: bool,
) -> Estimate:
    kw = {"context": context, "output": output, "writes_cache": writes_cache}
    return Estimate(
        turn_cost(provider, requested, cached=cached_requested, **kw),
        turn_cost(provider, target, cached=cached_routed, **kw),
        cached_requested,
        cached_routed,
        output,
    )
