"""Payload models and handlers of the composition endpoints (``metering.api`` lists the
routes): ``/stats/composition``, ``/stats/composition/by/{dimension}``,
``/stats/commands`` and ``/stats/sessions/{id}/composition``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from trimline.metering import composition_stats as cs
from trimline.metering.store import Connection


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KindTokens(_Strict):
    """Tokens (or parts) by kind; ``total`` is their sum."""

    system: int
    tools: int
    conversation: int
    tool_calls: int
    tool_outputs: int
    images: int
    documents: int
    total: int


class Filters(_Strict):
    team: str | None = None
    project: str | None = None
    user: str | None = None
    session: str | None = None
    model: str | None = None


class ToolOutputRow(_Strict):
    key: str
    parts: int
    runs: int
    tokens_before: int
    tokens_after: int


class ToolOutputs(_Strict):
    by_tool: list[ToolOutputRow]
    by_command: list[ToolOutputRow]


class Billed(_Strict):
    uncached_input: int
    cache_read: int
    cache_write: int
    output: int
    reasoning: int


class Composition(_Strict):
    since: float | None
    until: float | None
    filters: Filters
    requests: int
    requests_counted: int
    parts: KindTokens
    before: KindTokens
    after: KindTokens
    tool_outputs: ToolOutputs
    billed: Billed


class CompositionRow(_Strict):
    key: str | None
    requests: int
    before: KindTokens
    after: KindTokens


class CompositionBreakdown(_Strict):
    since: float | None
    until: float | None
    filters: Filters
    dimension: str
    rows: list[CompositionRow]


class CommandRow(_Strict):
    command: str
    tool: str
    runs: int
    sessions: int
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    compounded_before: int
    compounded_after: int
    compounded_saved: int


class Commands(_Strict):
    since: float | None
    until: float | None
    filters: Filters
    commands: list[CommandRow]


class CompressedBlock(_Strict):
    tool: str
    kind: str
    tokens_before: int
    tokens_after: int


class TurnComposition(_Strict):
    turn: int
    id: int
    ts: float
    model: str
    cost_usd: float | None
    saved_usd: float | None
    context: KindTokens
    context_before: KindTokens
    added: KindTokens
    compressed: list[CompressedBlock]
    markers: list[str]


class SessionComposition(_Strict):
    session: str
    turns: list[TurnComposition]


MODELS: tuple[type[BaseModel], ...] = (
    Composition,
    CompositionBreakdown,
    Commands,
    SessionComposition,
)


def composition(conn: Connection, query: dict[str, str]) -> dict[str, Any]:
    return cs.totals(conn, cs.filters(query))


def composition_by(
    conn: Connection, query: dict[str, str], dimension: str, limit: int
) -> dict[str, Any]:
    return cs.by(conn, cs.filters(query), dimension, limit)


def commands(conn: Connection, query: dict[str, str], limit: int) -> dict[str, Any]:
    return cs.commands(conn, cs.filters(query), limit)


def session(conn: Connection, id: str) -> dict[str, Any] | None:
    return cs.session_detail(conn, id)
