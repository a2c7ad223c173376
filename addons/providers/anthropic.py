"""Anthropic Messages API: ``POST /v1/messages`` and ``/v1/messages/count_tokens``."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from trimline.addons.providers.base import Scan, ToolBlock, blocks_of, conversation_hash
from trimline.metering.records import Usage

name = "anthropic"

_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def endpoint(method: str, path: str) -> str | None:
    if method != "POST":
        return None
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/v1/messages"):
        return "messages"
    if path.endswith("/v1/messages/count_tokens"):
        return "count_tokens"
    return None


LIST_KEY = "messages"


def tool_blocks(body: dict[str, Any]) -> list[ToolBlock]:
    return blocks_of(sys.modules[__name__], body)  # type: ignore[arg-type]


def first_latest(tail: list[Any], count: int) -> int:
    """The newest turn is the last message (its tool results)."""
    return count - 1


def element_blocks(message: Any, index: int, scan: Scan) -> list[ToolBlock]:
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return []
    role = message.get("role")
    blocks: list[ToolBlock] = []
    for n, item in enumerate(message["content"]):
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if role == "assistant" and kind == "tool_use" and isinstance(item.get("id"), str):
            tool_input = item.get("input")
            scan.calls[item["id"]] = (
                index,
                str(item.get("name") or ""),
                tool_input if isinstance(tool_input, dict) else {},
            )
        elif role == "user" and kind == "tool_result":
            blocks.extend(_result_blocks(item, ("content", n), scan))
    return blocks


def _result_blocks(item: dict[str, Any], at: tuple[str, int], scan: Scan) -> list[ToolBlock]:
    use_id = item.get("tool_use_id")
    tool, tool_input = scan.call(use_id)
    is_error = item.get("is_error") is True
    content = item.get("content")
    ident = use_id if isinstance(use_id, str) else ""
    if isinstance(content, str):
        return [ToolBlock(ident, tool, tool_input, content, is_error, (*at, "content"))]
    blocks = []
    if isinstance(content, list):
        for k, part in enumerate(content):
            if (
                isinstance(part, dict)
                and part.get("type") == "text"
                and isinstance(part.get("text"), str)
            ):
                path = (*at, "content", k, "text")
                blocks.append(ToolBlock(ident, tool, tool_input, part["text"], is_error, path))
    return blocks


def session_id(headers: dict[str, str], body: dict[str, Any]) -> str | None:
    """Claude Code's session: its header, else ``metadata.user_id``'s ``session_id``."""
    sid = headers.get("x-claude-code-session-id")
    if sid:
        return sid
    metadata = body.get("metadata")
    user_id = metadata.get("user_id") if isinstance(metadata, dict) else None
    if isinstance(user_id, str) and user_id.startswith("{"):
        try:
            parsed = orjson.loads(user_id)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("session_id"), str):
            return parsed["session_id"]
    return None


def conversation_id(body: dict[str, Any]) -> str | None:
    for message in body.get("messages") or ():
        if isinstance(message, dict) and message.get("role") == "user":
            return conversation_hash(message.get("content"))
    return None


def usage(body: dict[str, Any]) -> Usage:
    return _usage(body.get("usage"))


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    return Usage(**{f: raw[f] for f in _USAGE_FIELDS if isinstance(raw.get(f), int)})


class UsageTap:
    """Usage from ``message_start`` (input side) and ``message_delta`` (cumulative)."""

    def __init__(self) -> None:
        self.usage = Usage()
        self.output_text: list[str] | None = None  # the API always reports output usage

    def event(self, name: str, data: bytes) -> None:
        if name not in ("message_start", "message_delta") or b'"usage"' not in data:
            return
        payload = orjson.loads(data)
        if name == "message_start":
            message = payload.get("message") or {}
            self.usage.merge(_usage(message.get("usage")))
        else:
            self.usage.merge(_usage(payload.get("usage")))


def usage_tap() -> UsageTap:
    return UsageTap()
