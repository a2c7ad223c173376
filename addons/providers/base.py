"""The seam between Trimline and an LLM API's wire format.

A provider module knows three things about its API: where the tool results
sit in a request (and which tool call made each), how to write a shorter text
back in place, and how to read billed usage from a response, streamed or not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
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
    write: Callable[[str], None] = field(repr=False)
    latest: bool = False


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

    def endpoint(self, method: str, path: str) -> str | None:
        """The endpoint's short name ("messages", "count_tokens"), or None to pass through."""
        ...

    def tool_blocks(self, body: dict[str, Any]) -> list[ToolBlock]: ...

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
    digest = hashlib.blake2b(orjson.dumps(first_user_content), digest_size=8)
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


def setter(container: dict[str, Any], key: str) -> Callable[[str], None]:
    """A ``ToolBlock.write`` that puts the new text where the old one was."""

    def write(text: str) -> None:
        container[key] = text

    return write
