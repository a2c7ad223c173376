"""The Anthropic wire format: finding tool results, sessions, usage from bodies and streams."""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
import zlib

import brotli
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st
from trimline.addons.providers import anthropic
from trimline.addons.providers.base import write
from trimline.addons.providers.sse import MAX_EVENT_BYTES, SSEReader
from trimline.addons.streams import TooLarge, decode_body, decoder

from tests.fake_anthropic import FakeAnthropic


def body_with(*messages: dict) -> dict:
    return {"model": "claude-sonnet-4-5", "messages": list(messages)}


def test_tool_results_pair_with_their_tool_use() -> None:
    body = body_with(
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "...", "signature": "x"},
                {"type": "tool_use", "id": "a", "name": "Read", "input": {"file_path": "src/x.py"}},
                {"type": "tool_use", "id": "b", "name": "Bash", "input": {"command": "ls"}},
                {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {}},
            ],
        },
        {"role": "system", "content": "a mid-conversation system entry"},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "b",
                    "content": "file1\nfile2",
                    "is_error": True,
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "a",
                    "content": [
                        {"type": "text", "text": "1\tx = 1"},
                        {"type": "image", "source": {}},
                    ],
                },
                {"type": "tool_result", "tool_use_id": "nope", "content": "orphan"},
                {"type": "tool_result", "tool_use_id": "a", "content": None},
                {"type": "text", "text": "not a tool result"},
            ],
        },
    )
    blocks = anthropic.tool_blocks(body)
    assert [(b.tool_use_id, b.tool, b.text, b.is_error) for b in blocks] == [
        ("b", "Bash", "file1\nfile2", True),
        ("a", "Read", "1\tx = 1", False),
        ("nope", "", "orphan", False),
    ]
    assert blocks[1].tool_input == {"file_path": "src/x.py"}
    write(anthropic, body, blocks[0], "short")
    write(anthropic, body, blocks[1], "1\tx")
    results = body["messages"][3]["content"]
    assert results[0]["content"] == "short"
    assert results[1]["content"][0] == {"type": "text", "text": "1\tx"}
    assert results[1]["content"][1] == {"type": "image", "source": {}}


@pytest.mark.parametrize("body", [{}, {"messages": "x"}, {"messages": [1, None, {"role": "user"}]}])
def test_odd_shapes_have_no_blocks(body: dict) -> None:
    assert anthropic.tool_blocks(body) == []


def test_endpoints() -> None:
    assert anthropic.endpoint("POST", "/v1/messages?beta=true") == "messages"
    assert anthropic.endpoint("POST", "/v1/messages/count_tokens?beta=true") == "count_tokens"
    assert anthropic.endpoint("GET", "/v1/messages") is None
    assert anthropic.endpoint("POST", "/v1/models") is None
    assert anthropic.endpoint("HEAD", "/") is None


def test_session_rules() -> None:
    meta = {"metadata": {"user_id": json.dumps({"device_id": "d", "session_id": "from-meta"})}}
    assert anthropic.session_id({"x-claude-code-session-id": "from-header"}, meta) == "from-header"
    assert anthropic.session_id({}, meta) == "from-meta"
    assert anthropic.session_id({}, {"metadata": {"user_id": "user_abc"}}) is None
    first = {"role": "user", "content": "task"}
    a = anthropic.conversation_id(body_with(first))
    b = anthropic.conversation_id(body_with(first, {"role": "assistant", "content": "more"}))
    assert a == b and a.startswith("conv-")
    assert anthropic.conversation_id(body_with({"role": "user", "content": "other"})) != a


def sse_bytes() -> bytes:
    fake = FakeAnthropic()
    fake.httpd.server_close()
    return b"".join(
        f"event: {name}\r\ndata: {json.dumps(data)}\r\n\r\n".encode()
        for name, data in fake._events("m")
    )


@given(st.lists(st.integers(min_value=1, max_value=400), max_size=40))
def test_usage_from_a_stream_cut_anywhere(cuts: list[int]) -> None:
    raw = sse_bytes()
    tap = anthropic.usage_tap()
    reader = SSEReader(tap.event)
    pos = 0
    for cut in cuts:
        reader.feed(raw[pos : pos + cut])
        pos += cut
    reader.feed(raw[pos:])
    assert tap.usage.input_tokens == 1200
    assert tap.usage.output_tokens == 42  # from message_delta, which is cumulative
    assert tap.usage.cache_read_input_tokens == 9000
    assert tap.usage.cache_creation_input_tokens == 300


@pytest.mark.parametrize(
    "encoding, encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
        ("identity", lambda b: b),
    ],
)
def test_stream_decoders_work_chunk_by_chunk(encoding: str, encode) -> None:
    raw = sse_bytes() * 3
    encoded = encode(raw)
    decode = decoder(encoding)
    out = b"".join(decode(encoded[i : i + 7]) for i in range(0, len(encoded), 7))
    assert out == raw


def test_unknown_stream_encoding_is_refused() -> None:
    with pytest.raises(ValueError):
        decoder("compress")


def test_a_stream_without_separators_is_bounded_and_linear() -> None:
    events: list[tuple[str, bytes]] = []
    reader = SSEReader(lambda name, data: events.append((name, data)))
    junk = b"data: " + b"x" * 65536
    start = time.perf_counter()
    for _ in range(200):  # 13 MB in one never-ending event
        reader.feed(junk)
    assert time.perf_counter() - start < 2.0
    assert len(reader._buf) <= MAX_EVENT_BYTES + len(junk)
    # The oversized event is skipped; the stream's next events still come through.
    reader.feed(b'\n\nevent: message_delta\ndata: {"usage": {}}\n\n')
    assert events == [("message_delta", b'{"usage": {}}')]


@pytest.mark.parametrize(
    "encoding, compress",
    [("br", brotli.compress), ("zstd", zstandard.ZstdCompressor(level=19).compress)],
)
def test_brotli_and_zstd_bombs_stop_near_the_limit(encoding: str, compress) -> None:
    bomb = compress(b"\0" * (128 << 20))
    limit = 4 << 20
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            decode_body(bomb, encoding, limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * limit
