"""Runs the real agent CLIs headless, isolated in a temporary HOME, as AGENT-WIRE.md describes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = HERE / "node_modules" / ".bin"
CLAUDE = BIN / "claude"
CODEX = BIN / "codex"

# Never inherited from the developer's shell: they would point the agent somewhere else.
_LEAKY = (
    "ANTHROPIC_",
    "CLAUDE_",
    "OPENAI_",
    "CODEX_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "TRIMLINE_",
    "PYTEST_",
)


@dataclass
class Run:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def explain(self) -> str:
        return (
            f"$ {' '.join(self.argv[:3])} ... exited {self.returncode} in {self.seconds:.1f}s\n"
            f"--- stdout (tail)\n{self.stdout[-4000:]}\n--- stderr (tail)\n{self.stderr[-4000:]}"
        )


def base_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: a HOME in tmp, this Python (and so ``trimline`` and pytest) first on PATH."""
    env = {k: v for k, v in os.environ.items() if not any(k.upper().startswith(p) for p in _LEAKY)}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        NO_COLOR="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Run:
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:

        def text(b: bytes | str | None) -> str:
            return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")

        return Run(argv, -1, text(e.stdout), text(e.stderr) + "\n[timed out]", timeout)
    return Run(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def claude_env(home: Path, **extra: str) -> dict[str, str]:
    return base_env(
        home,
        IS_SANDBOX="1",
        ANTHROPIC_API_KEY="sk-ant-e2e-test",
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        **extra,
    )


# A model genai-prices knows, so /stats can price the calls (2.1.331 defaults to an
# unpriced "claude-opus-5-5").
CLAUDE_MODEL = "claude-sonnet-4-5"


def run_claude(
    prompt: str, *, cwd: Path, home: Path, env: dict[str, str], timeout: float = 60
) -> Run:
    """``claude -p PROMPT`` headless, every permission granted, stream-json log on stdout."""
    argv = [
        str(CLAUDE),
        "-p",
        prompt,
        "--model",
        CLAUDE_MODEL,
        "--permission-mode",
        "bypassPermissions",
        "--output-format",
        "stream-json",
        "--verbose",
    ]
    return _run(argv, cwd, env, timeout)


def codex_home(home: Path, base_url: str) -> Path:
    """A CODEX_HOME whose config sends the model calls to base_url over the Responses API."""
    codex = home / ".codex"
    codex.mkdir(parents=True, exist_ok=True)
    (codex / "config.toml").write_text(
        f"""\
model = "gpt-5-codex"
model_provider = "e2e"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false
# The fake lists no models, so Codex falls back to cutting each output to about 10 KB
# itself ("Warning: truncated output": the scratch module's cat is 2,774 tokens). A limit
# in tokens sends it whole, past the size under which Trimline's read policy keeps a read.
tool_output_token_limit = 10000

[analytics]
enabled = false

[model_providers.e2e]
name = "Scripted e2e model"
base_url = "{base_url}"
wire_api = "responses"
env_key = "OPENAI_API_KEY"
request_max_retries = 0
stream_max_retries = 0
"""
    )
    return codex


def run_codex(
    prompt: str, *, cwd: Path, home: Path, base_url: str, timeout: float = 60, **extra: str
) -> Run:
    env = base_env(
        home,
        CODEX_HOME=str(codex_home(home, base_url)),
        OPENAI_API_KEY="sk-e2e-test",
        **extra,
    )
    argv = [
        str(CODEX),
        "exec",
        "--json",
        "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox",
        prompt,
    ]
    return _run(argv, cwd, env, timeout)
