"""Real Claude Code, headless, through ``trimline serve`` to a scripted fake Messages API.

Reverse mode (``ANTHROPIC_BASE_URL``) and forward mode (``HTTPS_PROXY`` with mitmproxy's CA
and a test-only redirect of api.anthropic.com to the fake). The script runs the tests, reads
a 300-line module (keeping whole the bodies the failing tests point at), expands one
elided body with ``trimline show`` through the agent's own Bash tool, edits a line the
compressed Read kept, and answers.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

import pytest
from trimline.compressors.tokens import count_tokens

from tests.e2e.agents import claude_env, run_claude
from tests.e2e.fake_models import ScriptedAnthropic, ToolResult
from tests.e2e.scratch import FAILING, SOURCE, make_project
from tests.e2e.scripts import (
    CLAUDE_FINAL,
    NEW_LINE,
    OLD_LINE,
    POINTED,
    PYTEST,
    ClaudeScript,
    definition,
)
from tests.proxy import trimline_serve

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PROMPT = "Run the test suite, look at inventory/core.py and fix what you can."


def result_event(stdout: str) -> dict:
    """The final ``{"type": "result"}`` event of ``--output-format stream-json``."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("type") == "result":
                return event
    raise AssertionError("no result event in Claude Code's output")


def by_id(fake: ScriptedAnthropic) -> dict[str, list[ToolResult]]:
    """Every tool result, by tool_use_id, as each main-loop request carried it."""
    seen: dict[str, list[ToolResult]] = {}
    for turn in fake.turns:
        for r in fake.tool_results(turn.body):
            seen.setdefault(r.call_id, []).append(r)
    return seen


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_claude_code_through_trimline(claude: Path, tmp_path: Path, mode: str) -> None:
    project = make_project(tmp_path / "project")
    original = project.source.read_text().splitlines()
    script = ClaudeScript(project.source)
    with ScriptedAnthropic(script.steps()) as fake:
        if mode == "reverse":
            serve = trimline_serve(tmp_path / "trimline", "--store-originals", upstream=fake.url)
        else:
            serve = trimline_serve(
                tmp_path / "trimline",
                "--store-originals",
                "--redirect",
                f"api.anthropic.com={fake.url}",
                mode="forward",
            )
        (tmp_path / "trimline").mkdir()
        with serve as proxy:
            # `trimline show` in the agent's Bash tool must find this proxy's originals.
            extra = {"TRIMLINE_HOME": str(proxy.db.parent)}
            if mode == "reverse":
                extra["ANTHROPIC_BASE_URL"] = proxy.url
            else:
                extra.update(
                    HTTPS_PROXY=proxy.url,
                    https_proxy=proxy.url,
                    NODE_EXTRA_CA_CERTS=str(proxy.ca_cert),
                    NO_PROXY="127.0.0.1,localhost",
                )
            home = tmp_path / "home"
            run = run_claude(PROMPT, cwd=project.root, home=home, env=claude_env(home, **extra))
            log = f"{run.explain()}\n--- trimline serve log\n{proxy.log.read_text()[-3000:]}"

            # The agent finished the whole script, and every step went as planned.
            assert run.returncode == 0, log
            assert fake.errors == [], log
            result = result_event(run.stdout)
            assert result["is_error"] is False and result["result"] == CLAUDE_FINAL, log
            assert [t.step for t in fake.turns][-1] == len(script.steps()) - 1, log

            # The results the model received: compressed, must-keep facts kept, and the
            # same bytes on every turn (the provider's prompt cache never misses).
            seen = by_id(fake)
            for call_id, versions in seen.items():
                assert len({v.text for v in versions}) == 1, f"{call_id} changed between turns"
            results = [versions[0] for versions in seen.values()]
            names = [(r.name, r.input.get("command") or r.input.get("file_path")) for r in results]
            assert [n for n, _ in names] == ["Bash", "Read", "Bash", "Edit"], names

            tests_run, read, shown, edit = results
            assert tests_run.input["command"] == PYTEST
            assert "[trimline]" in tests_run.text, tests_run.text[:2000]
            for test_id in FAILING:
                assert f"FAILED {test_id}" in tests_run.text
            assert "2 failed, 152 passed" in tests_run.text
            assert tests_run.text.count(" PASSED ") < 10  # of 152

            assert "[trimline]" in read.text and "] lines " in read.text, read.text
            kept = [line for line in read.text.splitlines() if re.match(r"\d+\t", line)]
            assert len(kept) < len(original) * 0.75, f"{len(kept)} of {len(original)} lines kept"
            # Kept lines keep Claude Code's own numbering, byte for byte.
            assert f"12\t{OLD_LINE}" in read.text
            # The read policy keeps whole what the failing tests point at (the traceback names
            # apply_discount and cites parse_sku's line), and outlines the rest.
            for name in POINTED:
                body = "\n".join(f"{n}\t{line}" for n, line in definition(original, name))
                assert body in read.text, (name, read.text)

            # The agent's Bash tool ran `trimline show ID --lines A-B`: the original lines.
            assert script.shown, "the show step never ran"
            marker = script.shown[-1]
            assert shown.input["command"] == marker.command
            assert not shown.is_error, shown.text
            assert "[trimline]" not in shown.text
            # (Claude Code's Bash tool strips trailing whitespace: a last "76\t" comes back "76".)
            for n in range(marker.first, marker.last + 1):
                assert f"{n}\t{original[n - 1]}".rstrip() in shown.text, (n, shown.text)

            # The Edit of a line the compressed Read kept applied to the real file.
            assert not edit.is_error, edit.text
            text = project.source.read_text()
            assert NEW_LINE in text and OLD_LINE not in text
            diff = project.git("diff", "--numstat")
            assert diff.split() == ["1", "1", SOURCE], diff
            # ...and fixed what it meant to fix.
            rerun = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                cwd=project.root,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert "1 failed, 153 passed" in rerun.stdout, rerun.stdout[-2000:]

            # The session came from Claude Code's own header, and /stats metered it.
            assert len(fake.sessions) == 1, fake.sessions
            (session,) = fake.sessions
            body = fake.turns[0].body
            assert json.loads(body["metadata"]["user_id"])["session_id"] == session
            row = proxy.wait_for_session(session, n=len(fake.turns))
            assert row["requests"] >= len(fake.turns)
            assert row["tokens_before"] > row["tokens_after"] > 0
            assert row["tokens_saved"] > 0
            assert row["input_tokens"] > 0 and row["output_tokens"] > 0
            assert row["cost_usd"] > 0 and row["unpriced_calls"] == 0, row

            # What its contexts were made of: Claude Code's own system prompt and tool
            # definitions, and the commands it ran by family, each as the fake received it.
            stats_url = f"http://127.0.0.1:{proxy.stats_port}/stats"
            comp = json.loads(urlopen(f"{stats_url}/composition?session={session}").read())
            assert comp["after"]["system"] > 0 and comp["after"]["tools"] > 1000, comp
            commands = {r["key"] for r in comp["tool_outputs"]["by_command"]}
            assert {"pytest", "Read", "trimline show", "Edit"} <= commands, commands
            turns = json.loads(urlopen(f"{stats_url}/sessions/{session}/composition").read())
            sent = sum(count_tokens(r.text) for r in fake.tool_results(fake.turns[-1].body))
            last = turns["turns"][-1]["context"]["tool_outputs"]
            assert abs(last - sent) <= 0.02 * sent, (last, sent)
