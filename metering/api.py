"""The stats API: its routes, the payload models and the OpenAPI document built from both.

Every route the stats server answers is in ``ROUTES``; ``openapi()`` documents
exactly those, with response schemas generated from the pydantic models below
(``extra="forbid"``: a field a query returns but the model does not name fails
the contract test).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema
from trimline.metering import composition_api, queries, stats
from trimline.metering.routes import LIMIT, SINCE, UNTIL, NotFound, Param, Route
from trimline.metering.routes import int_param as _int
from trimline.metering.store import Connection

MAX_N = 1000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallSums(Strict):
    requests: int
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    reasoning_tokens: int
    usage_estimated_calls: int
    cost_usd: float
    saved_usd: float
    unpriced_calls: int
    errors: int
    # Requests that re-sent a body seen moments before (an agent's retry); raw rows only.
    retries: int | None = None


class LegacyTotals(CallSums):
    count_tokens_calls: int
    # Routing, apart from compression: calls sent to a smaller model, what that saved
    # against the model asked for, and routed calls retried on it after a refusal.
    routed_calls: int | None = None
    routing_saved_usd: float | None = None
    fallbacks: int | None = None
    overhead_ms_mean: float
    overhead_ms_max: float
    # From the running proxy's writer (absent when read straight from a database).
    records_written: int | None = None
    records_pending: int | None = None
    records_dropped: int | None = None
    store_errors: int | None = None
    upstream_errors: int | None = None  # upstream unreachable, timed out or cut


class LegacySession(CallSums):
    session: str
    first_ts: float
    last_ts: float


class LegacyModel(CallSums):
    provider: str
    model: str


class LegacyTeam(CallSums):
    team: str | None
    project: str | None


class LegacyKind(Strict):
    kind: str
    blocks: int
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    ms: float
    cache_hits: int


class Stats(Strict):
    totals: LegacyTotals
    by_session: list[LegacySession]
    by_model: list[LegacyModel]
    by_team: list[LegacyTeam]
    by_kind: list[LegacyKind]


class Totals(CallSums):
    first_ts: float | None
    last_ts: float | None
    since: float | None
    until: float | None


class BreakdownRow(CallSums):
    key: str | None


class Breakdown(Strict):
    dimension: str
    since: float | None
    until: float | None
    rows: list[BreakdownRow]


class KindRow(Strict):
    key: str
    blocks: int
    requests: int
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    saved_usd: float
    ms: float
    cache_hits: int


class KindBreakdown(Strict):
    dimension: str
    since: float | None
    until: float | None
    rows: list[KindRow]


class TopCall(Strict):
    id: int
    ts: float
    session: str
    team: str | None
    project: str | None
    user: str | None
    provider: str
    model: str
    endpoint: str
    stream: int
    status: int
    tokens_before: int | None
    tokens_after: int | None
    input_tokens: int | None
    output_tokens: int | None
    cache_creation_input_tokens: int | None
    cache_read_input_tokens: int | None
    cost_usd: float
    saved_usd: float | None
    latency_ms: float | None
    overhead_ms: float


class Top(Strict):
    n: int
    since: float | None
    until: float | None
    calls: list[TopCall]


class SessionSummary(Strict):
    session: str
    first_ts: float
    last_ts: float
    turns: int
    team: str | None
    project: str | None
    user: str | None
    models: int
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    cost_usd: float
    saved_usd: float
    context_first: int
    context_last: int
    context_max: int
    context_growth_per_turn: float


class Sessions(Strict):
    since: float | None
    until: float | None
    sessions: list[SessionSummary]


class Turn(Strict):
    turn: int
    id: int
    ts: float
    model: str
    tokens_before: int | None
    tokens_after: int | None
    tokens_saved: int | None
    context_tokens: int
    context_added: int
    cost_usd: float | None
    saved_usd: float | None


class SessionDetail(SessionSummary):
    per_turn: list[Turn]


class SpendDay(Strict):
    day: str
    cost_usd: float
    saved_usd: float
    requests: int


class Spend(Strict):
    days: list[SpendDay]
    month: str
    month_to_date_usd: float
    avg_daily_7d_usd: float
    days_left_in_month: int
    forecast_month_end_usd: float
    month_budget_usd: float | None


class Budget(BaseModel):
    """Rows of the budgets branch's table; these fields are what the read side uses."""

    model_config = ConfigDict(extra="allow")
    scope: str | None = None
    name: str | None = None
    period: str | None = None
    unit: str | None = None
    amount: float | None = None
    spent: float | None = None
    remaining: float | None = None


