"""``trimline route --explain``: why a request would (or would not) go to a smaller model."""

from __future__ import annotations

import argparse

import click


@click.command(
    short_help="Explain a routing decision",
    epilog="""\b
Examples:
  trimline route --explain request.json
  trimline route --explain session.jsonl --line 12 --rules my-rules.toml --json""",
)
@click.option(
    "--explain",
    metavar="REQUEST.json",
    required=True,
    help="a request body, or a recorded call (JSON or JSONL)",
)
@click.option(
    "--rules", default="default", metavar="FILE", help="rules file ('default': the shipped rules)"
)
@click.option(
    "--line", type=int, metavar="N", help="JSONL: explain this line (1-based) [default: the last]"
)
@click.option("--cold", is_flag=True, help="assume nothing is in the prompt cache")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def route(explain: str, rules: str, line: int | None, cold: bool, as_json: bool) -> int:
    """Explain the routing decision for a captured request: features, costs, rule, model."""
    from trimline.addons.routing.explain import main

    args = argparse.Namespace(explain=explain, rules=rules, line=line, cold=cold, json=as_json)
    return main(args)


COMMANDS = [route]
