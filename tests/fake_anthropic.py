"""A local stand-in for the Anthropic Messages API.

Streaming requests (``"stream": true``) get an SSE stream shaped like the real
API's (message_start with input usage, content deltas, message_delta with
cumulative usage, message_stop); others get one JSON message.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fake_upstream import FakeUpstream, Received, Reply

__all__ = ["FakeAnthropic", "Received", "Usage"]


@dataclass
class Usage:
    input_tokens: int = 1200
    output_tokens: int = 42
    cache_creation_input_tokens: int = 300
    cache_read_input_tokens: int = 9000


class FakeAnthropic(FakeUpstream):
    def __init__(self, usage: Usage | None = None, text: str = "Done.") -> None:
        super().__init__()
        self.usage = usage or Usage()
        self.text = text

    def messages(self) -> list[Received]:
        return self.bodies("/v1/messages")

    def answer(self, path: str, request: dict) -> Reply:
        model = request.get("model", "claude-sonnet-4-5")
        if path.split("?")[0].endswith("/count_tokens"):
            return Reply({"input_tokens": 1234})
        if request.get("stream"):
            return Reply(events=self._events(model))
        return Reply(self._message(model))

    def _message(self, model: str, usage: Usage | None = None) -> dict:
        u = usage or self.usage
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": self.text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": u.input_tokens,
                "output_tokens": u.output_tokens,
                "cache_creation_input_tokens": u.cache_creation_input_tokens,
                "cache_read_input_tokens": u.cache_read_input_tokens,
            },
        }

    def _events(self, model: str, usage: Usage | None = None) -> list[tuple[str, dict]]:
        u = usage or self.usage
        start = self._message(model, u)
        start["content"] = []
        start["stop_reason"] = None
        start["usage"] = dict(start["usage"], output_tokens=1)
        half = len(self.text) // 2
        delta = {"type": "content_block_delta", "index": 0}
        return [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            ("ping", {"type": "ping"}),
            (
                "content_block_delta",
                {**delta, "delta": {"type": "text_delta", "text": self.text[:half]}},
            ),
            (
                "content_block_delta",
                {**delta, "delta": {"type": "text_delta", "text": self.text[half:]}},
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": u.output_tokens},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