class Alert(BaseModel):
    model_config = ConfigDict(extra="allow")
    ts: float | None = None
    kind: str | None = None
    scope: str | None = None
    name: str | None = None
    message: str | None = None
    active: bool | int | None = None


class Error(BaseModel):
    error: str


# -- routes --------------------------------------------------------------------


def _window(query: dict[str, str]) -> tuple[float | None, float | None]:
    return queries.parse_time(query.get("since")), queries.parse_time(query.get("until"))


def month_budget_usd(budget_rows: list[dict[str, Any]]) -> float | None:
    """The line on the spend chart: the global monthly USD budget, else the sum of all
    monthly USD budgets, else none."""
    monthly = [
        b
        for b in budget_rows
        if b.get("period") == "month" and b.get("unit") == "usd" and b.get("amount") is not None
    ]
    everyone = [b for b in monthly if b.get("scope") == "global"]
    chosen = everyone or monthly
    return float(sum(b["amount"] for b in chosen)) if chosen else None


def _totals(conn: Connection, query: dict[str, str]) -> dict[str, Any]:
    since, until = _window(query)
    return {**queries.totals(conn, since, until), "since": since, "until": until}


def _by(conn: Connection, query: dict[str, str], dimension: str) -> dict[str, Any]:
    since, until = _window(query)
    limit = _int(query, "limit", 1000, 1, 100_000)
    return {
        "dimension": dimension,
        "since": since,
        "until": until,
        "rows": queries.breakdown(conn, dimension, since, until, limit),
    }


def _top(conn: Connection, query: dict[str, str]) -> dict[str, Any]:
    since, until = _window(query)
    n = _int(query, "n", 10, 0, MAX_N)
    return {
        "n": n,
        "since": since,
        "until": until,
        "calls": queries.top_calls(conn, n, since, until),
    }


def _sessions(conn: Connection, query: dict[str, str]) -> dict[str, Any]:
    since, until = _window(query)
    limit = _int(query, "limit", 100, 1, 10_000)
    return {"since": since, "until": until, "sessions": queries.sessions(conn, since, until, limit)}


def _session(conn: Connection, query: dict[str, str], id: str) -> dict[str, Any]:
    found = queries.session(conn, id)
    if found is None:
        raise NotFound(f"no session {id!r}")
    found["per_turn"] = found.pop("turn_list")
    return found


def _spend(conn: Connection, query: dict[str, str]) -> dict[str, Any]:
    days = _int(query, "days", 30, 1, 366)
    return queries.spend(conn, days=days, month_budget_usd=month_budget_usd(stats.budgets(conn)))


def _stats(conn: Connection, query: dict[str, str]) -> dict[str, Any]:
    return stats.stats(conn)


DIMENSION = Param("dimension", "what to group calls by", enum=tuple(queries.CALL_DIMENSIONS))

