"""Anthropic Messages API: ``POST /v1/messages`` and ``/v1/messages/count_tokens``."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from trimline.addons.providers.base import Scan, ToolBlock, blocks_of, conversation_hash
from trimline.metering.composition import Part, command_family, image_tokens, json_text
from trimline.metering.composition import as_list as _list
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


def composition(body: dict[str, Any]) -> list[Part]:
    """The body's parts by kind (``metering.composition``)."""
    parts: list[Part] = []
    system = body.get("system")
    if isinstance(system, str):
        parts.append(Part("system", system))
    elif isinstance(system, list):
        parts += [Part("system", _text(b)) for b in system if isinstance(b, dict)]
    for tool in _list(body.get("tools")):
        parts.append(Part("tools", json_text(tool)))
    messages = body.get("messages")
    if not isinstance(messages, list):
        return parts
    # New this turn: the last message, and the assistant message it answers (the previous
    # call's output, sent back for the first time).
    first_new = len(messages) - 1
    if first_new > 0 and _role(messages[first_new - 1]) == "assistant":
        first_new -= 1
    calls: dict[str, tuple[str, str]] = {}
    for position, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        new = position >= first_new
        content = message.get("content")
        text_kind = "system" if message.get("role") == "system" else "conversation"
        if isinstance(content, str):
            parts.append(Part(text_kind, content, new=new))
            continue
        for item in content if isinstance(content, list) else ():
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "tool_use":
                name = str(item.get("name") or "")
                tool_input = item.get("input") if isinstance(item.get("input"), dict) else {}
                if isinstance(item.get("id"), str):
                    calls[item["id"]] = (name, command_family(name, tool_input))
                parts.append(Part("tool_calls", name + json_text(item.get("input")), new=new))
            elif kind == "tool_result":
                use_id = item.get("tool_use_id")
                tool, command = calls.get(use_id, ("", "")) if isinstance(use_id, str) else ("", "")
                command = command or command_family(tool, {})
                inner = item.get("content")
                if isinstance(inner, str):
                    parts.append(Part("tool_outputs", inner, tool=tool, command=command, new=new))
                for sub in inner if isinstance(inner, list) else ():
                    if isinstance(sub, dict):
                        part = _media(sub, new)
                        if part is None:
                            part = Part("tool_outputs", _text(sub), tool=tool, command=command)
                            part.new = new
                        parts.append(part)
            else:
                parts.append(_media(item, new) or Part(text_kind, _text(item), new=new))
    return parts


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


def _text(block: dict[str, Any]) -> str:
    for key in ("text", "thinking"):
        if isinstance(block.get(key), str):
            return block[key]
    return ""


def _media(block: dict[str, Any], new: bool) -> Part | None:
    kind = block.get("type")
    source = block.get("source") if isinstance(block.get("source"), dict) else {}
    if kind == "image":
        data = source.get("data") if source.get("type") == "base64" else None
        return Part("images", tokens=image_tokens(data), new=new)
    if kind == "document":
        if source.get("type") == "text" and isinstance(source.get("data"), str):
            return Part("documents", source["data"], new=new)
        if isinstance(source.get("content"), list):
            text = "\n".join(_text(b) for b in source["content"] if isinstance(b, dict))
            return Part("documents", text, new=new)
        # A base64 PDF: about a token per 3 bytes of its text layer is not knowable here;
        # its encoded size over 4 is the estimate.
        data = source.get("data")
        return Part("documents", tokens=len(data) // 4 if isinstance(data, str) else 0, new=new)
    return None


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
