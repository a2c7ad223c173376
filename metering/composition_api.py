"""The composition endpoints, their payload models and handlers (``metering.api`` adds
these routes to its own): ``/stats/composition``, ``/stats/composition/by/{dimension}``,
``/stats/commands``, ``/stats/sessions/{id}/composition``, and the two pages the stats
server renders itself, ``/sessions/{id}`` and ``/weekly``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from trimline.metering import composition_stats as cs
from trimline.metering.routes import LIMIT, SINCE, UNTIL, NotFound, Param, Route, int_param
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


def composition_by(conn: Connection, query: dict[str, str], dimension: str) -> dict[str, Any]:
    limit = int_param(query, "limit", 1000, 1, 100_000)
    return cs.by(conn, cs.filters(query), dimension, limit)


def commands(conn: Connection, query: dict[str, str]) -> dict[str, Any]:
    return cs.commands(conn, cs.filters(query), int_param(query, "limit", 50, 1, 10_000))


def session(conn: Connection, query: dict[str, str], id: str) -> dict[str, Any]:
    found = cs.session_detail(conn, id)
    if found is None:
        raise NotFound(f"no session {id!r}")
    return found


TAG_FILTERS = tuple(Param(name, f"only calls whose {name} is this") for name in cs.FILTERS)
SESSION_ID = Param("id", "the session id")

ROUTES: tuple[Route, ...] = (
    Route(
        "/sessions/{id}",
        "One session's page: turn by turn, context by kind, compressed blocks, cost",
        "text/html",
        path_params=(SESSION_ID,),
    ),
    Route(
        "/weekly",
        "The weekly review of the last 7 days (as trimline report --weekly --format html)",
        "text/html",
        params=(SINCE, UNTIL),
    ),
    Route(
        "/stats/composition",
        "What the calls' contexts were made of: tokens by kind before and after compression,"
        " tool outputs by tool and by command family, and the billed split",
        model=Composition,
        params=(SINCE, UNTIL, *TAG_FILTERS),
        handler=composition,
    ),
    Route(
        "/stats/composition/by/{dimension}",
        "Context composition per team, project, user, session, model, provider or day",
        model=CompositionBreakdown,
        params=(SINCE, UNTIL, *TAG_FILTERS, LIMIT),
        path_params=(Param("dimension", "what to group calls by", enum=cs.DIMENSIONS),),
        handler=composition_by,
    ),
    Route(
        "/stats/commands",
        "Commands and tools that put the most tokens into contexts, ranked by compounded"
        " tokens (an output's size times the later turns of its session that re-sent it)",
        model=Commands,
        params=(SINCE, UNTIL, *TAG_FILTERS, LIMIT),
        handler=commands,
    ),
    Route(
        "/stats/sessions/{id}/composition",
        "One session turn by turn: context by kind, what each turn added, compressed blocks",
        model=SessionComposition,
        path_params=(SESSION_ID,),
        handler=session,
    ),
)