ROUTES: tuple[Route, ...] = (
    Route("/", "The dashboard: spend, teams, models, savings, top calls, alerts", "text/html"),
    Route("/openapi.json", "This document", "application/json"),
    Route(
        "/metrics",
        "Prometheus metrics (counters fed live by the proxy)",
        "text/plain; version=0.0.4",
    ),
    Route(
        "/stats",
        "Totals and breakdowns of all time (the original endpoint)",
        model=Stats,
        handler=_stats,
    ),
    Route(
        "/stats/totals",
        "Totals in a time window",
        model=Totals,
        params=(SINCE, UNTIL),
        handler=_totals,
    ),
    Route(
        "/stats/by/kind",
        "Compressed blocks per compressor kind",
        model=KindBreakdown,
        params=(SINCE, UNTIL),
        handler=lambda conn, query: _by(conn, query, "kind"),
    ),
    Route(
        "/stats/by/{dimension}",
        "Calls grouped by a dimension (day/hour: UTC buckets, in order; others: most expensive first)",
        model=Breakdown,
        params=(SINCE, UNTIL, LIMIT),
        path_params=(DIMENSION,),
        handler=_by,
    ),
    Route(
        "/stats/top",
        "The n most expensive priced calls",
        model=Top,
        params=(Param("n", "how many calls (default 10)", "integer"), SINCE, UNTIL),
        handler=_top,
    ),
    Route(
        "/stats/sessions",
        "Sessions, most recent first, with turns, context growth and savings",
        model=Sessions,
        params=(SINCE, UNTIL, LIMIT),
        handler=_sessions,
    ),
    Route(
        "/stats/sessions/{id}",
        "One session, turn by turn: context size and what each turn added",
        model=SessionDetail,
        path_params=(Param("id", "the session id"),),
        handler=_session,
    ),
    Route(
        "/stats/spend",
        "Daily spend and savings, month to date and the month-end forecast",
        model=Spend,
        params=(Param("days", "days of history (default 30)", "integer"),),
        handler=_spend,
    ),
    Route(
        "/stats/budgets",
        "Budgets with their burn ([] until budgets are configured)",
        model=list[Budget],
        handler=lambda conn, query: stats.budgets(conn),
    ),
    Route(
        "/stats/alerts",
        "Alerts, newest first ([] until alerts exist)",
        model=list[Alert],
        handler=lambda conn, query: stats.alerts(conn),
    ),
    *composition_api.ROUTES,
)


def match(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a request path (concrete paths before templates, in table order)."""
    for route in ROUTES:
        m = route.pattern.match(path)
        if m:
            return route, m.groupdict()
    return None


# -- OpenAPI ---------------------------------------------------------------------

_MODELS: tuple[type[BaseModel], ...] = (
    Stats,
    Totals,
    Breakdown,
    KindBreakdown,
    Top,
    Sessions,
    SessionDetail,
    Spend,
    Budget,
    Alert,
    Error,
    *composition_api.MODELS,
)
_REF = "#/components/schemas/{model}"


def _schema_of(model: Any) -> dict[str, Any]:
    if getattr(model, "__origin__", None) is list:
        (item,) = model.__args__
        return {"type": "array", "items": {"$ref": _REF.format(model=item.__name__)}}
    return {"$ref": _REF.format(model=model.__name__)}


def _param(p: Param, where: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": p.type}
    if p.enum:
        schema["enum"] = list(p.enum)
    return {
        "name": p.name,
        "in": where,
        "required": where == "path",
        "description": p.description,
        "schema": schema,
    }


def openapi() -> dict[str, Any]:
    _, defs = models_json_schema([(m, "serialization") for m in _MODELS], ref_template=_REF)
    error = {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}},
    }
    paths: dict[str, Any] = {}
    for route in ROUTES:
        if route.model is not None:
            content = {route.media_type: {"schema": _schema_of(route.model)}}
        else:
            content = {route.media_type: {"schema": {"type": "string"}}}
        if route.path == "/openapi.json":
            content = {"application/json": {"schema": {"type": "object"}}}
        responses: dict[str, Any] = {
            "200": {"description": route.summary, "content": content},
            "401": {**error, "description": "a token is configured and was not given"},
        }
        if route.params or route.path_params:
            responses["400"] = {**error, "description": "a bad parameter"}
        if route.path_params:
            responses["404"] = {**error, "description": "no such thing"}
        paths[route.path] = {
            "get": {
                "summary": route.summary,
                "operationId": _operation_id(route.path),
                "parameters": [_param(p, "path") for p in route.path_params]
                + [_param(p, "query") for p in route.params],
                "responses": responses,
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trimline stats API",
            "version": "1",
            "description": "What coding agents sent, were billed and saved through Trimline."
            " Times are unix seconds (UTC); money is US dollars; model calls only"
            " (count_tokens calls are counted apart).",
        },
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
        "paths": paths,
    }


def _operation_id(path: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
    return name or "dashboard"
