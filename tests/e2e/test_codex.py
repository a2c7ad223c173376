"""Real Codex CLI (``codex exec``), headless, through ``trimline serve`` to a scripted fake
Responses API: a custom model provider in ``$CODEX_HOME/config.toml`` whose ``base_url`` is
the proxy (reverse mode) or ``https://api.openai.com/v1`` reached through ``HTTPS_PROXY``
with mitmproxy's CA in ``SSL_CERT_FILE`` (forward mode, the API host redirected to the fake).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.request import urlopen

import pytest
from trimline.compressors.tokens import count_tokens

from tests.e2e.agents import run_codex
from tests.e2e.fake_models import ScriptedResponses, ToolResult
from tests.e2e.scratch import FAILING, SOURCE, make_project
from tests.e2e.scripts import CODEX_FINAL, POINTED, PYTEST, codex_steps, definition
from tests.proxy import trimline_serve

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PROMPT = "Run the test suite and read inventory/core.py, then tell me what fails."
HEADER = "Process exited with code"
# Forward mode: Codex also fetches plugin lists from these hosts; keep them on loopback too.
CODEX_HOSTS = ("api.openai.com", "chatgpt.com", "ab.chatgpt.com", "api.github.com")


def events(stdout: str) -> list[dict]:
    """``codex exec --json`` output: one JSON event a line."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip().startswith("{")]


def by_id(fake: ScriptedResponses) -> dict[str, list[ToolResult]]:
    seen: dict[str, list[ToolResult]] = {}
    for turn in fake.turns:
        for r in fake.tool_results(turn.body):
            seen.setdefault(r.call_id, []).append(r)
    return seen


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_codex_through_trimline(codex: Path, tmp_path: Path, mode: str) -> None:
    project = make_project(tmp_path / "project")
    with ScriptedResponses(codex_steps()) as fake:
        (tmp_path / "trimline").mkdir()
        if mode == "reverse":
            serve = trimline_serve(tmp_path / "trimline", upstream=fake.url)
        else:
            redirect = ",".join(f"{host}={fake.url}" for host in CODEX_HOSTS)
            serve = trimline_serve(tmp_path / "trimline", "--redirect", redirect, mode="forward")
        with serve as proxy:
            extra = {"TRIMLINE_HOME": str(proxy.db.parent)}
            if mode == "reverse":
                base_url = f"{proxy.url}/v1"
            else:
                base_url = "https://api.openai.com/v1"
                # CODEX_CA_CERTIFICATE works as well as SSL_CERT_FILE.
                extra.update(
                    HTTPS_PROXY=proxy.url,
                    SSL_CERT_FILE=str(proxy.ca_cert),
                    NO_PROXY="127.0.0.1,localhost",
                )
            run = run_codex(
                PROMPT, cwd=project.root, home=tmp_path / "home", base_url=base_url, **extra
            )
            log = f"{run.explain()}\n--- trimline serve log\n{proxy.log.read_text()[-3000:]}"

            # The agent completed the script: both commands ran, the final answer came out.
            assert run.returncode == 0, log
            assert fake.errors == [], log
            stream = events(run.stdout)
            assert any(e.get("type") == "turn.completed" for e in stream), log
            messages = [
                e["item"].get("text")
                for e in stream
                if e.get("type") == "item.completed" and e["item"].get("type") == "agent_message"
            ]
            assert messages[-1:] == [CODEX_FINAL], log

            # function_call_output as the model received it: compressed under Codex's header,
            # the same bytes on every turn, the failures kept.
            seen = by_id(fake)
            for call_id, versions in seen.items():
                assert len({v.text for v in versions}) == 1, f"{call_id} changed between turns"
            tests_run, cat = (versions[0] for versions in seen.values())
            assert tests_run.input["cmd"] == PYTEST and cat.input["cmd"] == f"cat {SOURCE}"
            head = tests_run.text.split("Output:\n", 1)[0]
            assert f"{HEADER} 1" in head, tests_run.text[:500]
            assert "[trimline]" in tests_run.text, tests_run.text[:3000]
            for test_id in FAILING:
                assert f"FAILED {test_id}" in tests_run.text
            assert "2 failed, 152 passed" in tests_run.text
            # `cat` of one source file is read like a Read: an outline under the header.
            head = cat.text.split("Output:\n", 1)[0]
            assert f"{HEADER} 0" in head, cat.text[:500]
            assert "[trimline]" in cat.text, cat.text
            assert "def apply_discount(price: Decimal, percent: int) -> Decimal:" in cat.text
            # ...that keeps whole the bodies the failing tests point at.
            source = project.source.read_text().splitlines()
            for name in POINTED:
                body = "\n".join(line for _, line in definition(source, name))
                assert body in cat.text, (name, cat.text)

            # The session: prompt_cache_key, the same id as in x-codex-turn-metadata.
            assert len(fake.sessions) == 1, fake.sessions
            (session,) = fake.sessions
            first = fake.turns[0].request
            meta = json.loads(first.header("x-codex-turn-metadata") or "{}")
            assert meta.get("session_id") == session, meta
            assert first.header("originator") == "codex_exec"

            row = proxy.wait_for_session(session, n=len(fake.turns))
            assert row["requests"] >= len(fake.turns) == 3
            assert row["tokens_before"] > row["tokens_after"] > 0
            assert row["tokens_saved"] > 0
            assert row["input_tokens"] > 0 and row["output_tokens"] > 0
            assert row["cost_usd"] > 0 and row["unpriced_calls"] == 0, row

            # What its contexts were made of: developer instructions as the system prompt,
            # the exec_command outputs by command family, the last turn's as the fake got them.
            stats_url = f"http://127.0.0.1:{proxy.stats_port}/stats"
            comp = json.loads(urlopen(f"{stats_url}/composition?session={session}").read())
            assert comp["after"]["system"] > 0 and comp["after"]["tools"] > 0, comp
            commands = {r["key"] for r in comp["tool_outputs"]["by_command"]}
            assert commands == {"pytest", "cat"}, commands
            turns = json.loads(urlopen(f"{stats_url}/sessions/{session}/composition").read())
            sent = sum(count_tokens(r.text) for r in fake.tool_results(fake.turns[-1].body))
            last = turns["turns"][-1]["context"]["tool_outputs"]
            assert abs(last - sent) <= 0.02 * sent, (last, sent)
