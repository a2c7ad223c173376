"""OpenAI's usage object, which Chat Completions and Responses spell differently.

Both count cached tokens inside the input total and reasoning tokens inside the
output; Trimline's ``Usage.input_tokens`` excludes cache reads, so they are
subtracted here, once, for both APIs.
"""

from __future__ import annotations

from typing import Any

from trimline.metering.records import Usage


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def parse(raw: Any, input_key: str, output_key: str) -> Usage:
    """``input_key``/``output_key``: ``prompt_tokens``/``completion_tokens`` (Chat) or
    ``input_tokens``/``output_tokens`` (Responses); details sit under ``<key>_details``."""
    if not isinstance(raw, dict):
        return Usage()
    total = _int(raw.get(input_key))
    cached = _int((raw.get(f"{input_key}_details") or {}).get("cached_tokens"))
    reasoning = _int((raw.get(f"{output_key}_details") or {}).get("reasoning_tokens"))
    return Usage(
        input_tokens=total - (cached or 0) if total is not None else None,
        output_tokens=_int(raw.get(output_key)),
        cache_read_input_tokens=cached,
        reasoning_tokens=reasoning,
    )
