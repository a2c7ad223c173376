"""The wire-format parsers on what real agent CLIs sent (fixtures/sessions, recorded by tests/e2e)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from trimline.addons.providers import anthropic, openai_responses
from trimline.addons.providers.base import write

SESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "sessions"


def requests(name: str) -> list[dict]:
    return [json.loads(line) for line in (SESSIONS / name).read_text().splitlines() if line.strip()]


def lower(headers: dict) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@pytest.mark.parametrize(
    "name, provider, tools",
    [
        ("claude_code_e2e.jsonl", anthropic, {"Bash", "Read"}),
        ("codex_e2e.jsonl", openai_responses, {"exec_command"}),
    ],
)
def test_every_tool_result_pairs_with_its_call(name: str, provider, tools: set[str]) -> None:
    seen: set[str] = set()
    last = requests(name)[-1]
    blocks = provider.tool_blocks(last["body"])
    assert blocks, "the last turn of a session carries the tool results of all earlier turns"
    for block in blocks:
        assert block.tool in tools | {"Edit"}, block.tool
        assert block.tool_input, block
        seen.add(block.tool)
    assert tools <= seen
    # Only the newest turn's results are new in a request; the rest is history.
    assert [b.latest for b in blocks] == [False] * (len(blocks) - 1) + [True]


def test_codex_blocks_are_the_output_under_the_header() -> None:
    for request in requests("codex_e2e.jsonl"):
        for block in openai_responses.tool_blocks(request["body"]):
            assert not block.text.startswith("Chunk ID:")
            assert "cmd" in block.tool_input


@pytest.mark.parametrize(
    "name, provider", [("claude_code_e2e.jsonl", anthropic), ("codex_e2e.jsonl", openai_responses)]
)
def test_sessions_come_from_what_the_cli_sends(name: str, provider) -> None:
    ids = set()
    for request in requests(name):
        headers = lower(request["headers"])
        sid = provider.session_id(headers, request["body"])
        expected = headers.get("x-claude-code-session-id") or headers.get("session-id")
        assert sid == expected
        ids.add(sid)
    assert len(ids) == 1


@pytest.mark.parametrize(
    "name, provider", [("claude_code_e2e.jsonl", anthropic), ("codex_e2e.jsonl", openai_responses)]
)
def test_writing_back_changes_only_tool_result_text(name: str, provider) -> None:
    body = requests(name)[-1]["body"]
    originals = [b.text for b in provider.tool_blocks(body)]
    changed = copy.deepcopy(body)
    for i, block in enumerate(provider.tool_blocks(changed)):
        write(provider, changed, block, f"@@block {i}@@")
    text = json.dumps(changed)
    assert text != json.dumps(body)
    for i, original in enumerate(originals):
        text = text.replace(f"@@block {i}@@", json.dumps(original)[1:-1])
    assert text == json.dumps(body)
