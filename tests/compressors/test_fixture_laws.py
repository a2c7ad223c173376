"""The laws, checked on every fixture of every family: fixtures/<family>/<name>.txt + .json.

A new family is a folder of fixtures (and a line in ``FAMILIES`` if it has its own kind or
floor); its own behaviour is tested beside it in test_<family>.py.
"""

from __future__ import annotations

import pytest
from trimline.compressors import compress
from trimline.compressors.code.read import KEEP_WHOLE_TOKENS
from trimline.compressors.tokens import count_tokens

from fixtures.load import Fixture, load_all
from tests.laws import markers, ordered_subset

FIXTURES = [f for f in load_all() if f.kind not in ("corpora", "sessions", "corpus")]

# family -> (the kinds its fixtures may come out as, the most of the tokens one may keep).
# None: any kind (lint outputs are read by logs or left to generic; tiny outputs stay small).
FAMILIES: dict[str, tuple[frozenset[str] | None, float]] = {
    "code": (frozenset({"code"}), 0.8),
    "listing": (frozenset({"listing"}), 0.5),
    "logs": (frozenset({"logs"}), 0.8),
    "search": (frozenset({"search"}), 0.9),
    "structured": (frozenset({"structured"}), 0.9),
    "web": (frozenset({"web"}), 0.9),
    "traces": (None, 1.0),
    "vcs": (frozenset({"vcs", "small"}), 1.0),
    "lint": (None, 1.0),
}
DEFAULT = (None, 1.0)


def _id(f: Fixture) -> str:
    return f.id


@pytest.mark.parametrize("fixture", FIXTURES, ids=_id)
def test_fixture_laws(fixture: Fixture) -> None:
    text, ctx = fixture.text, fixture.context
    kinds, most = FAMILIES.get(fixture.kind, DEFAULT)
    if fixture.kind == "code" and count_tokens(text) < KEEP_WHOLE_TOKENS:
        most = 1.0  # the read policy keeps a read this small whole
    result = compress(text, ctx)
    if kinds is not None:
        assert result.kind in kinds
    if most < 1.0:
        assert result.changed
    assert count_tokens(result.text) <= most * count_tokens(text)
    assert fixture.facts, "a fixture without facts proves nothing"
    assert not [fact for fact in fixture.facts if fact not in result.text]
    assert ordered_subset(text, result.text)
    assert compress(text, ctx).text == result.text  # deterministic
    again = compress(result.text, ctx)  # compressing again does not grow it
    assert count_tokens(again.text) <= count_tokens(result.text)
    for line in markers(result.text):
        assert "\n" not in line and " elided" in line


@pytest.mark.parametrize("fixture", FIXTURES, ids=_id)
def test_fixture_snapshot(fixture: Fixture, snapshot) -> None:
    assert compress(fixture.text, fixture.context).text == snapshot
