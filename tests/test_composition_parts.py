"""How each provider names a body's parts, what a shell command's family is, and how the
writer folds parts into composition rows (without a proxy: the wire formats and the
counting alone)."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.addons.providers import anthropic, openai_chat, openai_responses
from trimline.metering.composition import (
    IMAGE_TOKENS,
    UNKNOWN_COMMAND,
    command_family,
    complete,
    fold,
    image_tokens,
)
from trimline.metering.records import CallRecord

from tests.composition_traffic import png, tokens


@pytest.mark.parametrize(
    ("command", "family"),
    [
        ("pytest -q tests/", "pytest"),
        ("cd /repo && python -m pytest -x", "pytest"),
        ("uv run pytest", "pytest"),
        ("git --no-pager -C src diff HEAD~1", "git diff"),
        ("git status", "git status"),
        ("grep -rn foo src | head -50", "grep"),
        ("rg -n foo", "rg"),
        ("cat a.py", "cat"),
        ("npm test", "npm test"),
        ("npm run build -- --watch", "npm run build"),
        ("npx jest --ci", "jest"),
        ("cargo test --all", "cargo test"),
        ("timeout 60 make check", "make check"),
        ("bash -lc 'go test ./...'", "go test"),
        ("FOO=1 sudo ls -la", "ls"),
        ("", UNKNOWN_COMMAND),
        ("cd /repo", UNKNOWN_COMMAND),
    ],
)
def test_shell_commands_group_by_family(command: str, family: str) -> None:
    assert command_family("Bash", {"command": command}) == family


def test_tools_that_are_not_shells_group_by_their_name() -> None:
    assert command_family("Read", {"file_path": "a.py"}) == "Read"
    assert command_family("exec_command", {"cmd": ["bash", "-lc", "rg foo"]}) == "rg"
    assert command_family("", {}) == "(unknown tool)"


def test_image_tokens_come_from_the_image_size() -> None:
    assert image_tokens(png(400, 300)) == 160
    assert image_tokens(png(4000, 3000)) == IMAGE_TOKENS  # capped
    assert image_tokens("not base64!") == IMAGE_TOKENS
    assert image_tokens(None) == IMAGE_TOKENS


def _kinds(parts) -> dict[str, int]:
    rows = fold(parts, None)
    out: dict[str, int] = {}
    for r in rows:
        out[r.kind] = out.get(r.kind, 0) + r.tokens_before
    return out


def test_anthropic_parts_by_kind() -> None:
    body = {
        "system": [{"type": "text", "text": "be brief"}],
        "tools": [{"name": "Bash", "input_schema": {}}],
        "messages": [
            {"role": "user", "content": "hello there"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "let me look", "signature": "x"},
                    {"type": "tool_use", "id": "a", "name": "Bash", "input": {"command": "ls"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "a",
                        "content": [
                            {"type": "text", "text": "a.py\nb.py"},
                            {"type": "image", "source": {"type": "base64", "data": png(75, 10)}},
                        ],
                    },
                    {"type": "document", "source": {"type": "text", "data": "the spec text"}},
                ],
            },
        ],
    }
    parts = anthropic.composition(body)
    assert _kinds(parts) == {
        "system": tokens("be brief"),
        "tools": tokens(orjson.dumps(body["tools"][0]).decode()),
        "conversation": tokens("hello there") + tokens("let me look"),
        "tool_calls": tokens('Bash{"command":"ls"}'),
        "tool_outputs": tokens("a.py\nb.py"),
        "images": 1,
        "documents": tokens("the spec text"),
    }
    (out,) = [p for p in parts if p.kind == "tool_outputs"]
    assert (out.tool, out.command, out.new) == ("Bash", "ls", True)
    # New this turn: the last message and the assistant message it answers.
    assert [p.new for p in parts if p.kind == "conversation"] == [False, True]


def test_openai_chat_parts_by_kind() -> None:
    body = {
        "tools": [{"type": "function", "function": {"name": "shell"}}],
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64," + png(750, 2)}}]},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "shell", "arguments": '{"command":"git diff"}'}}],
            },
            {"role": "tool", "tool_call_id": "c", "content": "diff --git a b"},
        ],
    }  # fmt: skip
    parts = openai_chat.composition(body)
    kinds = _kinds(parts)
    assert kinds["system"] == tokens("sys") and kinds["images"] == 2
    assert kinds["tool_outputs"] == tokens("diff --git a b")
    (out,) = [p for p in parts if p.kind == "tool_outputs"]
    assert (out.tool, out.command, out.new) == ("shell", "git diff", True)


def test_openai_responses_parts_by_kind_and_websocket_bodies() -> None:
    body = {
        "instructions": "be careful",
        "input": [
            {"role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
            {"role": "user", "content": "run it"},
            {"type": "function_call", "call_id": "c", "name": "exec_command", "arguments": '{"cmd":"pytest"}'},
            {"type": "function_call_output", "call_id": "c", "output": "Process exited with code 1\nOutput:\nFAILED"},
        ],
    }  # fmt: skip
    kinds = _kinds(openai_responses.composition(body))
    assert kinds["system"] == tokens("be careful") + tokens("rules")
    nested = _kinds(openai_responses.composition({"type": "response.create", "response": body}))
    assert nested == kinds
    (out,) = [p for p in openai_responses.composition(body) if p.kind == "tool_outputs"]
    assert (out.tool, out.command) == ("exec_command", "pytest")


def test_fold_counts_before_and_after_and_what_is_new() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "Bash", "input": {"command": "cat x"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "long " * 300}]},
        ]
    }  # fmt: skip
    sent = orjson.loads(orjson.dumps(body))
    sent["messages"][2]["content"][0]["content"] = "long [299 more]"
    record = CallRecord(0.0, "anthropic", "messages", "s", "m", False)
    record.composer = anthropic.composition
    record.request_json, record.sent_json = orjson.dumps(body), orjson.dumps(sent)
    complete(record)
    (row,) = [r for r in record.composition if r.kind == "tool_outputs"]
    assert (row.command, row.parts, row.new_parts) == ("cat", 1, 1)
    assert row.tokens_before == row.new_tokens_before == tokens("long " * 300)
    assert row.tokens_after == row.new_tokens_after == tokens("long [299 more]")
    assert record.sent_json is None
    # A body it cannot read leaves the call without a composition, and never raises.
    broken = CallRecord(0.0, "anthropic", "messages", "s", "m", False)
    broken.composer, broken.request_json = anthropic.composition, b"{not json"
    complete(broken)
    assert broken.composition == []


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["role", "content", "type", "text", "tools", "messages", "input", "tool_calls",
             "id", "tool_use_id", "call_id", "name", "arguments", "output", "system", "source",
             "image_url", "summary", "instructions", "function", "response"]
        ),
        children,
        max_size=5,
    ),
    max_leaves=30,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["system", "tools", "messages", "input", "instructions"]), _JSON
    )
)
def test_any_json_body_is_named_without_raising(body: dict) -> None:
    for provider in (anthropic, openai_chat, openai_responses):
        fold(provider.composition(body), None)
