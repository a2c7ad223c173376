"""Issue 16 on real outputs: the read policy, task context, read formats and the way back.

Reads under the policy's size stay whole; larger ones keep whole what the task points at.
Markers name a way back that works where the agent reads them, and it is run here for real.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from trimline.addons.task import task_text
from trimline.compressors import Context, code, compress
from trimline.compressors.base import Plan, render, rerun_hint
from trimline.compressors.code.read import KEEP_WHOLE_TOKENS
from trimline.compressors.registry import pick
from trimline.compressors.tokens import count_tokens

from tests.laws import markers, ordered_subset

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
RUNS = FIXTURES / "corpora" / "swe-agent-trajectories"


def load(kind: str, name: str) -> tuple[str, Context, list[str]]:
    meta = json.loads((FIXTURES / kind / f"{name}.json").read_text())
    text = (FIXTURES / kind / f"{name}.txt").read_bytes().decode("utf-8", "replace")
    return text, Context(meta["tool"], meta["input"], meta["is_error"]), meta["facts"]


def body_lines(text: str, header: str) -> list[str]:
    """The numbered lines of the definition whose header line contains ``header``."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if header in line)
    indent = len(lines[start].split("\t", 1)[1]) - len(lines[start].split("\t", 1)[1].lstrip())
    out = [lines[start]]
    for line in lines[start + 1 :]:
        code_text = line.split("\t", 1)[1] if "\t" in line else line
        if code_text.strip() and len(code_text) - len(code_text.lstrip()) <= indent:
            break
        out.append(line)
    return out


# --------------------------------------------------------------------------- the policy


def test_a_medium_read_stays_whole() -> None:
    text, ctx, _ = load("code", "rst_yq_readme")
    assert count_tokens(text) < KEEP_WHOLE_TOKENS
    result = compress(text, ctx)
    assert result.text == text and result.kind == "code"


def test_a_large_read_keeps_whole_the_definition_the_task_names() -> None:
    text, ctx, _ = load("code", "py_mitmproxy_http")
    body = body_lines(text, "def set_content(")
    plain = compress(text, ctx).text
    assert not all(line in plain.split("\n") for line in body)
    asked = Context(ctx.tool, ctx.tool_input, task="set_content drops the charset: fix it")
    out = compress(text, asked).text
    assert all(line in out.split("\n") for line in body)
    assert ordered_subset(text, out)
    assert count_tokens(out) < 0.6 * count_tokens(text)


