"""A user's own prices, for models genai-prices does not know yet or priced otherwise.

TOML, dollars per million tokens; a model matches its own name or any name it
prefixes (``claude-opus-5-5`` also prices ``claude-opus-5-5-20261001``)::

    [models."claude-opus-5-5"]
    input = 5.0
    output = 25.0
    cache_read = 0.5     # optional: defaults to input
    cache_write = 6.25   # optional: defaults to input
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ModelPrice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(default=None, ge=0)
    cache_write: float | None = Field(default=None, ge=0)

    def per_token(self) -> tuple[float, float, float, float]:
        """(input, cache write, cache read, output) in dollars per token."""
        m = 1_000_000
        write = self.input if self.cache_write is None else self.cache_write
        read = self.input if self.cache_read is None else self.cache_read
        return self.input / m, write / m, read / m, self.output / m


class PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelPrice]


class PriceFileError(ValueError):
    pass


def load(path: str | Path) -> dict[str, ModelPrice]:
    """The file's prices by model name; a clear error naming the problem otherwise."""
    try:
        raw = tomllib.loads(Path(path).read_text())
        return PriceFile.model_validate(raw).models
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as e:
        raise PriceFileError(f"price file {path}: {e}") from None


def lookup(prices: dict[str, ModelPrice], model: str) -> ModelPrice | None:
    """The entry for a model: its own name, else the longest name that prefixes it."""
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name)]
    return prices[max(matches, key=len)] if matches else None
