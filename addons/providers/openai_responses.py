"""OpenAI Responses: ``POST /v1/responses``, which Codex CLI uses (also over WebSocket,
where a ``response.create`` message carries the same body)."""

from __future__ import annotations

import re
import sys
from typing import Any

import orjson
from trimline.addons.providers import openai_usage
from trimline.addons.providers.base import (
    Scan,
    ToolBlock,
    blocks_of,
    conversation_hash,
    parse_arguments,
)
from trimline.metering.composition import Part, command_family, image_tokens, json_text
from trimline.metering.composition import as_list as _list
from trimline.metering.records import Usage

name = "openai"

_OUTPUT_TYPES = {
    "function_call_output": "function_call",
    "custom_tool_call_output": "custom_tool_call",
    "local_shell_call_output": "local_shell_call",
}
# Codex CLI frames each command's output with a header ending in "Output:".
_CODEX_HEADER = re.compile(
    r"\A(?:(?:Chunk ID|Wall time|Process exited with code|Process running with session ID"
    r"|Original token count|Warning)[^\n]*\n)+Output:\n"
)
_EXIT_CODE = re.compile(r"^Process exited with code (-?\d+)$", re.MULTILINE)


def endpoint(method: str, path: str) -> str | None:
    if method != "POST":
        return None
    path = path.split("?", 1)[0].rstrip("/")
    return "responses" if path.endswith("/responses") else None


