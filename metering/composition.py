"""What a call's context is made of, counted by the writer thread once per call.

A provider module walks a request body and names its parts (``Part``): system prompt,
tool definitions, conversation text, the agent's own tool calls, tool outputs (with the
tool and, for shell tools, the command family that made them), images and documents.
The request path only hands the writer the body as the agent sent it and, when
Trimline changed it, the body as it went upstream; here both are counted with the same
tokenizer (cl100k), part by part, and folded into rows keyed by (kind, tool, command).

Only counts are kept, never content. ``new`` parts are those of the newest turn (sent
for the first time by this call): they are what a command produced, and what every later
turn of the session re-sends (the compounded figure of ``/stats/commands``).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from trimline.compressors.shellcmd import first_program, git_subcommand
from trimline.compressors.tokens import count_tokens

log = logging.getLogger(__name__)

# The kinds, in the order they are shown (a context's own order: what comes first).
KINDS = (
    "system",
    "tools",
    "conversation",
    "tool_calls",
    "tool_outputs",
    "images",
    "documents",
)
# Tools whose input is a shell command: their outputs are grouped by command family.
SHELL_TOOLS = frozenset(
    {
        "bash",
        "shell",
        "exec_command",
        "local_shell",
        "run_shell_command",
        "run_terminal_cmd",
        "terminal",
        "execute_command",
        "run_command",
    }
)
# Programs whose first argument is a subcommand worth naming (``npm test``, ``cargo build``).
_SUBCOMMANDS = frozenset(
    {
        "npm",
        "pnpm",
        "yarn",
        "cargo",
        "go",
        "docker",
        "kubectl",
        "make",
        "uv",
        "poetry",
        "bun",
        "pip",
        "trimline",
    }
)
_RUNNERS = frozenset({"python", "python3", "uv", "poetry", "pipenv", "npx", "bunx", "pnpx"})
UNKNOWN_COMMAND = "(shell)"
# An image's tokens when its size cannot be read: Anthropic's cap for one image
# (about 1.15 megapixels / 750 pixels per token).
IMAGE_TOKENS = 1600
MAX_REMEMBERED = 50_000


@dataclass(slots=True)
class Part:
    """One piece of a request. ``text`` is counted; ``tokens`` is used when there is no
    text (an image, a base64 document), as an estimate."""

    kind: str
    text: str = ""
    tokens: int | None = None
    tool: str = ""
    command: str = ""
    new: bool = False


@dataclass(slots=True)
class CompositionRow:
    """Counts of one (kind, tool, command) in one call: stored in ``composition``."""

    kind: str
    tool: str
    command: str
    parts: int = 0
    new_parts: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    new_tokens_before: int = 0
    new_tokens_after: int = 0


Composer = Callable[[dict[str, Any]], list[Part]]


def command_family(tool: str, tool_input: dict[str, Any]) -> str:
    """What made a tool output: the shell command's family (``pytest``, ``git diff``,
    ``npm test``) for a shell tool, else the tool's own name."""
    if tool.lower() not in SHELL_TOOLS:
        return tool or "(unknown tool)"
    cmd = tool_input.get("command")
    if cmd is None:
        cmd = tool_input.get("cmd")
    if isinstance(cmd, list):
        cmd = " ".join(str(c) for c in cmd)
    if not isinstance(cmd, str) or not cmd.strip():
        return UNKNOWN_COMMAND
    try:
        found = first_program(cmd)
    except Exception:  # a command that defeats the parser is still a command
        found = None
    if not found or not found[0]:
        return UNKNOWN_COMMAND
    program, args = found
    if program in ("python", "python3") and len(args) >= 2 and args[0] == "-m":
        program, args = args[1], args[2:]
    elif program in _RUNNERS and args and program not in ("python", "python3"):
        if program in ("uv", "poetry", "pipenv") and args[0] == "run" and len(args) > 1:
            program, args = args[1], args[2:]
        elif program in ("npx", "bunx", "pnpx"):
            program, args = args[0], args[1:]
    program = program.rsplit("/", 1)[-1]
    if program == "git":
        sub, _ = git_subcommand(args)
        return f"git {sub}" if sub else "git"
    if program in _SUBCOMMANDS:
        sub = next((a for a in args if not a.startswith("-")), "")
        if program in ("npm", "pnpm", "yarn", "bun") and sub == "run":
            rest = [a for a in args if not a.startswith("-")]
            sub = f"run {rest[1]}" if len(rest) > 1 else "run"
        return f"{program} {sub}" if sub else program
    return program


