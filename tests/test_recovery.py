"""Never cost more, never lose: elisions can be undone, and bytes once sent never change."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.fake_anthropic import FakeAnthropic
from tests.proxy import Proxy, trimline_serve
from tests.samples import pytest_log

pytestmark = pytest.mark.integration

MARKER = re.compile(r"\[trimline\] .* run: trimline show (\w+) --lines (\d+)-(\d+)$", re.MULTILINE)


def turn(history: list[dict], tool_id: str, command: str, output: str) -> list[dict]:
    """The conversation after one more tool call and its result."""
    return [
        *history,
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": command}}
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": output}],
        },
    ]


def send(proxy: Proxy, messages: list[dict], session: str) -> None:
    r = httpx.post(
        f"{proxy.url}/v1/messages",
        json={"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": messages},
        headers={"x-api-key": "sk-test", "x-trimline-session": session},
        timeout=30,
    )
    assert r.status_code == 200


def results(fake: FakeAnthropic) -> list[str]:
    """Tool result texts of the newest request the fake received, in order."""
    body = fake.messages()[-1].json()
    return [
        item["content"]
        for m in body["messages"]
        if isinstance(m["content"], list)
        for item in m["content"]
        if item.get("type") == "tool_result"
    ]


def trimline(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "trimline.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture()
def fake():
    with FakeAnthropic() as f:
        yield f


def test_every_marker_names_a_command_that_returns_the_original(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    log = pytest_log()
    with trimline_serve(tmp_path, "--store-originals", upstream=fake.url) as proxy:
        send(proxy, turn([{"role": "user", "content": "go"}], "t1", "pytest -v", log), "s")
        (compressed,) = results(fake)
        markers = MARKER.findall(compressed)
        assert markers
        original = log.split("\n")
        for ident, first, last in markers:
            shown = trimline("show", ident, "--lines", f"{first}-{last}", "--db", str(proxy.db))
            assert shown.returncode == 0, shown.stderr
            assert (
                shown.stdout.decode().rstrip("\n").split("\n")
                == original[int(first) - 1 : int(last)]
            )
        ident = markers[0][0]
        whole = trimline("show", ident, "--db", str(proxy.db)).stdout.decode()
        assert whole.rstrip("\n") == log
        grep = trimline("show", ident, "--grep", r"case17\]", "--db", str(proxy.db)).stdout.decode()
        assert grep.startswith("19:tests/test_api.py::test_roundtrip[case17] PASSED")
        assert trimline("show", "000000000000", "--db", str(proxy.db)).returncode == 1


def test_history_sent_before_trimline_is_never_rewritten(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    # A session that began without Trimline: its first tool result already went upstream as is.
    history = turn([{"role": "user", "content": "go"}], "t1", "pytest -v", pytest_log())
    with trimline_serve(tmp_path, upstream=fake.url) as proxy:
        messages = turn(history, "t2", "pytest -v --lf", pytest_log().replace("3.21s", "2.98s"))
        send(proxy, messages, "s")
        old, new = results(fake)
        assert old == pytest_log()  # history: untouched
        assert "[trimline]" in new  # the newest result: compressed
        send(proxy, turn(messages, "t3", "ls", "a\nb"), "s")
        assert results(fake)[:2] == [old, new]


def test_a_restart_with_other_settings_replays_the_same_bytes(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    messages = turn([{"role": "user", "content": "go"}], "t1", "pytest -v", pytest_log())
    with trimline_serve(tmp_path, upstream=fake.url) as proxy:
        send(proxy, messages, "s")
        (first,) = results(fake)
        assert "[trimline]" in first
        proxy.wait_for_session("s")
    # A threshold this high would leave the block alone if it were decided again.
    with trimline_serve(tmp_path, "--threshold", "1000000", upstream=fake.url) as proxy:
        send(proxy, turn(messages, "t2", "ls", "x"), "s")
        assert results(fake)[0] == first


def test_compression_works_whatever_cache_control_markers_are_present(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    """The shape Claude Code always sends: cache_control on the system prompt and on the last block."""
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "system": [
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "go"}]},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "server_tool_use",
                        "id": "srvtoolu_1",
                        "name": "web_search",
                        "input": {"query": "x"},
                    },
                    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                    {
                        "type": "tool_use",
                        "id": "t1",
                        "name": "Bash",
                        "input": {"command": "pytest -v"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "content": pytest_log(),
                        "cache_control": {"type": "ephemeral"},
                    }
                ],
            },
        ],
    }
    with trimline_serve(tmp_path, upstream=fake.url) as proxy:
        r = httpx.post(
            f"{proxy.url}/v1/messages", json=body, headers={"x-api-key": "k"}, timeout=30
        )
        assert r.status_code == 200
    sent = fake.messages()[-1].json()
    assert sent["system"] == body["system"]
    assert sent["messages"][1] == body["messages"][1]  # server tool blocks untouched
    result = sent["messages"][2]["content"][0]
    assert result["cache_control"] == {"type": "ephemeral"}
    assert "[trimline]" in result["content"]


def test_without_stored_originals_markers_say_how_the_tool_gets_them_back(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    """The default stores no tool content, so no marker may promise `trimline show`."""
    with trimline_serve(tmp_path, upstream=fake.url) as proxy:
        send(proxy, turn([{"role": "user", "content": "go"}], "t1", "pytest -v", pytest_log()), "s")
        (compressed,) = results(fake)
        proxy.wait_for_session("s")
    markers = [line for line in compressed.split("\n") if line.startswith("[trimline]")]
    assert markers
    # pytest is no cheap re-run: the first marker says so, the rest give their ranges.
    assert markers[0].endswith("— not kept: re-running pytest is not cheap or safe"), markers
    assert all(" — " not in line for line in markers[1:]), markers
    assert "trimline show" not in compressed
    originals = tmp_path / "originals.db"
    if originals.exists():  # created empty at start; never written to
        (n,) = sqlite3.connect(originals).execute("SELECT COUNT(*) FROM originals").fetchone()
        assert n == 0


def test_purge_deletes_stored_originals(fake: FakeAnthropic, tmp_path: Path) -> None:
    with trimline_serve(tmp_path, "--store-originals", upstream=fake.url) as proxy:
        send(proxy, turn([{"role": "user", "content": "go"}], "t1", "pytest -v", pytest_log()), "s")
        ident = MARKER.findall(results(fake)[0])[0][0]
        proxy.wait_for_session("s")
    assert trimline("show", ident, "--db", str(proxy.db)).returncode == 0
    kept = trimline("purge", "--older-than", "1", "--db", str(proxy.db))
    assert kept.stdout.decode().startswith("trimline purge: removed 0 original(s)")
    assert trimline("show", ident, "--db", str(proxy.db)).returncode == 0
    purged = trimline("purge", "--db", str(proxy.db))
    assert purged.stdout.decode().startswith("trimline purge: removed 1 original(s)")
    assert trimline("show", ident, "--db", str(proxy.db)).returncode == 1


def test_mcp_expand_returns_the_original(fake: FakeAnthropic, tmp_path: Path) -> None:
    log = pytest_log()
    with trimline_serve(tmp_path, "--store-originals", upstream=fake.url) as proxy:
        send(
            proxy,
            turn([{"role": "user", "content": "go"}], "t1", "pytest -v", log),
            f"s-{uuid.uuid4()}",
        )
        ident, first, last = MARKER.findall(results(fake)[0])[0]
        requests = [
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            },
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {
                    "name": "expand",
                    "arguments": {"id": ident, "lines": f"{first}-{last}"},
                },
            },
            {
                "jsonrpc": "2.0",
                "id": 4,
                "method": "tools/call",
                "params": {"name": "expand", "arguments": {"id": "nope"}},
            },
        ]
        stdin = b"".join(json.dumps(r).encode() + b"\n" for r in requests)
        done = trimline("mcp", "--db", str(proxy.db), stdin=stdin)
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in replies] == [1, 2, 3, 4]
    assert replies[0]["result"]["serverInfo"]["name"] == "trimline"
    assert replies[1]["result"]["tools"][0]["name"] == "expand"
    expanded = replies[2]["result"]
    assert not expanded["isError"]
    assert expanded["content"][0]["text"].split("\n") == log.split("\n")[int(first) - 1 : int(last)]
    assert replies[3]["result"]["isError"]
