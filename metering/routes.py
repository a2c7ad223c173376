"""What a stats-API route is: its path, parameters, answer model and handler (``metering.api``
lists them and builds the OpenAPI document from them), and the parameter parsing they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trimline.metering.queries import BadQuery


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    type: str = "string"
    enum: tuple[str, ...] = ()


SINCE = Param("since", "from this time on: unix seconds, 7d/24h/30m (ago), YYYY-MM-DD, ISO")
UNTIL = Param("until", "before this time (same forms as since)")
LIMIT = Param("limit", "at most this many rows", "integer")


@dataclass(frozen=True)
class Route:
    path: str  # OpenAPI template, e.g. /stats/sessions/{id}
    summary: str
    media_type: str = "application/json"
    model: Any = None  # pydantic model (or list[...]) of a JSON answer
    params: tuple[Param, ...] = ()
    path_params: tuple[Param, ...] = ()
    handler: Callable[..., Any] | None = None  # (conn, query, **path) -> payload
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))


class NotFound(LookupError):
    pass


def int_param(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise BadQuery(f"{name} must be between {low} and {high}")
    return value
