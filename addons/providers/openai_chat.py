"""OpenAI Chat Completions: ``POST /v1/chat/completions``, Azure's deployment paths, and
OpenAI-compatible servers (vLLM, OpenRouter, LiteLLM) that speak the same format."""

from __future__ import annotations

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


def endpoint(method: str, path: str) -> str | None:
    if method != "POST":
        return None
    path = path.split("?", 1)[0].rstrip("/")
    return "chat_completions" if path.endswith("/chat/completions") else None


LIST_KEY = "messages"
_LEGACY = "\0function_call"  # the last legacy function_call, in ``Scan.calls``


def tool_blocks(body: dict[str, Any]) -> list[ToolBlock]:
    return blocks_of(sys.modules[__name__], body)  # type: ignore[arg-type]


def first_latest(tail: list[Any], count: int) -> int:
    """The newest turn is the run of tool messages that ends the conversation."""
    first = count
    for message in reversed(tail):
        if not _is_result(message):
            break
        first -= 1
    return first


def element_blocks(message: Any, index: int, scan: Scan) -> list[ToolBlock]:
    if not isinstance(message, dict):
        return []
    role = message.get("role")
    if role == "assistant":
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and isinstance(call.get("id"), str):
                fn = call.get("function") if isinstance(call.get("function"), dict) else {}
                scan.calls[call["id"]] = (
                    index,
                    str(fn.get("name") or ""),
                    parse_arguments(fn.get("arguments")),
                )
        legacy = message.get("function_call")
        if isinstance(legacy, dict):
            scan.calls[_LEGACY] = (
                index,
                str(legacy.get("name") or ""),
                parse_arguments(legacy.get("arguments")),
            )
        return []
    if role == "tool":
        call_id = message.get("tool_call_id")
        call_id = call_id if isinstance(call_id, str) else ""
        tool, tool_input = scan.call(call_id)
    elif role == "function":
        # Legacy function calling: results pair with the preceding call by name.
        call_id = ""
        tool, tool_input = scan.call(_LEGACY)
        if message.get("name") != tool:
            tool, tool_input = str(message.get("name") or ""), {}
    else:
        return []
    return _content_blocks(message, call_id, tool, tool_input)


def _is_role(message: Any, role: str) -> bool:
    return isinstance(message, dict) and message.get("role") == role


def _is_result(message: Any) -> bool:
    return isinstance(message, dict) and message.get("role") in ("tool", "function")


def _content_blocks(
    message: dict[str, Any], call_id: str, tool: str, tool_input: dict[str, Any]
) -> list[ToolBlock]:
    content = message.get("content")
    if isinstance(content, str):
        return [ToolBlock(call_id, tool, tool_input, content, False, ("content",))]
    blocks = []
    if isinstance(content, list):
        for k, part in enumerate(content):
            if (
                isinstance(part, dict)
                and part.get("type") == "text"
                and isinstance(part.get("text"), str)
            ):
                path = ("content", k, "text")
                blocks.append(ToolBlock(call_id, tool, tool_input, part["text"], False, path))
    return blocks


def composition(body: dict[str, Any]) -> list[Part]:
    """The body's parts by kind (``metering.composition``): the trailing tool messages
    (else the last message) and the assistant message before them are new."""
    tools = body.get("tools") or body.get("functions")
    parts = [Part("tools", json_text(t)) for t in _list(tools)]
    messages = body.get("messages")
    if not isinstance(messages, list):
        return parts
    first_new = len(messages)
    while first_new > 0 and _is_result(messages[first_new - 1]):
        first_new -= 1
    first_new = min(first_new, len(messages) - 1)
    if first_new > 0 and _is_role(messages[first_new - 1], "assistant"):
        first_new -= 1  # the call the tool outputs answer: also sent for the first time
    calls: dict[str, tuple[str, str]] = {}
    last_call = ("", "")
    for position, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        new = position >= first_new
        role = message.get("role")
        if role == "assistant":
            for call in _list(message.get("tool_calls")):
                fn = call.get("function") if isinstance(call, dict) else None
                if not isinstance(fn, dict):
                    continue
                name = str(fn.get("name") or "")
                family = command_family(name, parse_arguments(fn.get("arguments")))
                if isinstance(call.get("id"), str):
                    calls[call["id"]] = (name, family)
                parts.append(Part("tool_calls", name + json_text(fn.get("arguments")), new=new))
            legacy = message.get("function_call")
            if isinstance(legacy, dict):
                name = str(legacy.get("name") or "")
                last_call = (name, command_family(name, parse_arguments(legacy.get("arguments"))))
                parts.append(Part("tool_calls", name + json_text(legacy.get("arguments")), new=new))
        if role in ("tool", "function"):
            if role == "tool":
                call_id = message.get("tool_call_id")
                tool, family = (
                    calls.get(call_id, ("", "")) if isinstance(call_id, str) else ("", "")
                )
            else:
                tool, family = last_call
                if message.get("name") != tool:
                    tool = str(message.get("name") or "")
                    family = command_family(tool, {})
            family = family or command_family(tool, {})
            parts += _content_parts(message.get("content"), "tool_outputs", new, tool, family)
        else:
            kind = "system" if role in ("system", "developer") else "conversation"
            parts += _content_parts(message.get("content"), kind, new)
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
        if ptype == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            data = url.partition("base64,")[2] if isinstance(url, str) else None
            out.append(Part("images", tokens=image_tokens(data), new=new))
        elif ptype == "file":
            file = part.get("file") if isinstance(part.get("file"), dict) else {}
            data = file.get("file_data")
            out.append(
                Part("documents", tokens=len(data) // 4 if isinstance(data, str) else 0, new=new)
            )
        elif isinstance(part.get("text"), str):
            out.append(Part(kind, part["text"], tool=tool, command=command, new=new))
    return out


def session_id(headers: dict[str, str], body: dict[str, Any]) -> str | None:
    key = body.get("prompt_cache_key")
    return key if isinstance(key, str) and key else None


def conversation_id(body: dict[str, Any]) -> str | None:
    for message in body.get("messages") or ():
        if isinstance(message, dict) and message.get("role") == "user":
            return conversation_hash(message.get("content"))
    return None


def usage(body: dict[str, Any]) -> Usage:
    return _usage(body.get("usage"))


def _usage(raw: Any) -> Usage:
    return openai_usage.parse(raw, "prompt_tokens", "completion_tokens")


class UsageTap:
    """Usage from the chunk that carries it (``stream_options.include_usage``), which
    may also carry choices; without it, the streamed text, for an estimate."""

    def __init__(self) -> None:
        self.usage = Usage()
        self.output_text: list[str] | None = []

    def event(self, name: str, data: bytes) -> None:
        if data == b"[DONE]":
            return
        chunk = orjson.loads(data)
        if not isinstance(chunk, dict):
            return
        if chunk.get("usage"):
            self.usage.merge(_usage(chunk["usage"]))
        if self.output_text is not None:
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") if isinstance(choice, dict) else None
                if isinstance(delta, dict):
                    for key in ("content", "reasoning_content"):
                        if isinstance(delta.get(key), str):
                            self.output_text.append(delta[key])
                    for call in delta.get("tool_calls") or ():
                        fn = call.get("function") if isinstance(call, dict) else None
                        if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                            self.output_text.append(fn["arguments"])


def usage_tap() -> UsageTap:
    return UsageTap()
