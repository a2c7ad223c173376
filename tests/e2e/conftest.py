"""Real agent CLIs (installed by ``npm ci --prefix tests/e2e``) driven through ``trimline serve``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.agents import CLAUDE, CODEX


def _installed(binary: Path, name: str) -> Path:
    if not binary.exists():
        reason = (
            f"{name} is not installed at {binary}: run `npm ci --prefix tests/e2e` "
            "(needs the npm registry)"
        )
        # CI sets this once `npm ci` succeeded: from then on a missing CLI is a failure.
        if os.environ.get("TRIMLINE_E2E_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        subprocess.run([str(binary), "--version"], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        pytest.fail(f"{name} is installed at {binary} but does not run: {e}")
    return binary


@pytest.fixture(scope="session")
def claude() -> Path:
    return _installed(CLAUDE, "Claude Code")


@pytest.fixture(scope="session")
def codex() -> Path:
    return _installed(CODEX, "Codex CLI")


@pytest.fixture(scope="session", autouse=True)
def _git() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the scratch project is a git repository")
