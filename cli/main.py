"""The ``trimline`` command: one group, one module per command (``trimline.cli.<name>``).

Every failure a user can cause ends here as one line on stderr and a non-zero exit;
``--debug`` (anywhere on the line, or TRIMLINE_DEBUG=1) adds the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from importlib import metadata

import click
from trimline.cli import (
    backup,
    budgets,
    compress,
    fingerprint,
    mcp,
    originals,
    report,
    route,
    serve,
    stats,
)
from trimline.cli.errors import describe, one_line

CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True, "max_content_width": 100}


def version() -> str:
    try:
        return metadata.version("trimline")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


@click.group(
    context_settings=CONTEXT,
    epilog="""\b
Examples:
  trimline serve --mode reverse --upstream https://api.anthropic.com
  ANTHROPIC_BASE_URL=http://127.0.0.1:8080 claude
  trimline stats
  trimline report --by session --since 7d
  trimline compress build.log --tool Bash --command "make"

Add --debug to any command to see a traceback with its error.""",
)
@click.version_option(
    version(), "-V", "--version", prog_name="trimline", message="%(prog)s %(version)s"
)
@click.option(
    "--debug", is_flag=True, help="Show the traceback with an error (also after any command)."
)
def cli(debug: bool) -> None:
    """Compress coding agents' tool outputs on their way to the model, and meter every call."""


for module in (serve, compress, originals, stats, report, budgets, route, mcp, fingerprint, backup):
    for command in module.COMMANDS:
        cli.add_command(command)


def _command_name(argv: list[str]) -> str:
    for arg in argv:
        if not arg.startswith("-"):
            return f"trimline {arg}" if arg in cli.commands else "trimline"
    return "trimline"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("TRIMLINE_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != "--debug"]
    name = _command_name(args)
    try:
        rv = cli.main(args=args, prog_name="trimline", standalone_mode=False)
    except click.exceptions.Exit as e:  # --help, --version
        return e.exit_code
    except click.UsageError as e:
        if debug:
            traceback.print_exc()
        where = e.ctx.command_path if e.ctx is not None else name
        hint = f" (see `{where} --help`)"
        print(f"{where}: {one_line(e.format_message())}{hint}", file=sys.stderr)
        return 2
    except click.Abort:
        print(f"{name}: stopped", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"{name}: stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `trimline stats | head`: the reader has all it wanted
        # Python would fail again flushing stdout at exit (the recipe of its signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:
        if debug:
            traceback.print_exc()
        line = describe(e)
        if line is None:  # a bug, not the user's doing: still one line, and how to learn more
            line = f"unexpected {type(e).__name__}: {one_line(str(e))}"
            if not debug:
                line += " (run again with --debug for the traceback, and please report it)"
        code = getattr(e, "code", 1)
        print(f"{name}: {line}", file=sys.stderr)
        return code if isinstance(code, int) and code > 0 else 1
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
