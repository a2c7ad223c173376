"""Record what the real agent CLIs send, for the benchmark harness's replay.

    python -m tests.e2e.record [--out fixtures/sessions]

Runs Claude Code and Codex CLI (tests/e2e/node_modules) straight against the scripted fake
models -- no Trimline in between, so the bodies are exactly what the CLIs sent -- on the
e2e scratch project, and writes one JSON object per request to
``claude_code_e2e.jsonl`` and ``codex_e2e.jsonl``: ``method``, ``path``, ``headers``
(without credentials or cookies) and ``body``. Then runs each again through
``trimline serve --record`` and keeps what the recorder saved (the same fields, plus the
``response``) as ``claude_code_recorded.jsonl`` and ``codex_recorded.jsonl``. The temporary directory the run used is
replaced by ``/tmp/trimline-e2e`` everywhere, so re-recording only changes what the CLIs
changed (ids, timings, versions).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tests.e2e.agents import CLAUDE, CODEX, Run, claude_env, run_claude, run_codex
from tests.e2e.fake_models import ScriptedAnthropic, ScriptedModel, ScriptedResponses, recorded
from tests.e2e.scratch import make_project
from tests.e2e.scripts import ClaudeScript, codex_steps
from tests.proxy import trimline_serve

ROOT = Path(__file__).resolve().parents[2]
STABLE_TMP = "/tmp/trimline-e2e"
PROMPT = "Run the test suite, look at inventory/core.py and fix what you can."


def _write(fake: ScriptedModel, run: Run, tmp: Path, out: Path) -> int:
    if run.returncode != 0 or fake.errors:
        raise SystemExit(
            f"{out.name}: the agent did not finish the script: {fake.errors}\n{run.explain()}"
        )
    lines = []
    for row in recorded(fake.received):
        text = json.dumps(row, ensure_ascii=False)
        text = text.replace(str(tmp), STABLE_TMP)
        # Claude Code also names its per-project directory after the path, dashed.
        lines.append(text.replace(str(tmp).replace("/", "-"), STABLE_TMP.replace("/", "-")))
    out.write_text("\n".join(lines) + "\n")
    return len(lines)


def record_claude(out: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="trimline-e2e-") as d:
        tmp = Path(d).resolve()
        project = make_project(tmp / "project")
        script = ClaudeScript(project.source, show=False)  # no Trimline: no markers to show
        with ScriptedAnthropic(script.steps()) as fake:
            home = tmp / "home"
            env = claude_env(home, ANTHROPIC_BASE_URL=fake.url)
            run = run_claude(PROMPT, cwd=project.root, home=home, env=env)
            return _write(fake, run, tmp, out)


def record_codex(out: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="trimline-e2e-") as d:
        tmp = Path(d).resolve()
        project = make_project(tmp / "project")
        with ScriptedResponses(codex_steps()) as fake:
            run = run_codex(PROMPT, cwd=project.root, home=tmp / "home", base_url=f"{fake.url}/v1")
            return _write(fake, run, tmp, out)


def _neutral(text: str, tmp: Path) -> str:
    text = text.replace(str(tmp), STABLE_TMP)
    # Claude Code also names its per-project directory after the path, dashed.
    return text.replace(str(tmp).replace("/", "-"), STABLE_TMP.replace("/", "-"))


def record_through_trimline(cli: str, out: Path) -> int:
    """The same session, through ``trimline serve --record``: what the recorder saved
    (requests as the agent sent them, and the responses)."""
    with tempfile.TemporaryDirectory(prefix="trimline-e2e-") as d:
        tmp = Path(d).resolve()
        project = make_project(tmp / "project")
        recorded_dir = tmp / "recorded"
        (tmp / "proxy").mkdir()
        if cli == "claude":
            fake: ScriptedModel = ScriptedAnthropic(
                ClaudeScript(project.source, show=False).steps()
            )
        else:
            fake = ScriptedResponses(codex_steps())
        with (
            fake,
            trimline_serve(
                tmp / "proxy", "--record", str(recorded_dir), upstream=fake.url
            ) as proxy,
        ):
            home = tmp / "home"
            if cli == "claude":
                env = claude_env(home, ANTHROPIC_BASE_URL=proxy.url)
                run = run_claude(PROMPT, cwd=project.root, home=home, env=env)
            else:
                run = run_codex(PROMPT, cwd=project.root, home=home, base_url=f"{proxy.url}/v1")
        if run.returncode != 0 or fake.errors:
            raise SystemExit(
                f"{out.name}: the agent did not finish: {fake.errors}\n{run.explain()}"
            )
        (path,) = recorded_dir.iterdir()
        lines = [_neutral(line, tmp) for line in path.read_text().splitlines() if line.strip()]
        out.write_text("\n".join(lines) + "\n")
        return len(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m tests.e2e.record", description=__doc__.split("\n")[0]
    )
    p.add_argument("--out", type=Path, default=ROOT / "fixtures" / "sessions")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for binary, name, record in (
        (CLAUDE, "claude_code_e2e.jsonl", record_claude),
        (CODEX, "codex_e2e.jsonl", record_codex),
        (CLAUDE, "claude_code_recorded.jsonl", lambda out: record_through_trimline("claude", out)),
        (CODEX, "codex_recorded.jsonl", lambda out: record_through_trimline("codex", out)),
    ):
        if not binary.exists():
            print(
                f"skipped {name}: {binary} is missing (npm ci --prefix tests/e2e)", file=sys.stderr
            )
            continue
        n = record(args.out / name)
        print(f"{args.out / name}: {n} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
