"""What a call cost, from its billed usage and genai-prices' bundled price data (never fetched).

Usage records keep input tokens apart from cache reads and writes (see
``metering.records.Usage``); genai-prices counts input including both, so
they are added back before pricing. Each kind of token is priced at its own
rate: cache reads are not plain input, and cache writes are not counted twice.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

from metering.records import Usage

log = logging.getLogger(__name__)


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
    if not _known(provider, model):
        return None
    cache_read = usage.cache_read_input_tokens or 0
    cache_write = usage.cache_creation_input_tokens or 0
    priced = PriceUsage(
        input_tokens=(usage.input_tokens or 0) + cache_read + cache_write,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=usage.output_tokens or 0,
    )
    return float(calc_price(priced, model_ref=model, provider_id=provider).total_price)
