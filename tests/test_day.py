"""The simulated multi-team day (``benchmarks.day``), small, on both backends: totals match
an independent sum, exactly the expected alerts fire, the block budget answers with the
provider's error, and the dashboard renders with budgets and alerts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import day
from tests.backends import BACKENDS, postgres_url

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_simulated_day(backend: str, tmp_path: Path) -> None:
    url = postgres_url() if backend == "postgres" else None
    artifacts = Path(os.environ.get("TRIMLINE_ARTIFACTS", tmp_path)) / f"day-{backend}"
    report = day.run(scale=0.2, db=url, out_dir=artifacts)
    assert report.ok, "\n".join(report.lines)
