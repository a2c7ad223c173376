"""``trimline fingerprint``: an API key's fingerprint, for an ``--attribution`` file."""

from __future__ import annotations

import sys

import click
from trimline.cli.errors import UserError


@click.command(
    short_help="An API key's fingerprint (key on stdin)",
    epilog='\b\nExample:\n  printf %s "$ANTHROPIC_API_KEY" | trimline fingerprint',
)
def fingerprint() -> int:
    """Print the fingerprint of the API key given on standard input (the key is never stored)."""
    from trimline.addons.attribution import fingerprint as of

    key = sys.stdin.readline().strip()
    if not key:
        raise UserError(
            'give the API key on standard input, e.g. printf %s "$KEY" | trimline fingerprint'
        )
    print(of(key))
    return 0


COMMANDS = [fingerprint]
