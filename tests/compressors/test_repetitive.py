"""Issue 16, class 9: repetitive outputs fold behind true, counted markers.

A real grep over a site-packages: 212 binary-file notices among 13 text matches. Every
text match stays; the notices after the first two fold, counted by extension, and the
re-run the first marker names gives back exactly the folded lines' count.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from trimline.compressors import Context, compress

from tests.laws import markers, ordered_subset

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "repetitive"


def load(name: str) -> tuple[str, Context, list[str]]:
    meta = json.loads((FIXTURES / f"{name}.json").read_text())
    text = (FIXTURES / f"{name}.txt").read_text()
    return text, Context(meta["tool"], meta["input"], meta["is_error"]), meta["facts"]


def test_binary_notices_fold_with_true_counts() -> None:
    text, ctx, facts = load("grep_rn_binary_notices")
    result = compress(text, ctx)
    assert not [f for f in facts if f not in result.text]
    assert ordered_subset(text, result.text)
    assert result.tokens_after < 0.2 * result.tokens_before
    lines = text.split("\n")
    for m, e in zip(markers(result.text), result.elided, strict=True):
        n = int(re.search(r"elided: (\d+) more binary files? match", m).group(1))
        assert n == e.end - e.start + 1
        exts = dict((x, int(c)) for c, x in re.findall(r"(\d+) (\.\w+)", m))
        gone = lines[e.start - 1 : e.end]
        assert all("binary file matches" in g for g in gone)
        for ext, c in exts.items():
            assert sum(g.split(":", 2)[1].strip().endswith(ext) for g in gone) == c
    assert "2>&1 2>&1" not in result.text


def test_lines_that_differ_in_their_locations_are_not_repeats() -> None:
    text, ctx, facts = load("ruff_concise_click_head")
    result = compress(text, ctx)
    assert not [f for f in facts if f not in result.text]
    assert "repeats of the line above" not in result.text
