"""The laws every compressor is held to by the registry and the renderer."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, compress, registry
from trimline.compressors.base import Plan, block_id, render

from tests.laws import ordered_subset


def noisy_log(seed: int, n: int = 3000) -> str:
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        r = rng.random()
        if r < 0.01:
            lines.append(f"ERROR worker-{rng.randint(1, 9)}: connection reset at step {i}")
        elif r < 0.5:
            lines.append(
                f"[{i:05d}] downloading chunk {rng.randint(0, 1 << 30):x} ({rng.randint(1, 99)}%)"
            )
        else:
            lines.append(f"INFO step {i} ok in {rng.random():.3f}s")
    return "\n".join(lines) + "\n"


def test_render_keeps_lines_verbatim_and_marks_each_run() -> None:
    # Varied words: each line costs more tokens than a third of the marker.
    text = "\n".join(f"line {i} " + " ".join(f"w{i}{k}" for k in range(12)) for i in range(10))
    plan = Plan("t", keep={0, 1, 5, 9}, notes={2: "three lines"})
    out, elided = render(text, plan, Context("Bash", {"command": "make"}, keeps_original=True))
    lines = out.split("\n")
    assert lines[:2] == text.split("\n")[:2]
    assert lines[2].startswith("[trimline] lines 3-5 elided: three lines")
    assert lines[2].endswith(f"— run: trimline show {block_id(text)} --lines 3-5")
    assert [(e.start, e.end) for e in elided] == [(3, 5), (7, 9)]
    assert ordered_subset(text, out)


def test_render_keeps_a_run_shorter_than_its_marker() -> None:
    out, elided = render("a\nb\nc", Plan("t", keep={0}), Context())
    assert out == "a\nb\nc" and elided == ()


def test_small_blocks_pass_untouched() -> None:
    r = compress("a short output\n", Context("Bash", {"command": "ls"}))
    assert r.kind == "small" and r.text == "a short output\n" and not r.changed


def test_a_failing_compressor_leaves_the_block_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str, ctx: Context) -> Plan:
        raise RuntimeError("bug")

    text = noisy_log(1)
    monkeypatch.setattr(registry.generic, "compress", boom)
    r = compress(text, Context())
    assert r.kind == "error" and r.text == text and r.tokens_after == r.tokens_before


def test_a_result_that_saves_too_little_is_discarded(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n".join(f"distinct line number {i} with words {i * 7}" for i in range(400))

    def drop_one(text: str, ctx: Context) -> Plan:
        n = len(text.split("\n"))
        return Plan("generic", keep=set(range(n)) - {5, 6, 7})

    monkeypatch.setattr(registry.generic, "compress", drop_one)
    r = compress(text, Context())
    assert r.text == text and not r.changed


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unknown_logs_shrink_keep_errors_and_are_deterministic(seed: int) -> None:
    text = noisy_log(seed)
    r = compress(text, Context("Bash", {"command": "./fetch-all.sh"}))
    assert r.changed and r.tokens_after < r.tokens_before / 2
    assert r.text == compress(text, Context("Bash", {"command": "./fetch-all.sh"})).text
    assert ordered_subset(text, r.text)
    for line in text.splitlines():
        if line.startswith("ERROR"):
            assert line in r.text


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6000),
    st.sampled_from(["", "Bash", "Read", "Grep"]),
)
def test_any_text_never_raises_never_expands(text: str, tool: str) -> None:
    ctx = Context(tool, {"command": "pytest -q"} if tool == "Bash" else {"file_path": "a.py"})
    r = compress(text, ctx, threshold=50)
    assert r.tokens_after <= r.tokens_before
    if r.changed:
        assert ordered_subset(text, r.text)
    else:
        assert r.text == text
