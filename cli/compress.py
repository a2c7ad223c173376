"""``trimline compress``: one tool output compressed the way the proxy would."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from trimline.cli.common import emit_json, err_console
from trimline.cli.errors import UserError, os_failure
from trimline.compressors import DEFAULT_THRESHOLD, Context, compress
from trimline.compressors.tokens import count_tokens

# Past this size a spinner shows on a terminal while the compressor works.
SPINNER_BYTES = 1 << 20


def read_input(file: str) -> str:
    """The tool output as text: refuses a directory, a binary file and empty input."""
    name = "standard input" if file == "-" else file
    if file == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(file)
        if path.is_dir():
            raise UserError(
                f"{file}: is a directory; give a file with the tool output, or - for stdin"
            )
        try:
            data = path.read_bytes()
        except OSError as e:
            raise os_failure(e, file) from e
    if not data.strip():
        raise UserError(f"{name}: empty; give the tool output to compress")
    if b"\0" in data[:8192]:
        raise UserError(f"{name}: binary data, not a tool's text output; give a text file")
    return data.decode("utf-8", "replace")


@click.command(
    short_help="Compress one tool output",
    epilog="""\b
Examples:
  trimline compress test.log --tool Bash --command "python -m pytest -v"
  git diff | trimline compress - --tool Bash --command "git diff" --json
  trimline compress src/app.py --tool Read --file-path src/app.py
  trimline compress big.py --tool Read --file-path big.py --task "fix parse_args"
""",
)
@click.argument("file", metavar="FILE")
@click.option("--tool", default="", help="the tool that produced it: Bash, Read, Grep, ...")
@click.option(
    "--command", "command_line", metavar="CMD", help="the shell command (for Bash-like tools)"
)
@click.option("--file-path", metavar="PATH", help="the file read (for Read)")
@click.option("--is-error", is_flag=True, help="the tool reported an error")
@click.option(
    "--task",
    default="",
    metavar="TEXT",
    help="what the session is about (the user's request, the agent's last words): a large "
    "read keeps whole the definitions it names, as the proxy does with the request's text",
)
@click.option(
    "--threshold",
    type=int,
    default=DEFAULT_THRESHOLD,
    help="tokens under which output is left alone",
)
@click.option(
    "--json", "as_json", is_flag=True, help="print one JSON object: kind, tokens, elisions, text"
)
def compress_command(
    file: str,
    tool: str,
    command_line: str | None,
    file_path: str | None,
    is_error: bool,
    task: str,
    threshold: int,
    as_json: bool,
) -> int:
    """Compress one tool output (FILE, or - for standard input) and print the result."""
    text = read_input(file)
    tool_input: dict[str, object] = {}
    if command_line:
        tool_input["command"] = command_line
    if file_path:
        tool_input["file_path"] = file_path
    context = Context(tool, tool_input, is_error, task=task)
    if len(text) > SPINNER_BYTES and sys.stderr.isatty():
        with err_console().status(f"compressing {len(text):,} characters"):
            result = compress(text, context, threshold)
    else:
        result = compress(text, context, threshold)
    if as_json:
        # Exact counts: the compressor decided on estimates for large blocks.
        before = count_tokens(text)
        after = count_tokens(result.text) if result.changed else before
        emit_json(
            {
                "kind": result.kind,
                "tokens_before": before,
                "tokens_after": after,
                "tokens_saved": before - after,
                "elided": [{"start": e.start, "end": e.end, "what": e.what} for e in result.elided],
                "text": result.text,
            },
            indent=False,
        )
    else:
        sys.stdout.write(result.text)
        if not result.text.endswith("\n"):
            sys.stdout.write("\n")
    return 0


compress_command.name = "compress"
COMMANDS = [compress_command]