def test_a_traceback_frame_keeps_its_function_whole() -> None:
    text, ctx, _ = load("code", "py_mitmproxy_http")
    body = body_lines(text, "def get_text(")
    line = int(body[len(body) // 2].split("\t", 1)[0])
    task = f'Traceback (most recent call last):\n  File "/src/mitmproxy/http.py", line {line}, in x'
    out = compress(text, Context(ctx.tool, ctx.tool_input, task=task)).text
    assert all(b in out.split("\n") for b in body)


def test_a_name_the_module_assigns_does_not_keep_the_whole_file() -> None:
    # Python's tree root is a ``module`` node, named by its first assignment: naming that
    # constant (as a traceback quoting ``SKU_PATTERN.match(text)`` does) once kept every line.
    text, ctx, _ = load("code", "py_mitmproxy_http")
    out = compress(text, Context(ctx.tool, ctx.tool_input, task="__all__ misses Headers")).text
    assert "1282\t__all__ = [" in out.split("\n")
    assert count_tokens(out) < 0.6 * count_tokens(text)


def test_nested_definitions_survive_at_every_depth() -> None:
    for name in ("py_attrs_make_nl_codex", "py_click_decorators_read_arrow"):
        text, ctx, facts = load("code", name)
        out = compress(text, ctx).text
        assert out != text
        assert not [f for f in facts if f not in out], name


def test_a_file_past_the_old_window_is_outlined_not_sampled() -> None:
    text, ctx, facts = load("code", "py_pyparsing_core_cat")
    assert len(text) > 200_000
    result = compress(text, ctx)
    assert result.kind == "code"
    assert not [f for f in facts if f not in result.text]
    assert result.tokens_after < 0.5 * result.tokens_before


# --------------------------------------------------------------------------- read formats


def swe_open_windows() -> list[tuple[str, str]]:
    found = []
    for path in sorted(RUNS.glob("*.traj")):
        for step in json.loads(path.read_text()).get("trajectory", []):
            if step["action"].startswith("open ") and step["observation"].startswith("[File: "):
                found.append((step["action"].strip(), step["observation"]))
    return found


def test_swe_agent_open_windows_are_read_as_code_with_their_numbers() -> None:
    windows = swe_open_windows()
    assert len(windows) >= 5
    for action, text in windows:
        for ctx in (Context("bash", {"command": action}), Context("open", {})):
            assert pick(text, ctx) is code, action
            assert compress(text, ctx).text == text  # a window the agent aimed stays whole


def test_sed_and_nl_windows_number_markers_as_the_file() -> None:
    text, ctx, _ = load("code", "py_click_core_sed_window")
    out = compress(text, ctx).text
    said = markers(out)
    assert said and all(int(m) >= 700 for m in re.findall(r"lines (\d+)-", "\n".join(said)))
    assert "sed -n '" in said[0] and said[0].endswith("src/click/core.py")


# --------------------------------------------------------------------------- the way back


def test_a_rerun_hint_returns_exactly_the_elided_lines(tmp_path: Path) -> None:
    """A read-only command's marker names a narrowed re-run; running it gives the lines."""
    tree = tmp_path / "src"
    shutil.copytree(ROOT / "compressors", tree, ignore=shutil.ignore_patterns("__pycache__"))
    command = "grep -rn 'return' src"
    run = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, check=True)
    text = run.stdout.decode()
    ctx = Context("Bash", {"command": command})
    result = compress(text, ctx)
    said = markers(result.text)
    assert said, "the grep output was not compressed"
    m = re.search(r"re-run: (.*)$", said[0])
    assert m, said[0]
    again = subprocess.run(m.group(1), shell=True, cwd=tmp_path, capture_output=True, check=True)
    first = result.elided[0]
    lines = text.split("\n")
    assert again.stdout.decode().split("\n")[:-1] == lines[first.start - 1 : first.end]


def test_markers_never_copy_a_credential() -> None:
    text = "".join(f"line {i}: ok {i * 7919 % 1000}\n" for i in range(400))
    for command in (
        "curl -s -H 'Authorization: Bearer abc123def' https://api.example.com/items",
        "OPENAI_API_KEY=sk-abcdefghijklmnopqrstuv cat log.txt",
    ):
        out = compress(text, Context("Bash", {"command": command})).text
        assert markers(out)
        assert "abc123def" not in out and "sk-abc" not in out


def test_unsafe_commands_say_there_is_no_cheap_way_back() -> None:
    for command, name in (("pip install -v rich", "pip"), ("python -m pytest -x", "pytest")):
        hint = rerun_hint(Context("Bash", {"command": command}), 1, 9)
        assert hint == f"not kept: re-running {name} is not cheap or safe"
    assert rerun_hint(Context("Bash", {"command": "git log -5"}), 3, 9) == (
        "re-run: git log -5 2>&1 | sed -n '3,9p'"
    )


def test_no_marker_promises_trimline_show_without_stored_originals() -> None:
    for kind in ("code", "listing", "logs", "search"):
        for sidecar in sorted((FIXTURES / kind).glob("*.json"))[:6]:
            text, ctx, _ = load(kind, sidecar.stem)
            assert "trimline show" not in compress(text, ctx).text, sidecar.stem


def test_the_common_marker_is_short() -> None:
    """Markers after the first give a range and what it was: most cost at most 20 tokens."""
    costs = []
    for kind in ("code", "listing", "search", "logs"):
        for sidecar in sorted((FIXTURES / kind).glob("*.json")):
            text, ctx, _ = load(kind, sidecar.stem)
            costs += [count_tokens(m) for m in markers(compress(text, ctx).text)[1:]]
    costs.sort()
    assert len(costs) > 100
    assert costs[len(costs) // 2] <= 20


def test_a_marker_never_costs_more_than_its_lines() -> None:
    lines = [f"x{i}" for i in range(200)]
    text = "\n".join(lines)
    plan = Plan("t", keep={0, *range(3, 200)}, notes={1: "two short lines"})
    out, elided = render(text, plan, Context("Bash", {"command": "ls"}))
    assert out == text and not elided  # two tiny lines cost less than any marker


# --------------------------------------------------------------------------- task context


def test_task_text_reads_every_wire_format() -> None:
    anthropic = {
        "messages": [
            {"role": "user", "content": "Fix parse_args when discount is 0"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Searching."},
                    {"type": "tool_use", "id": "1", "name": "Bash", "input": {"command": "rg x"}},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "1", "content": "a.py:43:x"}],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "2", "name": "Read", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "2", "content": "9"}],
            },
        ]
    }
    task = task_text(anthropic)
    assert "parse_args" in task and "a.py:43:x" in task and "rg x" in task
    chat = {
        "messages": [
            {"role": "user", "content": "why does Config.load fail?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "sh", "arguments": '{"cmd": "cat a.py"}'}}
            ]},
            {"role": "tool", "tool_call_id": "c", "content": "big"},
        ]
    }  # fmt: skip
    assert "Config.load" in task_text(chat) and "cat a.py" in task_text(chat)
    responses = {
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "fix load_rules"}]},
            {"type": "function_call", "call_id": "c", "name": "exec_command", "arguments": '{"cmd": "nl -ba r.py"}'},
            {"type": "function_call_output", "call_id": "c", "output": "big"},
        ]
    }  # fmt: skip
    assert "load_rules" in task_text(responses) and "big" not in task_text(responses)
    assert task_text({"input": "fix the parser"}) == "fix the parser"
    assert task_text({}) == ""


@pytest.mark.parametrize("flag", [True, False])
def test_cli_compress_takes_the_task(flag: bool, tmp_path: Path) -> None:
    text, _, _ = load("code", "py_mitmproxy_http")
    body = body_lines(text, "def set_content(")
    args = ["compress", str(FIXTURES / "code" / "py_mitmproxy_http.txt"), "--tool", "Read"]
    args += ["--file-path", "mitmproxy/http.py"]
    if flag:
        args += ["--task", "set_content is wrong"]
    done = subprocess.run(
        [sys.executable, "-m", "trimline.cli", *args], capture_output=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode().split("\n")
    assert all(line in out for line in body) is flag
    assert b"trimline show" not in done.stdout


def test_past_the_parse_limit_a_regex_outline_keeps_every_definition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trimline.compressors.code import outline

    text, ctx, facts = load("code", "py_pyparsing_core_cat")
    monkeypatch.setattr(outline, "MAX_SOURCE", 1_000)
    result = compress(text, ctx)
    assert result.kind == "code"
    assert not [f for f in facts if f not in result.text]
    assert ordered_subset(text, result.text)
    assert result.tokens_after < 0.5 * result.tokens_before
    assert all(
        "elided: code after " in m or "between definitions" in m for m in markers(result.text)
    )
