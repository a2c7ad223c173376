"""Fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import BACKENDS, fresh_store


@pytest.fixture(params=BACKENDS)
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | Path]:
    """An empty metering store, once on SQLite and once on PostgreSQL: a file path or a
    ``postgresql://`` URL, as ``--db`` takes it."""
    with fresh_store(request.param, tmp_path) as target:
        yield target
