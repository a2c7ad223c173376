"""``trimline stats``: what was sent, billed and saved — the /stats answer, as tables."""

from __future__ import annotations

from typing import Any

import click
from trimline.cli.common import console, db_option, emit_json, json_option, read_store, working
from trimline.cli.tables import Col, show

N = True  # numeric column

USAGE = [
    Col("input_tokens", "Input", N, 4),
    Col("output_tokens", "Output", N, 4),
    Col("cache_creation_input_tokens", "Cache write", N, 2),
    Col("cache_read_input_tokens", "Cache read", N, 3),
    Col("cost_usd", "Cost", N, 6),
    Col("saved_usd", "Saved $", N, 6),
]
TOKENS = [
    Col("tokens_before", "Tokens before", N, 3),
    Col("tokens_after", "Tokens after", N, 1),
    Col("tokens_saved", "Tokens saved", N, 7),
]
TOTALS = [
    ("requests", "Calls"),
    ("tokens_before", "Tokens before compression"),
    ("tokens_after", "Tokens after compression"),
    ("tokens_saved", "Tokens saved"),
    ("input_tokens", "Input tokens billed"),
    ("output_tokens", "Output tokens billed"),
    ("cache_creation_input_tokens", "Cache writes"),
    ("cache_read_input_tokens", "Cache reads"),
    ("cost_usd", "Cost"),
    ("saved_usd", "Saved by compression"),
]


def render(data: dict[str, Any]) -> None:
    out = console()
    totals = data["totals"]
    show(
        out,
        [Col("what", "Totals"), Col("value", "", N, 9)],
        [{"what": label, "value": _money(key, totals.get(key))} for key, label in TOTALS],
        title="What was sent, billed and saved",
    )
    out.print(
        f"count_tokens calls: {totals['count_tokens_calls']:,}   Trimline overhead: mean"
        f" {totals['overhead_ms_mean']} ms, max {totals['overhead_ms_max']} ms"
    )
    out.print(
        f"routing: {totals['routed_calls']:,} call(s) to a smaller model, saved"
        f" ${totals['routing_saved_usd']:.4f}, {totals['fallbacks']:,} fallback(s)\n"
    )
    show(
        out,
        [
            Col("kind", "Compressor"),
            Col("blocks", "Blocks", N, 6),
            *TOKENS,
            Col("ms", "ms", N, 2),
            Col("cache_hits", "Cache hits", N, 2),
        ],
        data["by_kind"],
        title="By compressor kind",
    )
    show(
        out,
        [
            Col("model", "Model", whole=30),
            Col("provider", "Provider", keep=1),
            Col("requests", "Calls", N, 6),
            *TOKENS,
            *USAGE,
        ],
        data["by_model"],
        title="By model",
    )
    show(
        out,
        [
            Col("team", "Team"),
            Col("project", "Project", keep=8),
            Col("requests", "Calls", N, 6),
            Col("tokens_saved", "Tokens saved", N, 7),
            Col("cost_usd", "Cost", N, 6),
            Col("saved_usd", "Saved $", N, 6),
        ],
        data["by_team"],
        title="By team and project",
    )
    show(
        out,
        [Col("session", "Session", whole=36), Col("requests", "Calls", N, 6), *TOKENS, *USAGE],
        data["by_session"],
        title="By session (most recent first)",
    )


def _money(key: str, value: Any) -> Any:
    if value is None:
        return None
    return f"${value:,.4f}" if key.endswith("_usd") else value


@click.command(
    short_help="What was sent, billed and saved",
    epilog="\b\nExamples:\n  trimline stats\n  trimline stats --db postgresql://u:PASSWORD@host/trimline --json",
)
@db_option
@json_option
def stats(db: str | None, as_json: bool) -> int:
    """What was sent, billed and saved: totals, by compressor, model, team and session."""
    from trimline.metering import stats as compute

    with read_store(db) as conn, working("reading the database"):
        data = compute.stats(conn)
    if as_json:
        emit_json(data)
    else:
        render(data)
    return 0


COMMANDS = [stats]
