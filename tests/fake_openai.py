"""A local stand-in for the OpenAI API: Chat Completions and Responses, streamed or not."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fake_upstream import FakeUpstream, Received, Reply

__all__ = ["FakeOpenAI", "Received"]


@dataclass
class Usage:
    input_tokens: int = 5000  # including the cached ones, as OpenAI reports it
    cached_tokens: int = 4096
    output_tokens: int = 57
    reasoning_tokens: int = 20


class FakeOpenAI(FakeUpstream):
    def __init__(self, text: str = "Done.") -> None:
        super().__init__()
        self.usage = Usage()
        self.text = text
        # Some servers put usage in a chunk that also carries choices.
        self.usage_chunk_has_choices = False

    def answer(self, path: str, request: dict) -> Reply:
        path = path.split("?")[0]
        if path.endswith("/chat/completions"):
            return self._chat(request)
        if path.endswith("/responses"):
            return self._responses(request)
        return Reply({"error": {"message": "not found"}}, status=404)

    def _chat_usage(self) -> dict:
        u = self.usage
        return {
            "prompt_tokens": u.input_tokens,
            "completion_tokens": u.output_tokens,
            "total_tokens": u.input_tokens + u.output_tokens,
            "prompt_tokens_details": {"cached_tokens": u.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        }

    def _chat(self, request: dict) -> Reply:
        model = request.get("model", "gpt-5")
        base = {"id": "chatcmpl-fake", "created": 1, "model": model}
        if not request.get("stream"):
            message = {"role": "assistant", "content": self.text}
            return Reply(
                {
                    **base,
                    "object": "chat.completion",
                    "usage": self._chat_usage(),
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                }
            )
        chunk = {**base, "object": "chat.completion.chunk"}
        half = len(self.text) // 2
        events: list = [
            (
                None,
                {
                    **chunk,
                    "choices": [
                        {"index": 0, "delta": {"role": "assistant", "content": self.text[:half]}}
                    ],
                },
            ),
            (None, {**chunk, "choices": [{"index": 0, "delta": {"content": self.text[half:]}}]}),
        ]
        final_choice = [{"index": 0, "delta": {}, "finish_reason": "stop"}]
        if (request.get("stream_options") or {}).get("include_usage"):
            if self.usage_chunk_has_choices:
                events.append(
                    (None, {**chunk, "choices": final_choice, "usage": self._chat_usage()})
                )
            else:
                events.append((None, {**chunk, "choices": final_choice}))
                events.append((None, {**chunk, "choices": [], "usage": self._chat_usage()}))
        else:
            events.append((None, {**chunk, "choices": final_choice}))
        events.append((None, "[DONE]"))
        return Reply(events=events)

    def _response(self, model: str, status: str) -> dict:
        u = self.usage
        return {
            "id": "resp_fake",
            "object": "response",
            "created_at": 1,
            "status": status,
            "model": model,
            "output": [
                {
                    "type": "message",
                    "id": "msg_1",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": self.text, "annotations": []}],
                }
            ]
            if status == "completed"
            else [],
            "usage": {
                "input_tokens": u.input_tokens,
                "input_tokens_details": {"cached_tokens": u.cached_tokens},
                "output_tokens": u.output_tokens,
                "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
                "total_tokens": u.input_tokens + u.output_tokens,
            }
            if status == "completed"
            else None,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }

    def _responses(self, request: dict) -> Reply:
        model = request.get("model", "gpt-5")
        if not request.get("stream"):
            return Reply(self._response(model, "completed"))
        created = self._response(model, "in_progress")
        done = self._response(model, "completed")
        item = done["output"][0]
        return Reply(
            events=[
                (
                    "response.created",
                    {"type": "response.created", "sequence_number": 0, "response": created},
                ),
                (
                    "response.output_item.added",
                    {
                        "type": "response.output_item.added",
                        "sequence_number": 1,
                        "output_index": 0,
                        "item": {**item, "status": "in_progress", "content": []},
                    },
                ),
                (
                    "response.output_text.delta",
                    {
                        "type": "response.output_text.delta",
                        "sequence_number": 2,
                        "item_id": "msg_1",
                        "output_index": 0,
                        "content_index": 0,
                        "delta": self.text,
                        "logprobs": [],
                    },
                ),
                (
                    "response.output_item.done",
                    {
                        "type": "response.output_item.done",
                        "sequence_number": 3,
                        "output_index": 0,
                        "item": item,
                    },
                ),
                (
                    "response.completed",
                    {"type": "response.completed", "sequence_number": 4, "response": done},
                ),
            ]
        )


class FakeOpenAIWebSocket:
    """The Responses API over WebSocket, as Codex CLI's default provider uses it: each
    ``response.create`` message is answered with the stream's events as JSON messages."""

    def __init__(self, http_twin: FakeOpenAI) -> None:
        from websockets.sync.server import serve

        self.twin = http_twin
        self.received: list[dict] = []
        self.handshake_headers: list[dict[str, str]] = []
        self.server = serve(self._handle, "127.0.0.1", 0)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}"

    def __enter__(self) -> FakeOpenAIWebSocket:
        import threading

        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()

    def _handle(self, ws) -> None:
        import json

        self.handshake_headers.append(dict(ws.request.headers.raw_items()))
        for raw in ws:
            request = json.loads(raw)
            self.received.append(request)
            reply = self.twin._responses({**request, "stream": True})
            for _, event in reply.events:
                ws.send(json.dumps(event))
