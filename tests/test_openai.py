"""OpenAI Chat Completions and Responses through the real proxy, with the openai SDK as the client."""

from __future__ import annotations

import gzip
import json
import ssl
import uuid
from pathlib import Path

import httpx
import openai
import pytest
from trimline.addons.providers import openai_chat, openai_responses
from trimline.addons.providers.base import write
from trimline.compressors.tokens import count_tokens

from tests.fake_openai import FakeOpenAI, FakeOpenAIWebSocket
from tests.proxy import Proxy, trimline_serve
from tests.samples import pytest_log

pytestmark = pytest.mark.integration

CODEX_HEADER = "Chunk ID: 5f0c1a\nWall time: 2.1034 seconds\nProcess exited with code 1\nOriginal token count: 9120\nOutput:\n"


def chat_messages(log: str) -> list[dict]:
    return [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "Fix the failing test."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {
                        "name": "shell",
                        "arguments": json.dumps({"command": ["pytest", "-v"]}),
                    },
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {
                        "name": "shell",
                        "arguments": json.dumps({"command": ["echo", "hi"]}),
                    },
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": log},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "hi"}]},
    ]


def responses_input(log: str) -> list[dict]:
    return [
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "You are Codex."}],
        },
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Fix the failing test."}],
        },
        {
            "type": "function_call",
            "call_id": "call_a",
            "name": "exec_command",
            "arguments": json.dumps({"cmd": "pytest -v", "workdir": "/repo"}),
        },
        {"type": "function_call_output", "call_id": "call_a", "output": CODEX_HEADER + log},
    ]


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI() as f:
        yield f


@pytest.fixture(scope="module")
def reverse(fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory):
    with trimline_serve(tmp_path_factory.mktemp("openai"), upstream=fake.url) as proxy:
        yield proxy


def client(proxy: Proxy, session: str, **kw) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{proxy.url}/v1",
        api_key="sk-test",
        max_retries=0,
        default_headers={"x-trimline-session": session},
        **kw,
    )


def test_chat_tool_messages_compressed_and_usage_normalised(
    reverse: Proxy, fake: FakeOpenAI
) -> None:
    session = f"s-{uuid.uuid4()}"
    messages = chat_messages(pytest_log())
    fake.received.clear()
    reply = client(reverse, session).chat.completions.create(model="gpt-5", messages=messages)
    assert reply.choices[0].message.content == fake.text
    (got,) = fake.bodies("/chat/completions")
    sent = got.json()["messages"]
    assert sent[:3] == messages[:3] and sent[4] == messages[4]
    assert (
        "[trimline]" in sent[3]["content"]
        and len(sent[3]["content"]) < len(messages[3]["content"]) / 3
    )
    assert "FAILED tests/test_api.py::test_edge" in sent[3]["content"]
    row = reverse.wait_for_session(session)
    # prompt_tokens include cached_tokens; Trimline's input_tokens are the uncached rest.
    assert row["input_tokens"] == fake.usage.input_tokens - fake.usage.cached_tokens
    assert row["cache_read_input_tokens"] == fake.usage.cached_tokens
    assert row["output_tokens"] == fake.usage.output_tokens
    assert row["reasoning_tokens"] == fake.usage.reasoning_tokens
    assert row["tokens_saved"] > 0
    u = fake.usage
    expected = (
        (u.input_tokens - u.cached_tokens) * 1.25 + u.cached_tokens * 0.125 + u.output_tokens * 10
    )
    assert row["cost_usd"] == pytest.approx(expected / 1e6)


