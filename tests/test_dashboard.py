"""The dashboard, rendered by a real headless Chromium from a real ``trimline serve`` after
calls through it: the sections are there with the real figures, a team name that is HTML
stays text, and a screenshot is kept in $TRIMLINE_ARTIFACTS (default: the test's tmp dir)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from trimline.metering.dashboard import usd

from tests.fake_anthropic import FakeAnthropic
from tests.fake_openai import FakeOpenAI
from tests.proxy import Proxy, trimline_serve
from tests.readside_traffic import Expected, make_traffic

pytestmark = pytest.mark.integration

SECTIONS = ("cards", "spend", "teams", "models", "savings", "top-calls", "sessions", "alerts")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        required = ("TRIMLINE_E2E_REQUIRED", "TRIMLINE_CHROMIUM_REQUIRED")
        if any(os.environ.get(name) == "1" for name in required):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def run_chromium(
    binary: str, tmp: Path, *args: str, width: int = 1400, height: int = 1800
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp / 'chromium-profile'}",
            f"--window-size={width},{height}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, Expected, Path]]:
    binary = chromium()
    tmp = tmp_path_factory.mktemp("dashboard")
    with (
        FakeAnthropic() as fa,
        FakeOpenAI() as fo,
        trimline_serve(
            tmp,
            "--redirect",
            f"api.anthropic.com={fa.url},api.openai.com={fo.url}",
            mode="forward",
        ) as p,
    ):
        yield p, make_traffic(p, fa, fo), Path(binary)


def test_dashboard_renders_real_figures_in_chromium(
    served: tuple[Proxy, Expected, Path], tmp_path: Path
) -> None:
    p, exp, binary = served
    url = f"http://127.0.0.1:{p.stats_port}/"
    done = run_chromium(str(binary), tmp_path, "--dump-dom", url)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    for section in SECTIONS:
        assert f'id="{section}"' in dom, section
    totals = p.stats()["totals"]
    assert usd(totals["cost_usd"]) == usd(exp.cost())
    # The figures are the calls' own: total spend, per-team, per-model, savings.
    assert usd(exp.cost()) in dom
    for team in ("alpha", "beta", "gamma"):
        assert f"{team} {usd(exp.cost(team=team))}" in dom, team
    for model in ("claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5"):
        assert model in dom
    assert f"{totals['tokens_saved']:,}" in dom and totals["tokens_saved"] > 0
    assert usd(totals["saved_usd"]) in dom
    most_expensive = max(c.cost for c in exp.calls)
    assert usd(most_expensive) in dom
    assert "No active alerts." in dom
    assert "sess-a" in dom and "1,250" in dom  # context growth per turn of session sess-a
    # The team named like a script tag is shown as text, never run.
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;" in dom
    # Nothing in the page asks for anything from the network.
    assert "http://" not in dom.replace(url, "") and "https://" not in dom

    artifacts = Path(os.environ.get("TRIMLINE_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "dashboard.png"
    shot.unlink(missing_ok=True)
    done = run_chromium(str(binary), tmp_path, f"--screenshot={shot}", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"dashboard screenshot: {shot}")
