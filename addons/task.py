"""What a request says the session is about: the text compressors get as ``Context.task``.

A large file read keeps whole the definitions this text names or cites (see
``compressors/code/pointed.py``). It is the user's last message, the agent's last words,
the inputs of its recent tool calls (the grep that found the file) and the tail of its
recent tool results (a traceback's frames), newest last. One function reads all three wire
formats: Anthropic Messages, OpenAI Chat Completions and OpenAI Responses.
"""

from __future__ import annotations

from typing import Any

import orjson

RECENT_MESSAGES = 12  # items looked at, from the end of the conversation
RESULT_TAIL = 4_000  # characters kept of each earlier tool result
MAX_TASK = 20_000  # characters in all


def _text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for part in content:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "\n".join(parts)


def _inputs(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return ""


def task_text(body: dict[str, Any]) -> str:
    """The request's task context, or "" when it has none (never raises)."""
    try:
        items = body.get("messages")
        if not isinstance(items, list):
            items = body.get("input")
        if isinstance(items, str):
            return items[-MAX_TASK:]
        if not isinstance(items, list):
            return ""
        found: list[str] = []
        user_seen = False
        # Newest first; the newest tool results (the ones being compressed) are skipped.
        trailing = True
        for item in reversed(items[-RECENT_MESSAGES:]):
            if not isinstance(item, dict):
                continue
            role, kind = item.get("role"), item.get("type")
            if role == "tool" or kind in ("function_call_output", "custom_tool_call_output"):
                if not trailing:
                    found.append(_text(item.get("content") or item.get("output"))[-RESULT_TAIL:])
                continue
            content = item.get("content")
            if (
                role == "user"
                and isinstance(content, list)
                and any(isinstance(p, dict) and p.get("type") == "tool_result" for p in content)
            ):
                if not trailing:
                    for p in content:
                        if isinstance(p, dict) and p.get("type") == "tool_result":
                            found.append(_text(p.get("content"))[-RESULT_TAIL:])
                continue
            trailing = False
            if kind in ("function_call", "custom_tool_call"):
                found.append(_inputs(item.get("arguments") or item.get("input")))
            elif role == "assistant":
                found.append(_text(content))
                for call in item.get("tool_calls") or []:
                    if isinstance(call, dict):
                        found.append(_inputs((call.get("function") or {}).get("arguments")))
                if isinstance(content, list):
                    for p in content:
                        if isinstance(p, dict) and p.get("type") == "tool_use":
                            found.append(_inputs(p.get("input")))
            elif role == "user" and not user_seen:
                user_seen = True
                found.append(_text(content))
        return "\n".join(reversed([f for f in found if f]))[-MAX_TASK:]
    except Exception:  # fail open: no task context, never a broken request
        return ""
