"""The seam between Trimline and an LLM API's wire format.

A provider module knows three things about its API: where the tool results
sit in a request (and which tool call made each), how to write a shorter text
back in place, and how to read billed usage from a response, streamed or not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from trimline.metering.composition import Part
from trimline.metering.records import Usage


@dataclass(slots=True)
class ToolBlock:
    """One tool output in a request, with the call that produced it.

    ``latest`` marks outputs of the newest turn (the trailing tool results),
    which this request sends for the first time; everything else is history
    that earlier requests already sent.
    """

    tool_use_id: str
    tool: str
    tool_input: dict[str, Any]
    text: str
    is_error: bool
    # Where the string sits inside its conversation element (``splice.locate``), and the
    # part of the string before ``text`` that is kept as it is (Codex's output header).
    path: tuple[str | int, ...] = ()
    head: str = ""
    latest: bool = False
    index: int = -1  # the element's position in the conversation
    # Estimated tokens of the string as sent and as rewritten (set by ``addons.rewrite``).
    tokens_before: int | None = None
    tokens_after: int | None = None


class Scan:
    """What a walk over a conversation has learned so far: the tool calls by id, each with
    the index of the element that made it, so a walk can resume at any element."""

    __slots__ = ("calls",)

    def __init__(self, calls: dict[str, tuple[int, str, dict[str, Any]]] | None = None) -> None:
        self.calls = calls if calls is not None else {}

    def call(self, call_id: Any) -> tuple[str, dict[str, Any]]:
        found = self.calls.get(call_id) if isinstance(call_id, str) else None
        return (found[1], found[2]) if found is not None else ("", {})

    def upto(self, index: int) -> Scan:
        """The scan as it stood before element ``index``."""
        return Scan({k: v for k, v in self.calls.items() if v[0] < index})


class UsageTap(Protocol):
    """Reads usage from a response stream's events as they pass through.

    ``output_text`` collects generated text only for streams that may end
    without usage, so the writer can estimate output tokens; otherwise None.
    """

    usage: Usage
    output_text: list[str] | None

    def event(self, name: str, data: bytes) -> None: ...


class Provider(Protocol):
    name: str
    # The top-level member that holds the conversation ("messages", "input").
    LIST_KEY: str

    def endpoint(self, method: str, path: str) -> str | None:
        """The endpoint's short name ("messages", "count_tokens"), or None to pass through."""
        ...

    def tool_blocks(self, body: dict[str, Any]) -> list[ToolBlock]:
        """Every tool output in a parsed body (see ``blocks_of``)."""
        ...

    def element_blocks(self, element: Any, index: int, scan: Scan) -> list[ToolBlock]:
        """The tool outputs in one conversation element; notes the calls it makes."""
        ...

    def first_latest(self, tail: list[Any], count: int) -> int:
        """The index of the newest turn's first element, given the last elements parsed
        (``tail``, ending the conversation of ``count`` elements)."""
        ...

    def session_id(self, headers: dict[str, str], body: dict[str, Any]) -> str | None:
        """The agent's own session id, where its requests carry one."""
        ...

    def conversation_id(self, body: dict[str, Any]) -> str | None:
        """A stable id for a conversation without a session id (see ``conversation_hash``)."""
        ...

    def usage(self, body: dict[str, Any]) -> Usage: ...

    def composition(self, body: dict[str, Any]) -> list[Part]:
        """The body's parts by kind, for the writer to count (``metering.composition``)."""
        ...

    def usage_tap(self) -> UsageTap: ...


def conversation_hash(first_user_content: Any) -> str:
    """Stable across the turns of one conversation: its first user message does not change."""
    try:
        data = orjson.dumps(first_user_content)
    except TypeError:  # a lone surrogate: the standard library writes it as an escape
        data = json.dumps(first_user_content).encode()
    digest = hashlib.blake2b(data, digest_size=8)
    return "conv-" + digest.hexdigest()


def parse_arguments(arguments: Any) -> dict[str, Any]:
    """A tool call's arguments as a dict, whether sent as a JSON string or an object."""
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str):
        try:
            parsed = orjson.loads(arguments)
        except orjson.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def blocks_of(provider: Provider, body: dict[str, Any]) -> list[ToolBlock]:
    """Every tool output of a parsed body, the newest turn's marked ``latest``."""
    items = body.get(provider.LIST_KEY)
    if not isinstance(items, list):
        return []
    scan = Scan()
    first = provider.first_latest(items, len(items))
    blocks: list[ToolBlock] = []
    for index, element in enumerate(items):
        for block in provider.element_blocks(element, index, scan):
            block.latest = index >= first
            block.index = index
            blocks.append(block)
    return blocks


def write(provider: Provider, body: dict[str, Any], block: ToolBlock, text: str) -> None:
    """Puts ``text`` where ``block`` was in a parsed body (the proxy splices bytes instead:
    ``addons.rewrite``; this is for tools that work on parsed bodies)."""
    container: Any = body[provider.LIST_KEY][block.index]
    for step in block.path[:-1]:
        container = container[step]
    container[block.path[-1]] = block.head + text
