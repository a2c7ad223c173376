"""The vcs family: git diff/show/log/status, changed lines always kept."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, compress, vcs
from trimline.compressors.base import render
from trimline.compressors.registry import pick
from trimline.compressors.text import clean
from trimline.compressors.tokens import count_tokens

from tests.laws import bash, markers, ordered_subset

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "vcs"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.txt"))
SHA = re.compile(r"commit ([0-9a-f]{40})")


def load(name: str) -> tuple[str, Context, list[str]]:
    meta = json.loads((FIXTURES / f"{name}.json").read_text())
    text = (FIXTURES / f"{name}.txt").read_bytes().decode("utf-8", "replace")
    ctx = Context(meta["tool"], meta["input"], meta["is_error"])
    return text, ctx, meta["facts"]


def run(text: str, ctx: Context) -> str:
    plan = vcs.compress(text, ctx)
    if plan is None:
        return text
    out, _ = render(text, plan, ctx)
    return out


def changed_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.split("\n")
        if line[:1] in ("+", "-") and not line.startswith(("+++ ", "--- "))
    ]


def hunk(start: int, before: int, changes: list[str], after: int, width: int = 50) -> list[str]:
    """A hunk with `before` and `after` context lines around `changes`."""
    lines = [f" context line {start + k} " + "x" * width for k in range(before)]
    lines += changes
    lines += [f" context line {start + before + k} " + "y" * width for k in range(after)]
    old = before + after + sum(1 for c in changes if c[0] in " -")
    new = before + after + sum(1 for c in changes if c[0] in " +")
    return [f"@@ -{start},{old} +{start},{new} @@ def f():", *lines]


def file_diff(path: str, *hunks: list[str]) -> list[str]:
    head = [f"diff --git a/{path} b/{path}", "index 1111111..2222222 100644"]
    head += [f"--- a/{path}", f"+++ b/{path}"]
    return head + [line for h in hunks for line in h]


# --------------------------------------------------------------------------- claims


@pytest.mark.parametrize(
    "command",
    [
        "git diff",
        "git diff --cached -- src/",
        "git show HEAD~1",
        "git log",
        "git log --oneline -20",
        "git log -p -3",
        "git status",
        "git status --porcelain",
        "git blame src/app.py",
        "git --no-pager diff",
        "git -C /repo log --stat",
        "git -c color.ui=always diff HEAD",
        "cd /repo && git diff | head -200",
        "GIT_PAGER=cat git log -5",
        "bash -lc 'git status -s'",
    ],
)
def test_claims_git_commands(command: str) -> None:
    assert vcs.claims(bash(command))


@pytest.mark.parametrize(
    "command",
    [
        "git commit -m 'x'",
        "git add -A",
        "git grep foo",
        "git ls-files",
        "git checkout main",
        "echo git diff",
        "diff -u a b",
        "ls -la",
        "make && git diff",
    ],
)
def test_does_not_claim_other_commands(command: str) -> None:
    assert not vcs.claims(bash(command))


def test_claims_codex_exec_and_ignores_tools() -> None:
    assert vcs.claims(Context("exec_command", {"cmd": ["bash", "-lc", "git log -p"]}))
    assert not vcs.claims(Context("Read", {"file_path": "x.diff"}))
    assert not vcs.claims(Context())


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    "name",
    ["diff_working_tree", "show_head_1", "log_default", "log_p_3", "log_stat", "status_long"],
)
def test_sniffs_real_git_output(name: str) -> None:
    text, _, _ = load(name)
    assert vcs.sniff(text, Context())


def test_sniffs_short_status() -> None:
    assert vcs.sniff("## main...origin/main [ahead 1]\n M a.py\n?? b.py", Context())
    assert vcs.sniff(" M a.py\nA  b.py\n?? c/\n?? d.txt", Context())


NOT_VCS = {
    "prose": "On branch policy, the committee said nothing.\nIt was late.\nThe end.",
    "markdown": "- item\n- item\n+ plus\n- minus\n" * 5,
    "commit_word": "commit 0123456789abcdef0123456789abcdef01234567 was reverted\nsee notes",
    "diff_mention": "the diff --git header\nnothing else\nhere",
    "ls": "\n".join(f"-rw-r--r-- 1 root root {i} Jan 1 00:00 f{i}.py" for i in range(30)),
    "indented": "   a line\n   b line\n   c line",
}


@pytest.mark.parametrize("name", sorted(NOT_VCS))
def test_does_not_sniff_other_output(name: str) -> None:
    assert not vcs.sniff(NOT_VCS[name], Context())


def test_registry_routes_fixtures_here() -> None:
    for name in NAMES:
        text, ctx, _ = load(name)
        assert pick(text, ctx) is vcs, name


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("name", NAMES)
def test_fixture_laws(name: str) -> None:
    text, ctx, facts = load(name)
    result = compress(text, ctx)
    assert result.kind in ("vcs", "small")
    missing = [fact for fact in facts if fact not in result.text]
    assert not missing
    assert count_tokens(result.text) <= count_tokens(text)
    assert ordered_subset(text, result.text)
    assert compress(text, ctx).text == result.text  # deterministic
    again = compress(result.text, ctx)
    # compressing again does not grow it
    assert count_tokens(again.text) <= count_tokens(result.text)
    for marker in markers(result.text):
        assert "\n" not in marker and " elided: " in marker


@pytest.mark.parametrize("name", NAMES)
def test_fixture_snapshot(name: str, snapshot) -> None:
    text, ctx, _ = load(name)
    assert compress(text, ctx).text == snapshot


@pytest.mark.parametrize("name", ["diff_working_tree", "show_head_1", "log_p_3"])
def test_every_changed_line_of_source_files_is_kept(name: str) -> None:
    text, ctx, _ = load(name)
    plan = vcs.compress(text, ctx)
    assert plan is not None
    out = render(text, plan, ctx)[0].split("\n")
    lock = False
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            lock = line.endswith("package-lock.json")
            assert line in out
        elif (line.startswith(("@@ ", "+++ ", "--- ", "Binary files ")) and not lock) or (
            line[:1] in ("+", "-") and not lock
        ):
            assert line in out


def test_lockfile_diff_folds_behind_one_marker() -> None:
    text, ctx, _ = load("log_p_3")
    out = compress(text, ctx).text
    (marker,) = [m for m in markers(out) if "lockfile diff" in m]
    removed = 0
    lock = False
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            lock = line.endswith("package-lock.json")
        elif lock and line.startswith("-") and not line.startswith("--- "):
            removed += 1
    assert f"lockfile diff: 0 lines added, {removed} removed" in marker
    assert "diff --git a/web/package-lock.json b/web/package-lock.json" in out


def test_log_keeps_five_commits_whole_then_sha_and_subject() -> None:
    text, ctx, _ = load("log_stat")
    out = compress(text, ctx).text
    shas = SHA.findall(text)
    assert len(shas) > vcs.WHOLE_COMMITS
    assert all(f"commit {sha}" in out for sha in shas)
    blocks = text.split("\ncommit ")
    for block in blocks[: vcs.WHOLE_COMMITS]:
        for line in block.split("\n"):
            assert line in out
    folded = [m for m in markers(out) if "of commit " in m]
    assert len(folded) >= (len(shas) - vcs.WHOLE_COMMITS) // 2


def test_status_keeps_paths_and_folds_untracked_noise() -> None:
    text, ctx, _ = load("status_short_uall")
    out = compress(text, ctx).text
    for line in text.split("\n"):
        if not line.startswith("?? "):
            assert line in out.split("\n")
    notes = " ".join(markers(out))
    assert "untracked paths under build/" in notes
    assert "?? notes.txt" in out


# --------------------------------------------------------------------------- hand-made cases


def test_context_thins_to_one_line_around_changes() -> None:
    lines = file_diff(
        "src/app.py",
        hunk(10, 10, ["-    old()", "+    new()"], 10),
        hunk(80, 10, ["+    added()"], 10),
    )
    text = "\n".join(lines)
    out = run(text, bash("git diff -U10"))
    kept = out.split("\n")
    for line in changed_lines(text):
        assert line in kept
    assert all(line in kept for line in lines if line.startswith(("@@", "diff", "---", "+++")))
    context = [line for line in kept if line.startswith(" context")]
    assert len(context) == 4  # one before and one after each change
    assert len(markers(out)) == 4
    assert "unchanged lines of src/app.py" in markers(out)[0]


def test_middle_context_keeps_a_line_on_each_side() -> None:
    body = ["-a = 1", "+a = 2"]
    body += [f" middle {k} " + "z" * 60 for k in range(12)]
    body += ["-b = 1", "+b = 2"]
    text = "\n".join(file_diff("m.py", hunk(1, 0, body, 0)))
    out = run(text, bash("git diff"))
    kept = out.split("\n")
    assert " middle 0 " + "z" * 60 in kept and " middle 11 " + "z" * 60 in kept
    assert " middle 5 " + "z" * 60 not in kept
    assert len(markers(out)) == 1


def test_short_context_runs_stay() -> None:
    text = "\n".join(file_diff("a.py", hunk(1, 3, ["-x", "+y"], 3)) * 20)
    out = run(text, bash("git diff"))
    assert out == text


def test_no_newline_marker_and_minus_minus_content_are_changes() -> None:
    body = ["--- not a header", "+++ not a header either", "\\ No newline at end of file"]
    text = "\n".join(file_diff("odd.txt", hunk(1, 12, body, 12)))
    out = run(text, bash("git diff")).split("\n")
    for line in body:
        assert line in out


def test_binary_files_and_binary_patches() -> None:
    lines = [
        "diff --git a/logo.png b/logo.png",
        "index 1111111..2222222 100644",
        "Binary files a/logo.png and b/logo.png differ",
        "diff --git a/icon.png b/icon.png",
        "new file mode 100644",
        "index 0000000..3333333",
        "GIT binary patch",
        "literal 4000",
    ]
    lines += ["zcmV;C51sIdP)<h;3K|Lk000e1NJLTq001BW001BW0ssI2{{R60" + "A" * 20] * 40
    lines += ["", "literal 0", "HcmV?d00001", ""]
    text = "\n".join(lines)
    out = run(text, bash("git diff --binary"))
    assert "Binary files a/logo.png and b/logo.png differ" in out
    assert "GIT binary patch" in out and "literal 4000" in out
    assert "binary patch data of icon.png" in markers(out)[0]


def test_generated_files_fold_like_lockfiles() -> None:
    minified = file_diff("static/app.min.js", hunk(1, 0, ["-" + "a" * 300, "+" + "b" * 300], 0))
    dist = file_diff("dist/bundle.js", hunk(1, 0, [f"+line {k}" for k in range(50)], 0))
    text = "\n".join(minified + dist)
    out = run(text, bash("git diff"))
    notes = " ".join(markers(out))
    assert "generated file diff: 1 line added, 1 removed" in notes
    assert "generated file diff: 50 lines added, 0 removed" in notes
    assert "diff --git a/dist/bundle.js b/dist/bundle.js" in out


def test_lockfile_with_many_hunks_keeps_its_first_header() -> None:
    hunks = [hunk(100 * k + 1, 3, [f'-    "dep{k}": "1.0.{k}",'], 3) for k in range(8)]
    text = "\n".join(file_diff("yarn.lock", *hunks))
    out = run(text, bash("git diff"))
    (marker,) = markers(out)
    assert "lockfile diff: 0 lines added, 8 removed in 8 hunks" in marker
    assert hunks[0][0] in out and hunks[1][0] not in out


def test_renames_and_mode_changes_are_kept() -> None:
    lines = [
        "diff --git a/old name.py b/new name.py",
        "similarity index 90%",
        "rename from old name.py",
        "rename to new name.py",
        "old mode 100644",
        "new mode 100755",
    ]
    lines += file_diff("new name.py", hunk(1, 20, ["-a", "+b"], 20))[2:]
    text = "\n".join(lines)
    out = run(text, bash("git show"))
    for line in lines[:6]:
        assert line in out.split("\n")


def commit(sha: int, subject: str, body: int) -> list[str]:
    lines = [
        f"commit {sha:040x}",
        "Author: Dana Developer <dana@example.com>",
        "Date:   Mon Mar 4 09:00:00 2024 +0000",
        "",
        f"    {subject}",
    ]
    if body:
        lines.append("    ")
        lines += [f"    Body line {k} explaining the change in some detail." for k in range(body)]
    return [*lines, ""]


def test_log_folds_bodies_after_the_fifth_commit() -> None:
    lines = [line for n in range(12) for line in commit(n + 1, f"Subject {n}", 6)]
    text = "\n".join(lines)
    out = run(text, bash("git log"))
    for n in range(12):
        assert f"commit {n + 1:040x}" in out
        assert f"    Subject {n}" in out
    assert out.count("Body line 0 ") == vcs.WHOLE_COMMITS
    assert len(markers(out)) == 12 - vcs.WHOLE_COMMITS
    assert "6 more message lines of commit" in markers(out)[0]


def test_graph_log_keeps_subjects() -> None:
    lines = []
    for n in range(10):
        lines += [
            f"* commit {n + 1:040x}",
            "| Author: Dana Developer <dana@example.com>",
            "| Date:   Mon Mar 4 09:00:00 2024 +0000",
            "| ",
            f"|     Subject {n}",
            "| ",
        ]
        lines += [f"|     Body {k} of a long explanation that goes on and on." for k in range(5)]
        lines.append("| ")
    text = "\n".join(lines)
    out = run(text, bash("git log --graph"))
    for n in range(10):
        assert f"|     Subject {n}" in out.split("\n")
    assert markers(out)


def test_oneline_log_is_kept_whole() -> None:
    text = "\n".join(f"{n:07x} Subject number {n} of the history" for n in range(300))
    plan = vcs.compress(text, bash("git log --oneline"))
    assert plan is not None and len(plan.keep) == 300


def test_log_p_applies_diff_rules_to_later_commits() -> None:
    lines = []
    for n in range(7):
        lines += commit(n + 1, f"Subject {n}", 3)
        lines += file_diff(f"f{n}.py", hunk(1, 15, [f"-old {n}", f"+new {n}"], 15))
        lines.append("")
    text = "\n".join(lines)
    out = run(text, bash("git log -p"))
    for line in changed_lines(text):
        assert line in out.split("\n")
    assert out.count("unchanged lines of") >= 7


def test_status_hints_fold_and_paths_stay() -> None:
    lines = [
        "On branch main",
        "Your branch is ahead of 'origin/main' by 2 commits.",
        '  (use "git push" to publish your local commits)',
        "",
        "Changes not staged for commit:",
        '  (use "git add <file>..." to update what will be committed)',
        '  (use "git restore <file>..." to discard changes in working directory)',
        "\tmodified:   src/app.py",
        "",
        "Untracked files:",
        '  (use "git add <file>..." to include in what will be committed)',
    ]
    lines += [f"\tnode_modules/pkg{k}/index.js" for k in range(80)]
    lines += [
        "\tsrc/new.py",
        "",
        'no changes added to commit (use "git add" and/or "git commit -a")',
    ]
    text = "\n".join(lines)
    out = run(text, bash("git status -uall"))
    kept = out.split("\n")
    for line in [*lines[:2], "\tmodified:   src/app.py", "\tsrc/new.py", lines[-1]]:
        assert line in kept
    assert any("80 untracked paths under node_modules/" in m for m in markers(out))


def test_staged_paths_in_noise_directories_stay() -> None:
    lines = ["## main"] + [f"A  node_modules/pkg{k}/index.js" for k in range(60)]
    text = "\n".join(lines)
    assert run(text, bash("git status -s")) == text


def test_blame_and_file_contents_go_to_the_fallback() -> None:
    blame = "\n".join(
        f"^1a2b3c4 (Dana Developer 2024-03-04 09:00:00 +0000 {k}) line {k}" for k in range(1, 400)
    )
    assert vcs.compress(blame, bash("git blame src/app.py")) is None
    source = "\n".join(f"def f{k}():\n    return {k}" for k in range(300))
    assert vcs.compress(source, bash("git show HEAD:src/app.py")) is None


def test_crlf_and_colour() -> None:
    lines = file_diff("a.py", hunk(1, 12, ["-x = 1", "+x = 2"], 12))
    text = "\r\n".join(lines) + "\r\n"
    out = run(text, bash("git diff"))
    assert markers(out) and ordered_subset(text, out)
    coloured = "\n".join(
        f"\x1b[32m{line}\x1b[m" if line.startswith("+") else line for line in lines
    )
    out = run(coloured, bash("git diff --color=always"))
    assert "\x1b" not in out and "+x = 2" in out.split("\n")


def test_fast_on_a_megabyte() -> None:
    lines = []
    for n in range(150):
        lines += commit(n + 1, f"Subject {n}", 4)
        lines += file_diff(f"src/m{n}.py", hunk(1, 20, [f"-old {n}", f"+new {n}"] * 10, 20))
    text = "\n".join(lines)
    while len(text) < 1_000_000:
        text += "\n" + text
    start = time.process_time()
    vcs.compress(text, bash("git log -p"))
    assert time.process_time() - start < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "@@ -1,3 +1,3 @@",
        "diff --git a/x b/x\n@@ -1,99999999999999999999 +1 @@\n-a",
        "diff --git \n--- \n+++ \n@@ @@",
        "commit " + "a" * 40,
        "\x00\x01\x02binary\xff" * 500,
        "+" * 1_000_000,
        "commit abcdef1\n" * 10_000,
        "diff --cc x\n@@@ -1,2 -1,2 +1,3 @@@\n ++a\n- b\n  c",
        "\r\r\r\n\n\t\t",
        "On branch main\n\t" + "a/" * 5000,
    ],
)
def test_never_raises_on_junk(text: str) -> None:
    for ctx in (bash("git diff"), bash("git log"), bash("git status"), Context()):
        plan = vcs.compress(text, ctx)
        if plan is not None:
            out, _ = render(text, plan, ctx)
            assert ordered_subset(text, out)
        vcs.sniff(text, ctx)
        compress(text, ctx)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "diff --git a/x.py b/x.py",
                    "diff --git a/package-lock.json b/package-lock.json",
                    "--- a/x.py",
                    "+++ b/x.py",
                    "@@ -1,5 +1,5 @@",
                    "@@ -1 +1 @@",
                    "commit " + "ab" * 20,
                    "Author: A <a@b>",
                    "",
                    "    subject",
                    " x.py | 3 +-",
                    "\\ No newline at end of file",
                    "?? node_modules/a/b.js",
                ]
            ),
            st.from_regex(r"[ +-][ -~]{0,30}", fullmatch=True),
            st.text(max_size=30),
        ),
        max_size=150,
    ),
    st.sampled_from(["git diff", "git log -p", "git status -s", "git show"]),
)
def test_random_lines_keep_the_laws(lines: list[str], command: str) -> None:
    text = "\n".join(lines)
    ctx = bash(command)
    plan = vcs.compress(text, ctx)
    if plan is None:
        return
    out, _ = render(text, plan, ctx)
    assert ordered_subset(text, out)
    again = vcs.compress(text, ctx)
    assert again is not None and render(text, again, ctx)[0] == out
    assert count_tokens(out) <= count_tokens(clean(text)) + 1
    if command != "git status -s":
        for line in changed_lines(clean(text)):
            if "package-lock" not in text:
                assert line in out.split("\n") or not line.strip("+-")
