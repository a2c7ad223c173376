"""What a call cost, and what compression saved it, from genai-prices' bundled data (never fetched).

Usage records keep input tokens apart from cache reads and writes (see
``metering.records.Usage``); genai-prices counts input including both, so
they are added back before pricing. Each kind of token is priced at its own
rate: cache reads are not plain input, and cache writes are not counted twice.

Savings are priced the way the tokens would have been billed. A block first
sent in this call would have been new input: at the cache-write rate when the
call wrote to the cache (Claude Code marks the newest tool result for
caching), else at the input rate. A block re-sent from history would have sat
in the cached prefix: at the cache-read rate when the call read from the
cache, else at the input rate. So a saving is never counted at list price
when the provider would have served it from cache.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from genai_prices import Usage as PriceUsage
from genai_prices import calc_price
from trimline.metering import user_prices
from trimline.metering.records import Usage
from trimline.metering.user_prices import ModelPrice

log = logging.getLogger(__name__)

# Prices from the user's file (``trimline serve --prices``), consulted before genai-prices.
_user: dict[str, ModelPrice] = {}


def use_price_file(path: str | Path | None) -> None:
    """Loads (or, with None, forgets) a user price file; raises PriceFileError on a bad one."""
    global _user
    _user = user_prices.load(path) if path else {}
    _known.cache_clear()
    unit_prices.cache_clear()


def _user_rates(model: str) -> tuple[float, float, float, float] | None:
    price = user_prices.lookup(_user, model) if _user and model else None
    return price.per_token() if price else None


@lru_cache(maxsize=256)
def _known(provider: str, model: str) -> bool:
    try:
        calc_price(PriceUsage(input_tokens=1), model_ref=model, provider_id=provider)
    except LookupError:
        # Said once per model: the call is still recorded, with its tokens and no cost.
        log.warning("no price for %s model %r: cost left empty", provider, model)
        return False
    return True


def cost(provider: str, model: str, usage: Usage) -> float | None:
    """US dollars, or None when the model is unknown or the provider reported no usage."""
    if not model or (usage.input_tokens is None and usage.output_tokens is None):
        return None
    cache_read = usage.cache_read_input_tokens or 0
    cache_write = usage.cache_creation_input_tokens or 0
    rates = _user_rates(model)
    if rates is not None:
        plain, write, read, out = rates
        billed = (usage.input_tokens or 0, cache_write, cache_read, usage.output_tokens or 0)
        return sum(n * rate for n, rate in zip(billed, (plain, write, read, out), strict=True))
    if not _known(provider, model):
        return None
    priced = PriceUsage(
        input_tokens=(usage.input_tokens or 0) + cache_read + cache_write,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=usage.output_tokens or 0,
    )
    return float(calc_price(priced, model_ref=model, provider_id=provider).total_price)


@lru_cache(maxsize=256)
def unit_prices(provider: str, model: str) -> tuple[float, float, float] | None:
    """Dollars per token for (input, cache write, cache read), or None if unknown."""
    rates = _user_rates(model)
    if rates is not None:
        return rates[:3]
    if not model or not _known(provider, model):
        return None
    # Small enough to stay under long-context tiers (Sonnet's rates double past 200k).
    n = 10_000

    def price(**usage: int) -> float:
        result = calc_price(PriceUsage(**usage), model_ref=model, provider_id=provider)
        return float(result.total_price) / n

    plain = price(input_tokens=n)
    write = price(input_tokens=n, cache_write_tokens=n)
    read = price(input_tokens=n, cache_read_tokens=n)
    return plain, write, read


def saved(
    provider: str, model: str, usage: Usage, new_tokens: int, history_tokens: int
) -> float | None:
    """Dollars compression saved this call: new and re-sent tokens, each at the rate they
    would have been billed (see the module docstring)."""
    rates = unit_prices(provider, model)
    if rates is None or usage.input_tokens is None:
        return None
    plain, write, read = rates
    new_rate = write if usage.cache_creation_input_tokens else plain
    history_rate = read if usage.cache_read_input_tokens else plain
    return new_tokens * new_rate + history_tokens * history_rate
