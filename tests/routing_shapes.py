"""Request shapes of real agents for the routing tests, built from captured sessions.

The captured Claude Code session (fixtures/sessions) is a main loop; its sub-agent and
side requests differ from it only where AGENT-WIRE.md and public proxy issues say they
do (the sub-agent's system prompt; the title request's tools, thinking and output_config),
so they are derived from the captured body rather than written from scratch.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "sessions"
SUBAGENT_PROMPT = (
    "You are an agent for Claude Code, Anthropic's official CLI for Claude. Given the "
    "user's message, you should use the tools available to complete the task."
)


def captured(name: str) -> list[dict[str, Any]]:
    """Recorded calls: ``{"path", "headers", "body"}`` per line (copies: change them freely)."""
    return copy.deepcopy(_captured(name))


@lru_cache(maxsize=8)
def _captured(name: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (SESSIONS / f"{name}.jsonl").read_text().splitlines() if x]


def headers(call: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in call["headers"].items()}


def claude_main(turn: int = 2) -> dict[str, Any]:
    """Claude Code's main loop; turn 2 returns a Read result (read-only exploration)."""
    return copy.deepcopy(captured("claude_code_recorded")[turn]["body"])


def claude_main_adaptive(turn: int = 2) -> dict[str, Any]:
    """The same, as Claude Code 2.1.197 sends it: adaptive thinking, output_config effort."""
    body = claude_main(turn)
    body["thinking"] = {"type": "adaptive"}
    body["output_config"] = {"effort": "high"}
    return body


def claude_subagent(turn: int = 2) -> dict[str, Any]:
    body = claude_main(turn)
    body["system"][1] = {"type": "text", "text": SUBAGENT_PROMPT}
    body["tools"] = [t for t in body["tools"] if t["name"] != "Agent"]
    return body


def claude_title(model: str = "claude-sonnet-4-5") -> dict[str, Any]:
    """Claude Code's title request: same model, no tools, thinking off, a JSON schema."""
    main = claude_main(0)
    return {
        "model": model,
        "max_tokens": 32000,
        "system": [
            main["system"][0],
            {"type": "text", "text": "Summarize the user's request as a short title."},
        ],
        "messages": [{"role": "user", "content": "Run the test suite and fix what you can."}],
        "tools": [],
        "thinking": {"type": "disabled"},
        "output_config": {
            "format": {
                "type": "json_schema",
                "schema": {
                    "type": "object",
                    "properties": {"title": {"type": "string"}},
                    "required": ["title"],
                    "additionalProperties": False,
                },
            }
        },
        "metadata": main["metadata"],
        "stream": True,
    }


def codex(turn: int = 2) -> tuple[dict[str, Any], dict[str, str]]:
    """Codex CLI's Responses request; turn 2 returns ``cat inventory/core.py``'s output."""
    call = captured("codex_recorded")[turn]
    return copy.deepcopy(call["body"]), headers(call)