def _call(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = item.get("type")
    if kind == "function_call":
        return str(item.get("name") or ""), parse_arguments(item.get("arguments"))
    if kind == "custom_tool_call":
        raw = item.get("input")
        return str(item.get("name") or ""), {"input": raw} if isinstance(raw, str) else {}
    action = item.get("action") if isinstance(item.get("action"), dict) else {}
    return "local_shell", {"command": action.get("command")} if action.get("command") else {}


LIST_KEY = "input"


def _block(
    call_id: str, tool: str, tool_input: dict[str, Any], text: str, path: tuple[str | int, ...]
) -> ToolBlock:
    """A block for one output; Codex's header is kept and only the output under it is offered."""
    header = _CODEX_HEADER.match(text)
    if header is None:
        return ToolBlock(call_id, tool, tool_input, text, False, path)
    prefix = header.group(0)
    code = _EXIT_CODE.search(prefix)
    is_error = code is not None and code.group(1) != "0"
    return ToolBlock(call_id, tool, tool_input, text[len(prefix) :], is_error, path, prefix)


def tool_blocks(body: dict[str, Any]) -> list[ToolBlock]:
    return blocks_of(sys.modules[__name__], body)  # type: ignore[arg-type]


def first_latest(tail: list[Any], count: int) -> int:
    """The newest turn is the run of tool outputs that ends the input."""
    first = count
    for item in reversed(tail):
        if not (isinstance(item, dict) and item.get("type") in _OUTPUT_TYPES):
            break
        first -= 1
    return first


def element_blocks(item: Any, index: int, scan: Scan) -> list[ToolBlock]:
    if not isinstance(item, dict):
        return []
    kind = item.get("type")
    call_id = item.get("call_id")
    if not isinstance(call_id, str):
        return []
    if kind in _OUTPUT_TYPES.values():
        scan.calls[call_id] = (index, *_call(item))
        return []
    if kind not in _OUTPUT_TYPES:
        return []
    tool, tool_input = scan.call(call_id)
    output = item.get("output")
    if isinstance(output, str):
        return [_block(call_id, tool, tool_input, output, ("output",))]
    blocks = []
    if isinstance(output, list):
        for k, part in enumerate(output):
            if (
                isinstance(part, dict)
                and part.get("type") in ("input_text", "output_text", "text")
                and isinstance(part.get("text"), str)
            ):
                path = ("output", k, "text")
                blocks.append(_block(call_id, tool, tool_input, part["text"], path))
    return blocks


def composition(body: dict[str, Any]) -> list[Part]:
    """The body's parts by kind (``metering.composition``): the trailing tool outputs
    (else the last item) and the calls before them are new. A WebSocket ``response.create`` may nest the body."""
    if isinstance(body.get("response"), dict):
        body = body["response"]
    parts = [Part("tools", json_text(t)) for t in _list(body.get("tools"))]
    if isinstance(body.get("instructions"), str):
        parts.append(Part("system", body["instructions"]))
    items = body.get("input")
    if isinstance(items, str):
        return [*parts, Part("conversation", items, new=True)]
    if not isinstance(items, list):
        return parts
    first_new = len(items)
    while (
        first_new > 0
        and isinstance(items[first_new - 1], dict)
        and _type(items[first_new - 1]) in _OUTPUT_TYPES
    ):
        first_new -= 1
    first_new = min(first_new, len(items) - 1)
    # The calls the outputs answer, and the reasoning and text around them: sent first now.
    while first_new > 0 and _answered(items[first_new - 1]):
        first_new -= 1
    calls: dict[str, tuple[str, str]] = {}
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        new = position >= first_new
        kind = _type(item)
        if kind in _OUTPUT_TYPES.values():
            tool, tool_input = _call(item)
            if isinstance(item.get("call_id"), str):
                calls[item["call_id"]] = (tool, command_family(tool, tool_input))
            raw = item.get("arguments", item.get("input", item.get("action")))
            parts.append(Part("tool_calls", tool + json_text(raw), new=new))
        elif kind in _OUTPUT_TYPES:
            call_id = item.get("call_id")
            tool, family = calls.get(call_id, ("", "")) if isinstance(call_id, str) else ("", "")
            family = family or command_family(tool, {})
            parts += _content_parts(item.get("output"), "tool_outputs", new, tool, family)
        elif kind == "reasoning":
            for s in _list(item.get("summary")):
                if isinstance(s, dict) and isinstance(s.get("text"), str):
                    parts.append(Part("conversation", s["text"], new=new))
        elif kind in ("", "message"):
            role = item.get("role")
            text_kind = "system" if role in ("system", "developer") else "conversation"
            parts += _content_parts(item.get("content"), text_kind, new)
    return parts


def _content_parts(
    content: Any, kind: str, new: bool, tool: str = "", command: str = ""
) -> list[Part]:
    if isinstance(content, str):
        return [Part(kind, content, tool=tool, command=command, new=new)]
    out = []
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, dict):
            continue
        ptype = part.get("type")
        if ptype == "input_image":
            url = part.get("image_url")
            data = url.partition("base64,")[2] if isinstance(url, str) else None
            out.append(Part("images", tokens=image_tokens(data), new=new))
        elif ptype == "input_file":
            data = part.get("file_data")
            out.append(
                Part("documents", tokens=len(data) // 4 if isinstance(data, str) else 0, new=new)
            )
        elif isinstance(part.get("text"), str):
            out.append(Part(kind, part["text"], tool=tool, command=command, new=new))
    return out


def _answered(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    kind = _type(item)
    return kind in _OUTPUT_TYPES.values() or kind == "reasoning" or item.get("role") == "assistant"


def session_id(headers: dict[str, str], body: dict[str, Any]) -> str | None:
    """Codex CLI: ``session_id`` in the ``x-codex-turn-metadata`` header, else ``prompt_cache_key``."""
    meta = headers.get("x-codex-turn-metadata")
    if meta:
        try:
            parsed = orjson.loads(meta)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("session_id"), str):
            return parsed["session_id"]
    key = body.get("prompt_cache_key")
    if isinstance(key, str) and key:
        return key
    sid = headers.get("session-id") or headers.get("session_id")
    return sid or None


def conversation_id(body: dict[str, Any]) -> str | None:
    items = body.get("input")
    if isinstance(items, str):
        return conversation_hash(items)
    for item in items or ():
        if isinstance(item, dict) and item.get("role") == "user":
            return conversation_hash(item.get("content"))
    return None


def usage(body: dict[str, Any]) -> Usage:
    return _usage(body.get("usage"))


def _usage(raw: Any) -> Usage:
    return openai_usage.parse(raw, "input_tokens", "output_tokens")


_FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


class UsageTap:
    """Usage from the final ``response.completed`` (or incomplete/failed) event."""

    def __init__(self) -> None:
        self.usage = Usage()
        self.output_text: list[str] | None = None  # the final event always carries usage

    def event(self, name: str, data: bytes) -> None:
        if b'"usage"' not in data:
            return
        payload = orjson.loads(data)
        if not isinstance(payload, dict):
            return
        kind = payload.get("type", name)
        if kind in _FINAL_EVENTS and isinstance(payload.get("response"), dict):
            self.usage.merge(_usage(payload["response"].get("usage")))


def usage_tap() -> UsageTap:
    return UsageTap()


def _type(item: dict) -> str:
    """An item's type; "" when it has none or sends something else there (never raise)."""
    kind = item.get("type")
    return kind if isinstance(kind, str) else ""
