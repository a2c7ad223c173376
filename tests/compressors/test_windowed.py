"""Outputs past the format-aware window (128 KB): problem lines and the tail are kept."""

from __future__ import annotations

from trimline.compressors import Context, compress
from trimline.compressors.registry import WINDOW_CHARS, WINDOW_TAIL

from tests.laws import ordered_subset

# A saved build log read back: the generic family, which reads past the window line by line.
CTX = Context("Bash", {"command": "cat build.log"})


def build_log(errors_at: set[int], lines: int = 30_000) -> str:
    return "\n".join(
        f"src/module_{i % 97}.c:{i}: error: bad thing {i}"
        if i in errors_at
        else f"  CC      build/obj/module_{i % 97}_{i}.o"
        for i in range(lines)
    )


def test_past_the_window_every_problem_line_and_the_tail_stay() -> None:
    errors = {4_000, 12_345, 20_000, 29_000}
    text = build_log(errors)
    assert len(text) > 4 * WINDOW_CHARS
    result = compress(text, CTX)
    assert result.changed
    out = result.text
    assert ordered_subset(text, out)
    for i in errors:
        assert f"src/module_{i % 97}.c:{i}: error: bad thing {i}" in out
    assert out.split("\n")[-WINDOW_TAIL:] == text.split("\n")[-WINDOW_TAIL:]
    assert "output past the first 128 KB; problem lines kept" in out


def test_one_block_s_problem_lines_never_stand_in_for_another_s() -> None:
    # Same size and shape, errors in different places: each keeps its own.
    first = compress(build_log({25_000}), CTX).text
    second = compress(build_log({26_000}), CTX).text
    assert "bad thing 25000" in first and "bad thing 26000" not in first
    assert "bad thing 26000" in second and "bad thing 25000" not in second


def test_a_test_run_or_build_is_read_whole_its_failures_are_at_its_end() -> None:
    text = build_log({29_990})
    result = compress(text, Context("Bash", {"command": "make -j8"}))
    assert "bad thing 29990" in result.text
    assert "past the first" not in result.text  # no window: the whole log was read
