"""Where agents spend (issue 17): failing test runs, diffs and history, big search results, in
Claude Code's, Codex's and SWE-agent's shapes. Real outputs: fixtures/scripts/spend.py."""

from __future__ import annotations

import re

import pytest
from trimline.compressors import Context, compress, logs, vcs
from trimline.compressors.base import render
from trimline.compressors.tokens import count_tokens

from tests.laws import assertion_diff_middles, bash, load, markers, ordered_subset

SOURCE = re.compile(
    r"lines (\d+)-(\d+) elided: (?:the self = <…> line; )?(\d+) lines? of source \(([^:]+):(\d+)-(\d+)\)"
)


def test_a_frame_s_source_listing_folds_to_its_true_file_range() -> None:
    text, ctx, _ = load("logs", "pytest_more_itertools_tb_auto")
    out = compress(text, ctx).text
    lines = text.split("\n")
    found = 0
    for m in SOURCE.finditer(out):
        end, count, path, first, last = (int(m[2]), int(m[3]), m[4], int(m[5]), int(m[6]))
        assert last - first + 1 == count
        # The line after the fold is the failing ``>`` line, and the entry's location line
        # names the line right after the folded range.
        assert lines[end].startswith(">")
        location = next(s for s in lines[end:] if re.match(r"\S+\.py:\d+: ", s))
        assert location.startswith(f"{path}:{last + 1}: ")
        found += 1
    assert found >= 5


def test_failing_run_keeps_ids_errors_locations_and_summary() -> None:
    for name in ("pytest_more_itertools_tb_auto", "pytest_attrs_tb_auto"):
        text, ctx, facts = load("logs", name)
        result = compress(text, ctx)
        assert not [f for f in facts if f not in result.text]
        kept = set(result.text.split("\n"))
        lines = text.split("\n")
        middles = assertion_diff_middles(lines)  # a long diff keeps its head and tail
        for line in (s for k, s in enumerate(lines) if k not in middles):
            if line.startswith(("E   ", ">   ", "FAILED ", "____")) or re.match(
                r"\S+\.py:\d+: \w", line
            ):
                assert line in kept, line
        assert count_tokens(result.text) <= 0.8 * count_tokens(text)


def test_a_traceback_entry_printed_again_folds_to_where_it_was_first() -> None:
    text, ctx, _ = load("logs", "pytest_attrs_tb_auto")
    out = compress(text, ctx).text
    lines = text.split("\n")
    repeats = [m for m in markers(out) if " as in lines " in m]
    assert repeats
    for m in repeats:
        a, b = map(int, re.search(r"lines (\d+)-(\d+) elided:", m).groups())
        first, last = map(int, re.search(r" as in lines (\d+)-(\d+)", m).groups())
        folded = {s for s in lines[a - 1 : b] if not s.startswith("_ _ ")}  # rules aside
        assert folded <= set(lines[first - 1 : last])


def test_progress_with_failures_folds_only_when_each_failure_is_reported() -> None:
    body = [f"tests/test_{k}.py ....F.....s.....  [ {k:2}%]" for k in range(40)]
    reported = [
        "==== test session starts ====",
        *body,
        "=========================== short test summary info ============================",
        *[f"FAILED tests/test_{k}.py::test_x - assert 1 == 2" for k in range(40)],
        "========================= 40 failed, 600 passed in 2.00s =========================",
    ]
    out = compress("\n".join(reported), bash("pytest")).text
    assert "40 failed" in markers(out)[0]
    unreported = ["==== test session starts ====", *body, "== 40 failed, 600 passed in 2.00s =="]
    plan = logs.compress("\n".join(unreported), bash("pytest"))  # the family's own plan
    assert plan is None or all(k in plan.keep for k in range(1, 41))


def test_a_big_grep_keeps_every_path_line() -> None:
    text, ctx, facts = load("search", "grep_rn_raise_two_packages")
    result = compress(text, ctx)
    assert result.changed and ordered_subset(text, result.text)
    assert len(facts) > 500
    assert not [f for f in facts if f not in result.text]


def test_a_release_diff_keeps_every_changed_line_and_header() -> None:
    text, ctx, _facts = load("vcs", "diff_more_itertools_releases")
    out = compress(text, ctx).text.split("\n")
    kept = set(out)
    for line in text.split("\n"):
        if line[:1] in "+-@" or line.startswith(("diff --git", "index ")):
            assert line in kept, line


def _log_stat(n: int) -> str:
    lines = []
    for k in range(n):
        lines += [
            f"commit {k + 1:040x}",
            f"Author: Dev {k} <dev{k}@example.com>",
            f"Date:   Mon Mar {k % 28 + 1} 09:00:00 2024 +0000",
            "",
            f"    Change number {k}",
            "",
            *[f" src/pkg/module_{k}_{j}.py | {j + 30} {'+' * 40}{'-' * 20}" for j in range(6)],
            " 6 files changed, 30 insertions(+), 12 deletions(-)",
            "",
        ]
    return "\n".join(lines)


def test_log_stat_keeps_every_commit_author_date_subject_and_path() -> None:
    text = _log_stat(30)
    ctx = bash("git log --stat -n 30")
    plan = vcs.compress(text, ctx)  # the family's own plan: bars are cheap, names are not
    assert plan is not None
    out = render(text, plan, ctx)[0]
    # Stat bars fold only where their marker costs fewer tokens than they do (never here:
    # it names every path, and runs of +/- are cheap).
    kept = set(out.split("\n"))
    for line in text.split("\n"):
        if (
            line.startswith(("commit ", "Author:", "Date:", "    Change"))
            or "files changed" in line
        ):
            assert line in kept
    for path in re.findall(r"src/pkg/\S+\.py", text):
        assert path in out


CASES = [
    ("logs", "pytest_attrs_tb_auto"),
    ("vcs", "diff_more_itertools_releases"),
    ("search", "grep_rn_raise_two_packages"),
]


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_codex_and_swe_agent_shapes_compress_alike(kind: str, name: str) -> None:
    text, ctx, facts = load(kind, name)
    command = ctx.command
    plain = compress(text, ctx)
    header = "Chunk ID: 4f2a\nWall time: 3.2 seconds\nProcess exited with code 1\nOriginal token count: 9\nOutput:\n"
    codex = compress(header + text, Context("exec_command", {"cmd": ["bash", "-lc", command]}))
    swe = compress(text, Context("bash", {"command": command}))
    assert codex.kind == swe.kind == plain.kind
    assert codex.text.startswith(header)
    for result in (codex, swe):
        assert not [f for f in facts if f not in result.text]
        assert abs(result.tokens_saved - plain.tokens_saved) <= 0.05 * plain.tokens_before
