"""Lint and type-check outputs (ruff, mypy, tsc, eslint): every diagnostic keeps its location."""

from __future__ import annotations

from functools import partial

import pytest
from trimline.compressors import compress
from trimline.compressors.tokens import count_tokens

from tests.laws import load as load_fixture
from tests.laws import names, ordered_subset

NAMES = names("lint")
load = partial(load_fixture, "lint")


@pytest.mark.parametrize("name", NAMES)
def test_every_diagnostic_location_survives(name: str) -> None:
    text, ctx, facts = load(name)
    result = compress(text, ctx)
    assert not [f for f in facts if f not in result.text]
    assert ordered_subset(text, result.text)
    assert count_tokens(result.text) <= count_tokens(text)


def test_a_long_rustc_style_report_keeps_headers_and_locations_past_the_cut() -> None:
    text, ctx, _ = load("ruff_check_full")
    result = compress(text, ctx)
    assert result.changed
    lines = text.split("\n")
    for k, line in enumerate(lines):
        if line.lstrip().startswith("--> "):
            assert lines[k - 1] in result.text and line in result.text
