"""``trimline mcp``: a Model Context Protocol server on stdio with one tool, ``expand``,
which returns what a ``[trimline]`` marker elided.

Register it with Claude Code: ``claude mcp add trimline -- trimline mcp``; with
Codex CLI, in ``~/.codex/config.toml``: ``[mcp_servers.trimline]`` and
``command = "trimline"``, ``args = ["mcp"]``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson
from trimline.cli.common import db_option, db_target
from trimline.metering.originals import Originals, path_for, select

PROTOCOL_VERSION = "2025-06-18"

EXPAND_TOOL = {
    "name": "expand",
    "description": (
        "Return the original text of a tool output that Trimline compressed. "
        "Pass the id from a '[trimline] ... elided' marker, and optionally the line range "
        "the marker names (e.g. '120-188') or a regular expression to grep for."
    ),
    "inputSchema": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "the id in the marker"},
            "lines": {"type": "string", "description": "A-B, positions in the original output"},
            "grep": {"type": "string", "description": "only lines matching this regex"},
        },
        "required": ["id"],
    },
}


def expand(originals: Originals | None, args: dict[str, Any]) -> tuple[str, bool]:
    ident = str(args.get("id", ""))
    text = originals.get(ident) if originals is not None else None
    if text is None:
        return f"no original with id {ident!r}", True
    lines = None
    if args.get("lines"):
        first, _, last = str(args["lines"]).partition("-")
        try:
            lines = (int(first), int(last or first))
        except ValueError:
            return f"lines must look like A-B, got {args['lines']!r}", True
    grep = args.get("grep") or None
    try:
        return select(text, lines, grep), False
    except Exception as e:
        return f"{type(e).__name__}: {e}", True


def handle(message: dict[str, Any], originals: Originals | None) -> dict[str, Any] | None:
    method = message.get("method")
    ident = message.get("id")
    if ident is None:  # a notification: no answer
        return None
    if method == "initialize":
        result: Any = {
            "protocolVersion": message.get("params", {}).get("protocolVersion", PROTOCOL_VERSION),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "trimline", "version": "0.1.0"},
        }
    elif method == "tools/list":
        result = {"tools": [EXPAND_TOOL]}
    elif method == "tools/call":
        params = message.get("params") or {}
        if params.get("name") != "expand":
            return _error(ident, -32602, f"unknown tool {params.get('name')!r}")
        text, is_error = expand(originals, params.get("arguments") or {})
        result = {"content": [{"type": "text", "text": text}], "isError": is_error}
    elif method == "ping":
        result = {}
    else:
        return _error(ident, -32601, f"method not found: {method}")
    return {"jsonrpc": "2.0", "id": ident, "result": result}


def _error(ident: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": message}}


def serve_stdio(db_path: str | Path) -> int:
    path = path_for(db_path)
    originals = Originals(path, readonly=True) if path.exists() else None
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            reply: dict[str, Any] | None = _error(None, -32700, "parse error")
        else:
            if originals is None and path.exists():
                originals = Originals(path, readonly=True)
            reply = handle(message, originals) if isinstance(message, dict) else None
        if reply is not None:
            sys.stdout.buffer.write(orjson.dumps(reply) + b"\n")
            sys.stdout.buffer.flush()
    return 0


@click.command(
    short_help="MCP server with an expand tool",
    epilog="""\b
Examples:
  claude mcp add trimline -- trimline mcp
  ~/.codex/config.toml: [mcp_servers.trimline] command = "trimline", args = ["mcp"]""",
)
@db_option
def mcp(db: str | None) -> int:
    """An MCP server on stdio with one tool, expand, that returns what a marker elided."""
    return serve_stdio(db_target(db))


COMMANDS = [mcp]