def image_tokens(data: str | None) -> int:
    """About what a provider bills for an image: width x height / 750, capped, read from a
    base64 PNG, GIF or JPEG header; the cap when the size is not in the first bytes."""
    if not data:
        return IMAGE_TOKENS
    import base64
    import binascii

    try:
        head = base64.b64decode(data[:65536][: len(data[:65536]) // 4 * 4])
    except (binascii.Error, ValueError):
        return IMAGE_TOKENS
    size = _image_size(head)
    if size is None:
        return IMAGE_TOKENS
    w, h = size
    return max(1, min(IMAGE_TOKENS, (w * h + 749) // 750))


def _image_size(b: bytes) -> tuple[int, int] | None:
    if b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) >= 24:
        return int.from_bytes(b[16:20], "big"), int.from_bytes(b[20:24], "big")
    if b[:6] in (b"GIF87a", b"GIF89a") and len(b) >= 10:
        return int.from_bytes(b[6:8], "little"), int.from_bytes(b[8:10], "little")
    if b[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(b):
            if b[i] != 0xFF:
                return None
            marker = b[i + 1]
            length = int.from_bytes(b[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(b[i + 7 : i + 9], "big"), int.from_bytes(
                    b[i + 5 : i + 7], "big"
                )
            i += 2 + length
    return None


def as_list(value: Any) -> list[Any]:
    """A body field that should be a list, or nothing: a client's odd body is not an error."""
    return value if isinstance(value, list) else []


def json_text(value: Any) -> str:
    """A structured value (tool definitions, tool-call arguments) as the text counted."""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


# -- counting (writer thread) -----------------------------------------------------

_counts: OrderedDict[bytes, int] = OrderedDict()


def tokens(text: str) -> int:
    """cl100k count, remembered by hash: a session re-sends its history every turn, and a
    turn should cost only what is new in it."""
    if not text:
        return 0
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    n = _counts.get(key)
    if n is None:
        n = _counts[key] = count_tokens(text)
        if len(_counts) > MAX_REMEMBERED:
            _counts.popitem(last=False)
    else:
        _counts.move_to_end(key)
    return n


def _part_tokens(p: Part) -> int:
    return p.tokens if p.tokens is not None else tokens(p.text)


def fold(before: list[Part], after: list[Part] | None) -> list[CompositionRow]:
    """Rows of (kind, tool, command) with counts before and after compression. ``after``
    None: the body went upstream as it came."""
    out: dict[tuple[str, str, str], CompositionRow] = {}

    def row(p: Part) -> CompositionRow:
        key = (p.kind, p.tool, p.command)
        found = out.get(key)
        if found is None:
            found = out[key] = CompositionRow(*key)
        return found

    for p in before:
        n = _part_tokens(p)
        r = row(p)
        r.parts += 1
        r.tokens_before += n
        if p.new:
            r.new_parts += 1
            r.new_tokens_before += n
        if after is None:
            r.tokens_after += n
            if p.new:
                r.new_tokens_after += n
    for p in after or ():
        n = _part_tokens(p)
        r = row(p)
        r.tokens_after += n
        if p.new:
            r.new_tokens_after += n
    return list(out.values())


def complete(record: Any) -> None:
    """Fills ``record.composition`` from its bodies; never raises (a body it cannot read
    leaves the call without a composition)."""
    composer = getattr(record, "composer", None)
    try:
        if composer is None or record.request_json is None or record.endpoint == "count_tokens":
            return
        before = orjson.loads(record.request_json)
        if not isinstance(before, dict):
            return
        after = None
        if record.sent_json is not None:
            sent = orjson.loads(record.sent_json)
            after = composer(sent) if isinstance(sent, dict) else None
        record.composition = fold(composer(before), after)
    except Exception:
        log.warning("composition not counted", exc_info=True)
    finally:
        record.sent_json = None