@pytest.mark.parametrize("with_choices", [False, True])
def test_chat_stream_usage_from_the_final_chunk(
    reverse: Proxy, fake: FakeOpenAI, with_choices: bool
) -> None:
    session = f"s-{uuid.uuid4()}"
    fake.usage_chunk_has_choices = with_choices
    try:
        stream = client(reverse, session).chat.completions.create(
            model="gpt-5",
            messages=chat_messages(pytest_log()),
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    finally:
        fake.usage_chunk_has_choices = False
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == fake.text
    row = reverse.wait_for_session(session)
    assert row["output_tokens"] == fake.usage.output_tokens
    assert row["cache_read_input_tokens"] == fake.usage.cached_tokens
    assert row["usage_estimated_calls"] == 0


def test_chat_stream_without_usage_is_estimated_and_says_so(
    reverse: Proxy, fake: FakeOpenAI
) -> None:
    session = f"s-{uuid.uuid4()}"
    stream = client(reverse, session).chat.completions.create(
        model="gpt-5", messages=chat_messages("short"), stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == fake.text
    row = reverse.wait_for_session(session)
    assert row["usage_estimated_calls"] == 1
    assert row["output_tokens"] > 0
    assert row["input_tokens"] == 0


def test_responses_codex_output_keeps_its_header(reverse: Proxy, fake: FakeOpenAI) -> None:
    session = str(uuid.uuid4())
    items = responses_input(pytest_log())
    fake.received.clear()
    c = openai.OpenAI(base_url=f"{reverse.url}/v1", api_key="sk-test", max_retries=0)
    reply = c.responses.create(
        model="gpt-5-codex",
        input=items,
        store=False,
        prompt_cache_key="other",
        extra_headers={
            "x-codex-turn-metadata": json.dumps({"session_id": session, "turn_id": "t1"})
        },
    )
    assert reply.output_text == fake.text
    (got,) = fake.bodies("/responses")
    sent = got.json()["input"]
    assert sent[:3] == items[:3]
    output = sent[3]["output"]
    assert output.startswith(CODEX_HEADER)
    assert "[trimline]" in output and "E       AssertionError: assert None == []" in output
    row = reverse.wait_for_session(session)
    assert row["input_tokens"] == fake.usage.input_tokens - fake.usage.cached_tokens
    assert row["reasoning_tokens"] == fake.usage.reasoning_tokens


def test_responses_stream_usage_from_response_completed(reverse: Proxy, fake: FakeOpenAI) -> None:
    key = f"pck-{uuid.uuid4()}"
    c = openai.OpenAI(base_url=f"{reverse.url}/v1", api_key="sk-test", max_retries=0)
    events = list(
        c.responses.create(
            model="gpt-5-codex",
            input=responses_input(pytest_log()),
            stream=True,
            prompt_cache_key=key,
        )
    )
    assert events[-1].type == "response.completed"
    row = reverse.wait_for_session(key)  # prompt_cache_key is Codex's session id
    assert row["output_tokens"] == fake.usage.output_tokens
    assert row["cache_read_input_tokens"] == fake.usage.cached_tokens
    assert row["tokens_saved"] > 0


def test_forward_mode_to_api_openai_com(fake: FakeOpenAI, tmp_path: Path) -> None:
    session = f"s-{uuid.uuid4()}"
    with trimline_serve(
        tmp_path, "--redirect", f"api.openai.com={fake.url}", mode="forward"
    ) as proxy:
        http_client = httpx.Client(
            proxy=proxy.url, verify=ssl.create_default_context(cafile=proxy.ca_cert)
        )
        c = openai.OpenAI(
            api_key="sk-test",
            http_client=http_client,
            max_retries=0,
            default_headers={"x-trimline-session": session},
        )
        fake.received.clear()
        c.chat.completions.create(model="gpt-5", messages=chat_messages(pytest_log()))
        assert "[trimline]" in fake.bodies("/chat/completions")[0].json()["messages"][3]["content"]
        assert proxy.wait_for_session(session)["tokens_saved"] > 0


def test_chat_parse_pairs_calls_legacy_functions_and_azure_paths() -> None:
    body = {
        "messages": [
            {
                "role": "assistant",
                "function_call": {"name": "read_file", "arguments": '{"path": "a.py"}'},
            },
            {"role": "function", "name": "read_file", "content": "x = 1"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c1", "function": {"name": "grep", "arguments": "not json"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "a.py:1:x"},
            {"role": "tool", "tool_call_id": "missing", "content": None},
        ]
    }
    blocks = openai_chat.tool_blocks(body)
    assert [(b.tool, b.tool_input, b.text) for b in blocks] == [
        ("read_file", {"path": "a.py"}, "x = 1"),
        ("grep", {}, "a.py:1:x"),
    ]
    assert (
        openai_chat.endpoint(
            "POST", "/openai/deployments/gpt5/chat/completions?api-version=2025-01-01"
        )
        == "chat_completions"
    )
    assert openai_chat.endpoint("POST", "/v1/completions") is None


def test_responses_parse_all_output_item_types() -> None:
    body = {
        "input": [
            {
                "type": "custom_tool_call",
                "call_id": "a",
                "name": "apply_patch",
                "input": "*** Begin Patch",
            },
            {"type": "custom_tool_call_output", "call_id": "a", "output": "Done!"},
            {
                "type": "local_shell_call",
                "call_id": "b",
                "action": {"type": "exec", "command": ["ls", "-la"]},
            },
            {
                "type": "local_shell_call_output",
                "call_id": "b",
                "output": CODEX_HEADER.replace("code 1", "code 0") + "total 0",
            },
            {"type": "function_call", "call_id": "c", "name": "read", "arguments": "{}"},
            {
                "type": "function_call_output",
                "call_id": "c",
                "output": [{"type": "input_text", "text": "body"}, {"type": "input_image"}],
            },
            {"type": "function_call_output", "call_id": "orphan", "output": "lonely"},
        ]
    }
    blocks = openai_responses.tool_blocks(body)
    assert [(b.tool, b.text, b.is_error) for b in blocks] == [
        ("apply_patch", "Done!", False),
        ("local_shell", "total 0", False),
        ("read", "body", False),
        ("", "lonely", False),
    ]
    assert blocks[1].tool_input == {"command": ["ls", "-la"]}
    write(openai_responses, body, blocks[1], "total 1")
    assert body["input"][3]["output"].endswith("Output:\ntotal 1")
    assert body["input"][3]["output"].startswith("Chunk ID: 5f0c1a\n")
    exit_1 = openai_responses.tool_blocks({"input": responses_input("boom")})
    assert exit_1[0].is_error and exit_1[0].tool_input["cmd"] == "pytest -v"


def test_responses_over_websocket_are_compressed_and_metered(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    from websockets.sync.client import connect

    session = f"s-{uuid.uuid4()}"
    with (
        FakeOpenAIWebSocket(fake) as ws_fake,
        trimline_serve(tmp_path, upstream=ws_fake.url.replace("ws:", "http:")) as proxy,
    ):
        url = f"ws://127.0.0.1:{proxy.port}/v1/responses"
        with connect(
            url,
            additional_headers={"x-trimline-session": session, "authorization": "Bearer sk-test"},
        ) as ws:
            for _turn in range(2):
                ws.send(
                    json.dumps(
                        {
                            "type": "response.create",
                            "model": "gpt-5-codex",
                            "input": responses_input(pytest_log()),
                        }
                    )
                )
                events = []
                while not events or events[-1]["type"] != "response.completed":
                    events.append(json.loads(ws.recv(timeout=10)))
        first, second = ws_fake.received
        output = first["input"][3]["output"]
        assert output.startswith(CODEX_HEADER) and "[trimline]" in output
        assert second["input"] == first["input"]
        assert not any(k.lower().startswith("x-trimline") for k in ws_fake.handshake_headers[0])
        row = proxy.wait_for_session(session, n=2)
        assert row["output_tokens"] == 2 * fake.usage.output_tokens
        assert row["cache_read_input_tokens"] == 2 * fake.usage.cached_tokens
        assert row["tokens_saved"] > 0
        # Composition over the WebSocket too: the output as the server received it, per turn.
        comp = httpx.get(
            f"http://127.0.0.1:{proxy.stats_port}/stats/composition", params={"session": session}
        ).json()
        sent = [count_tokens(b["input"][3]["output"]) for b in ws_fake.received]
        assert comp["after"]["tool_outputs"] == sum(sent)
        assert comp["before"]["tool_outputs"] == 2 * count_tokens(CODEX_HEADER + pytest_log())
        assert [r["key"] for r in comp["tool_outputs"]["by_command"]] == ["pytest"]
        assert comp["before"]["system"] == 2 * count_tokens("You are Codex.")  # two calls


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/responses"])
def test_nothing_to_compress_goes_upstream_byte_identical(
    reverse: Proxy, fake: FakeOpenAI, path: str
) -> None:
    if path.endswith("/responses"):
        body = {"model": "gpt-5-codex", "input": responses_input("short"), "stream": False}
    else:
        body = {"model": "gpt-5", "messages": chat_messages("short")}
    raw = json.dumps(body, indent=2).encode()
    fake.received.clear()
    r = httpx.post(
        f"{reverse.url}{path}", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code == 200
    assert fake.received[0].body == raw


def test_azure_deployment_path_and_gzip_body(reverse: Proxy, fake: FakeOpenAI) -> None:
    session = f"s-{uuid.uuid4()}"
    body = {"messages": chat_messages(pytest_log())}  # Azure names the model in the path
    fake.received.clear()
    r = httpx.post(
        f"{reverse.url}/openai/deployments/gpt5-prod/chat/completions?api-version=2025-04-01-preview",
        content=gzip.compress(json.dumps(body).encode()),
        headers={
            "content-type": "application/json",
            "content-encoding": "gzip",
            "api-key": "k",
            "x-trimline-session": session,
        },
    )
    assert r.status_code == 200
    (got,) = fake.received
    assert got.header("content-encoding") == "gzip"
    assert "[trimline]" in got.json()["messages"][3]["content"]
    assert reverse.wait_for_session(session)["tokens_saved"] > 0


def test_an_unparseable_body_fails_open(reverse: Proxy, fake: FakeOpenAI) -> None:
    raw = b'{"model": "gpt-5", "input": [{"type": "function_call_output", "call_id"'
    fake.received.clear()
    r = httpx.post(
        f"{reverse.url}/v1/responses", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400  # what the provider said, passed on
    assert fake.received[0].body == raw
