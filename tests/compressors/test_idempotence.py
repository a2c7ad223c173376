"""Compressing Trimline's own output changes nothing, and a second pass never expands."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, compress
from trimline.compressors.registry import already_compressed
from trimline.compressors.tokens import count_tokens

from fixtures.load import Fixture, load_all
from tests.test_fuzz import CONTEXT, TOOL_TEXT

FIXTURES = list(load_all())


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_a_compressed_fixture_compresses_to_itself(fixture: Fixture) -> None:
    once = compress(fixture.text, fixture.context)
    twice = compress(once.text, fixture.context)
    assert twice.text == once.text
    if once.changed:
        assert already_compressed(once.text)


@settings(max_examples=150, deadline=None)
@given(TOOL_TEXT, CONTEXT, st.sampled_from([0, 50, 300]))
def test_compressing_twice_changes_nothing(text: str, context: Context, threshold: int) -> None:
    once = compress(text, context, threshold).text
    twice = compress(once, context, threshold).text
    assert count_tokens(twice) <= count_tokens(once)
    assert twice == once
