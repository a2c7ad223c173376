"""``trimline show`` (an elided tool output's original) and ``trimline purge`` (forget them).

Originals exist only when the proxy ran with ``--store-originals``, in ``originals.db``
beside the metering database.
"""

from __future__ import annotations

import re
import sqlite3
import sys

import click
from trimline.cli.common import db_option, db_target, emit_json
from trimline.cli.errors import UserError, db_failure


def _lines(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    first, _, last = value.partition("-")
    try:
        return int(first), int(last or first)
    except ValueError:
        raise click.BadParameter(f"want A-B, e.g. 120-188, got {value!r}") from None


@click.command(
    short_help="Print a compressed output's original",
    epilog="""\b
Examples:
  trimline show 3f9a1c0b2e7d
  trimline show 3f9a1c0b2e7d --lines 120-188
  trimline show 3f9a1c0b2e7d --grep 'FAILED|Error'""",
)
@click.argument("ident", metavar="ID")
@click.option(
    "--lines", callback=_lines, metavar="A-B", help="only lines A-B (positions in the original)"
)
@click.option(
    "--grep", metavar="REGEX", help="only lines matching this regular expression, with positions"
)
@db_option
@click.option("--json", "as_json", is_flag=True, help="print JSON: id, lines, grep and text")
def show(
    ident: str, lines: tuple[int, int] | None, grep: str | None, db: str | None, as_json: bool
) -> int:
    """Print the original of a compressed tool output (ID from a [trimline] marker)."""
    from trimline.metering.originals import Originals, path_for, select

    if grep is not None:
        try:
            re.compile(grep)
        except re.error as e:
            raise UserError(
                f"--grep {grep!r}: not a regular expression ({e}); escape it, e.g. '\\('", 2
            ) from None
    path = path_for(db_target(db))
    text = None
    if path.exists():
        try:
            originals = Originals(path, readonly=True)
            try:
                text = originals.get(ident)
            finally:
                originals.close()
        except sqlite3.Error as e:
            raise db_failure(path, e) from e
    if text is None:
        hint = (
            "" if path.exists() else " (none are kept unless the proxy runs with --store-originals)"
        )
        raise UserError(f"no original {ident!r} in {path}{hint}")
    out = select(text, lines, grep)
    if as_json:
        emit_json({"id": ident, "lines": list(lines) if lines else None, "grep": grep, "text": out})
        return 0
    sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    return 0


@click.command(
    short_help="Delete stored originals",
    epilog="\b\nExamples:\n  trimline purge\n  trimline purge --older-than 7",
)
@click.option(
    "--older-than", type=float, metavar="DAYS", help="only originals older than this many days"
)
@db_option
def purge(older_than: float | None, db: str | None) -> int:
    """Delete stored originals (all of them, or those older than --older-than days)."""
    from trimline.metering.originals import Originals, path_for

    path = path_for(db_target(db))
    if not path.exists():
        print(f"trimline purge: nothing stored ({path} does not exist)")
        return 0
    try:
        originals = Originals(path)
        try:
            removed = originals.purge(older_than_days=older_than)
        finally:
            originals.close()
    except sqlite3.Error as e:
        raise db_failure(path, e) from e
    print(f"trimline purge: removed {removed} original(s) from {path}")
    return 0


COMMANDS = [show, purge]
