"""The seam between Trimline and an LLM API's wire format.

A provider module knows three things about its API: where the tool results
sit in a request (and which tool call made each), how to write a shorter text
back in place, and how to read billed usage from a response, streamed or not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from metering.records import Usage


@dataclass(slots=True)
class ToolBlock:
    """One tool output in a request, with the call that produced it."""

    tool_use_id: str
    tool: str
    tool_input: dict[str, Any]
    text: str
    is_error: bool
    write: Callable[[str], None] = field(repr=False)


class UsageTap(Protocol):
    """Reads usage from a response stream's events as they pass through."""

    usage: Usage

    def event(self, name: str, data: bytes) -> None: ...


class Provider(Protocol):
    name: str

    def endpoint(self, method: str, path: str) -> str | None:
        """The endpoint's short name ("messages", "count_tokens"), or None to pass through."""
        ...

    def tool_blocks(self, body: dict[str, Any]) -> list[ToolBlock]: ...

    def session_id(self, headers: dict[str, str], body: dict[str, Any]) -> str | None: ...

    def usage(self, body: dict[str, Any]) -> Usage: ...

    def usage_tap(self) -> UsageTap: ...
