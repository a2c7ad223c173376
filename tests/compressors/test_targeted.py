"""Issue 16, class 1: a listing the command asked for is never folded.

Real outputs of find/tree/du/ls run over a real ``npm install`` (fixtures/targeted): when
the command names node_modules, every package stays; when node_modules is noise inside a
wider listing (``find .``), it folds behind one counted marker.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trimline.compressors import Context, compress
from trimline.compressors.shellcmd import targeted_dirs

from tests.laws import markers, ordered_subset

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "targeted"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.txt"))


def load(name: str) -> tuple[str, Context, list[str]]:
    meta = json.loads((FIXTURES / f"{name}.json").read_text())
    text = (FIXTURES / f"{name}.txt").read_text()
    return text, Context(meta["tool"], meta["input"], meta["is_error"]), meta["facts"]


@pytest.mark.parametrize("name", [n for n in NAMES if not n.startswith("wider_")])
def test_the_listing_asked_for_keeps_every_entry(name: str) -> None:
    text, ctx, facts = load(name)
    out = compress(text, ctx).text
    assert not [f for f in facts if f not in out]
    assert not [m for m in markers(out) if "node_modules/" in m.split(" elided: ", 1)[-1]]


def test_noise_inside_a_wider_listing_still_folds() -> None:
    text, ctx, facts = load("wider_find_dot_maxdepth3")
    result = compress(text, ctx)
    assert not [f for f in facts if f not in result.text]
    (marker,) = markers(result.text)
    assert "paths under ./node_modules/" in marker
    assert ordered_subset(text, result.text)
    assert result.tokens_after < 0.1 * result.tokens_before


def test_targeted_dirs_reads_paths_and_globs() -> None:
    assert "node_modules" in targeted_dirs("find node_modules -maxdepth 3")
    assert "dist" in targeted_dirs("cd web && tree -L 2 dist/")
    assert "build" in targeted_dirs("rg --files -g '**/build/**'")
    assert "node_modules" in targeted_dirs("", {"path": "/repo/node_modules"})
    assert "node_modules" not in targeted_dirs("ls -la")
