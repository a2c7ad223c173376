"""Scripted model servers for the real agent CLIs: the Anthropic Messages API (Claude Code)
and the OpenAI Responses API (Codex CLI).

A script is a list of steps. A step is a list of tool calls for the agent to run, or a
final text; or a function of the conversation so far (the tool results the agent sent
back, as the fake received them) that returns one of those. The next step is chosen by
counting the tool results in the request, so retries and side requests (a title, a quota
probe: requests without tools) never advance the script.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.fake_upstream import FakeUpstream, Received, Reply


@dataclass
class Call:
    """One tool call: ``name`` and ``input`` (Anthropic) or arguments (Codex function call)."""

    name: str
    input: dict


@dataclass
class ToolResult:
    call_id: str
    name: str
    input: dict
    text: str
    is_error: bool = False


Step = list[Call] | str | Callable[[list[ToolResult]], "list[Call] | str"]


@dataclass
class Turn:
    """One main-loop request and what the script answered."""

    step: int
    request: Received
    body: dict
    answer: list[Call] | str


class ScriptedModel(FakeUpstream):
    """Shared machinery: GET/HEAD answers, step bookkeeping, errors kept for the test."""

    model_name = "fake-model"

    def __init__(self, script: list[Step]) -> None:
        super().__init__()
        self.script = script
        self.turns: list[Turn] = []
        self.side: list[Received] = []
        self.errors: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        # How many tool calls each answered step made (fixed once answered).
        self._planned: list[int] = []

    # -- the script -------------------------------------------------------------

    def next_answer(self, received: Received, body: dict, results: list[ToolResult]):
        """The answer for a main-loop request that carries ``results`` so far."""
        done, step = len(results), 0
        # Steps with n calls consume n results; find the first step not yet answered.
        for i, planned in enumerate(self._planned):
            if done < planned:
                break
            done -= planned
            step = i + 1
        if step >= len(self.script):
            self.errors.append(f"script exhausted after {len(results)} tool results")
            answer: list[Call] | str = "The script is over."
        else:
            planned = self.script[step]
            try:
                answer = planned(results) if callable(planned) else planned
            except Exception as e:  # the test reads errors; the agent gets a text answer
                self.errors.append(f"step {step}: {type(e).__name__}: {e}")
                answer = f"Step {step} failed: {e}"
            if step == len(self._planned):
                self._planned.append(len(answer) if isinstance(answer, list) else 0)
        self.turns.append(Turn(step, received, body, answer))
        return answer

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):04d}"

    def get(self, path: str) -> Reply:
        return Reply({"error": {"type": "not_found_error", "message": f"no {path}"}}, status=404)

    def requests(self, suffix: str) -> list[Received]:
        return [r for r in self.received if r.path.split("?")[0].endswith(suffix)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        base = super()._handler()
        fake = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_HEAD(self) -> None:
                fake.received.append(Received("HEAD", self.path, dict(self.headers.items()), b""))
                super().do_HEAD()

            def do_GET(self) -> None:
                fake.received.append(Received("GET", self.path, dict(self.headers.items()), b""))
                reply = fake.get(self.path)
                self._json(reply.payload, reply.status)

            def do_POST(self) -> None:
                with fake._lock:  # one step at a time: the script is sequential
                    super().do_POST()

        return Handler


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


class ScriptedAnthropic(ScriptedModel):
    """``POST /v1/messages`` (streamed), ``/v1/messages/count_tokens``, ``HEAD /``, ``GET``s."""

    model_name = "claude-sonnet-4-5"

    def __init__(self, script: list[Step]) -> None:
        super().__init__(script)
        self.sessions: list[str] = []

    @staticmethod
    def tool_results(body: dict) -> list[ToolResult]:
        calls: dict[str, tuple[str, dict]] = {}
        results = []
        for message in body.get("messages", []):
            content = message.get("content")
            if not isinstance(content, list):
                continue
            for block in content:
                if not isinstance(block, dict):
                    continue
                if block.get("type") == "tool_use":
                    calls[block["id"]] = (block.get("name", ""), block.get("input") or {})
                elif block.get("type") == "tool_result":
                    name, args = calls.get(block.get("tool_use_id", ""), ("", {}))
                    results.append(
                        ToolResult(
                            block.get("tool_use_id", ""),
                            name,
                            args,
                            _text_of(block.get("content")),
                            bool(block.get("is_error")),
                        )
                    )
        return results

    def answer(self, path: str, request: dict) -> Reply:
        received = self.received[-1]
        model = request.get("model") or self.model_name
        if path.split("?")[0].endswith("/count_tokens"):
            return Reply({"input_tokens": max(1, len(json.dumps(request)) // 4)})
        if not path.split("?")[0].endswith("/v1/messages"):
            return Reply({"type": "error", "error": {"type": "not_found_error"}}, status=404)
        session = received.header("x-claude-code-session-id")
        if session and session not in self.sessions:
            self.sessions.append(session)
        if not request.get("tools"):
            # A side request (title, summary, quota probe): a short answer, script untouched.
            self.side.append(received)
            fmt = (request.get("output_config") or {}).get("format")
            text = json.dumps({"title": "Fix the failing tests"}) if fmt else "OK"
            return self._reply(request, model, text)
        answer = self.next_answer(received, request, self.tool_results(request))
        return self._reply(request, model, answer)

    def _reply(self, request: dict, model: str, answer: list[Call] | str) -> Reply:
        input_tokens = max(1, len(json.dumps(request.get("messages", []))) // 4)
        blocks: list[dict] = []
        if isinstance(answer, str):
            blocks.append({"type": "text", "text": answer})
        else:
            blocks.append({"type": "text", "text": "Working on it."})
            for call in answer:
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": self.new_id("toolu_e2e_"),
                        "name": call.name,
                        "input": call.input,
                    }
                )
        stop = "end_turn" if isinstance(answer, str) else "tool_use"
        usage = {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 25,
        }
        message = {
            "id": self.new_id("msg_e2e_"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }
        if not request.get("stream"):
            return Reply(message)
        start = dict(message, content=[], stop_reason=None, usage=dict(usage, output_tokens=1))
        events: list[tuple[str, dict]] = [
            ("message_start", {"type": "message_start", "message": start})
        ]
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                events += [
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": index,
                            "content_block": {"type": "text", "text": ""},
                        },
                    ),
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "text_delta", "text": block["text"]},
                        },
                    ),
                ]
            else:
                arguments = json.dumps(block["input"])
                half = len(arguments) // 2
                events.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": index,
                            "content_block": {
                                "type": "tool_use",
                                "id": block["id"],
                                "name": block["name"],
                                "input": {},
                            },
                        },
                    )
                )
                for piece in (arguments[:half], arguments[half:]):
                    events.append(
                        (
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": index,
                                "delta": {"type": "input_json_delta", "partial_json": piece},
                            },
                        )
                    )
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        events += [
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": usage["output_tokens"]},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        return Reply(events=events)

    def get(self, path: str) -> Reply:
        if path.split("?")[0].endswith("/v1/models"):
            return Reply(
                {
                    "data": [
                        {
                            "type": "model",
                            "id": self.model_name,
                            "display_name": "Fake Sonnet",
                            "created_at": "2025-01-01T00:00:00Z",
                        }
                    ],
                    "has_more": False,
                    "first_id": self.model_name,
                    "last_id": self.model_name,
                }
            )
        return super().get(path)


class ScriptedResponses(ScriptedModel):
    """``POST /v1/responses`` (streamed) as Codex CLI's custom providers use it."""

    model_name = "gpt-5-codex"

    def __init__(self, script: list[Step]) -> None:
        super().__init__(script)
        self.sessions: list[str] = []

    @staticmethod
    def tool_results(body: dict) -> list[ToolResult]:
        calls: dict[str, tuple[str, dict]] = {}
        results = []
        for item in body.get("input") or []:
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "function_call":
                try:
                    args = json.loads(item.get("arguments") or "{}")
                except ValueError:
                    args = {}
                calls[item.get("call_id", "")] = (item.get("name", ""), args)
            elif kind in ("function_call_output", "custom_tool_call_output"):
                name, args = calls.get(item.get("call_id", ""), ("", {}))
                output = item.get("output")
                if isinstance(output, dict):  # {content, success} in some versions
                    output = output.get("content", "")
                results.append(ToolResult(item.get("call_id", ""), name, args, _text_of(output)))
        return results

    def answer(self, path: str, request: dict) -> Reply:
        received = self.received[-1]
        if not path.split("?")[0].endswith("/responses"):
            return Reply({"error": {"message": f"no {path}"}}, status=404)
        key = request.get("prompt_cache_key")
        if key and key not in self.sessions:
            self.sessions.append(key)
        if not request.get("tools"):
            self.side.append(received)
            return self._reply(request, "OK")
        answer = self.next_answer(received, request, self.tool_results(request))
        return self._reply(request, answer)

    def _reply(self, request: dict, answer: list[Call] | str) -> Reply:
        model = request.get("model") or self.model_name
        response_id = self.new_id("resp_e2e_")
        items: list[dict] = []
        if isinstance(answer, str):
            items.append(
                {
                    "type": "message",
                    "id": self.new_id("msg_e2e_"),
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": answer, "annotations": []}],
                }
            )
        else:
            for call in answer:
                items.append(
                    {
                        "type": "function_call",
                        "id": self.new_id("fc_e2e_"),
                        "status": "completed",
                        "call_id": self.new_id("call_e2e_"),
                        "name": call.name,
                        "arguments": json.dumps(call.input),
                    }
                )
        input_tokens = max(1, len(json.dumps(request.get("input", []))) // 4)
        usage = {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 30,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + 30,
        }
        base = {
            "id": response_id,
            "object": "response",
            "created_at": 1,
            "model": model,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }
        seq = itertools.count()
        events: list[tuple[str, dict]] = [
            (
                "response.created",
                {
                    "type": "response.created",
                    "sequence_number": next(seq),
                    "response": dict(base, status="in_progress", output=[], usage=None),
                },
            )
        ]
        for index, item in enumerate(items):
            if item["type"] == "message":
                pending = dict(item, status="in_progress", content=[])
            else:
                pending = dict(item, status="in_progress", arguments="")
            events.append(
                (
                    "response.output_item.added",
                    {
                        "type": "response.output_item.added",
                        "sequence_number": next(seq),
                        "output_index": index,
                        "item": pending,
                    },
                )
            )
            if item["type"] == "message":
                events.append(
                    (
                        "response.output_text.delta",
                        {
                            "type": "response.output_text.delta",
                            "sequence_number": next(seq),
                            "item_id": item["id"],
                            "output_index": index,
                            "content_index": 0,
                            "delta": item["content"][0]["text"],
                            "logprobs": [],
                        },
                    )
                )
            else:
                events.append(
                    (
                        "response.function_call_arguments.delta",
                        {
                            "type": "response.function_call_arguments.delta",
                            "sequence_number": next(seq),
                            "item_id": item["id"],
                            "output_index": index,
                            "delta": item["arguments"],
                        },
                    )
                )
            events.append(
                (
                    "response.output_item.done",
                    {
                        "type": "response.output_item.done",
                        "sequence_number": next(seq),
                        "output_index": index,
                        "item": item,
                    },
                )
            )
        events.append(
            (
                "response.completed",
                {
                    "type": "response.completed",
                    "sequence_number": next(seq),
                    "response": dict(base, status="completed", output=items, usage=usage),
                },
            )
        )
        return Reply(events=events)

    def get(self, path: str) -> Reply:
        if path.split("?")[0].endswith("/models"):
            return Reply({"object": "list", "data": [], "models": []})
        return super().get(path)


def sanitise_headers(headers: dict[str, str]) -> dict[str, str]:
    """Request headers without credentials or cookies."""
    secret = {"authorization", "x-api-key", "cookie", "proxy-authorization", "chatgpt-account-id"}
    return {k: v for k, v in headers.items() if k.lower() not in secret}


def recorded(received: list[Received]) -> list[dict]:
    """One JSON-able object per request: method, path, sanitised headers, decoded body."""
    rows = []
    for r in received:
        body: object = None  # GET and HEAD
        if r.body:
            try:
                body = r.json()
            except ValueError:
                body = r.decoded().decode("utf-8", "replace")
        rows.append(
            {
                "method": r.method,
                "path": r.path,
                "headers": sanitise_headers(r.headers),
                "body": body,
            }
        )
    return rows


__all__ = [
    "Call",
    "Received",
    "ScriptedAnthropic",
    "ScriptedResponses",
    "Step",
    "ToolResult",
    "Turn",
    "recorded",
    "sanitise_headers",
]
