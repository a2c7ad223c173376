"""The search family: grep/rg/find/Glob output grouped by file, capped, noise folded."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, compress, search
from trimline.compressors.base import MARKER_PREFIX, render
from trimline.compressors.registry import pick
from trimline.compressors.text import clean
from trimline.compressors.tokens import count_tokens

from tests.laws import bash, markers, names, ordered_subset
from tests.laws import load as load_fixture

NAMES = names("search")
load = partial(load_fixture, "search")


def run(text: str, ctx: Context) -> str:
    plan = search.compress(text, ctx)
    if plan is None:
        return text
    out, _ = render(text, plan, ctx)
    return out


# --------------------------------------------------------------------------- claims


@pytest.mark.parametrize(
    "tool", ["Grep", "grep", "Glob", "GLOB", "grep_search", "search_files", "file_search", "rg"]
)
def test_claims_search_tools(tool: str) -> None:
    assert search.claims(Context(tool, {"pattern": "x"}))


@pytest.mark.parametrize(
    "command",
    [
        "grep -rn 'def ' src",
        "egrep -r foo .",
        "rg -n TODO",
        "ag --python import",
        "ack foo",
        "git grep -n parse_args",
        "git -C repo --no-pager grep foo",
        'find . -name "*.py"',
        "cd /repo && grep -rn foo .",
        "cd /repo; LC_ALL=C grep -rn foo . | head -50",
        "export X=1 && rg foo | sort | uniq",
        "timeout 10 rg foo",
        "sudo find / -name x 2>/dev/null",
        "bash -lc 'cd src && rg -n foo'",
        "/usr/bin/grep -c foo file.txt",
        "grep -rn \\\n  foo src/",
    ],
)
def test_claims_search_commands(command: str) -> None:
    assert search.claims(bash(command))


@pytest.mark.parametrize(
    "command",
    [
        "pytest -x",
        "cat file.py | grep foo",
        "ls -la",
        "git log --oneline",
        "python -c 'import re'",
        "cd src",
        "echo grep",
        "npm run build && grep -rn foo dist",
        "bash script.sh",
    ],
)
def test_does_not_claim_other_commands(command: str) -> None:
    assert not search.claims(bash(command))


def test_claims_codex_exec_command_lists() -> None:
    ctx = Context("exec_command", {"cmd": ["bash", "-lc", "rg -n 'def main' src"]})
    assert search.claims(ctx)
    assert not search.claims(Context("exec_command", {"cmd": ["bash", "-lc", "make test"]}))


def test_claims_survives_broken_quoting() -> None:
    assert search.claims(bash("grep 'unterminated src"))
    assert not search.claims(bash("make 'unterminated"))


def test_does_not_claim_unrelated_tools() -> None:
    assert not search.claims(Context("Read", {"file_path": "a.py"}))
    assert not search.claims(Context("Edit", {"file_path": "a.py"}))
    assert not search.claims(Context())


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    "name",
    ["grep_rn_def_pydantic", "grep_tool_context_init", "find_js_npm"],
)
def test_sniffs_real_search_output(name: str) -> None:
    text, _, _ = load(name)
    assert search.sniff(text, Context())


NOT_SEARCH = {
    "gcc": "\n".join(
        f"src/mod{i}.c:{i * 7}:5: error: unknown type name 'foo_t'" for i in range(12)
    ),
    "ruff": "\n".join(
        f"pkg/a{i}.py:{i + 1}:1: F401 [*] `os` imported but unused" for i in range(12)
    ),
    "mypy": "\n".join(f"pkg/a{i}.py:{i + 3}: error: Incompatible types" for i in range(12)),
    "pytest_tb": "\n".join(f"tests/test_x.py:{i + 10}: AssertionError" for i in range(12)),
    "prose": "\n".join(f"This is sentence number {i}: it says nothing." for i in range(30)),
    "read": "\n".join(f"{i}\tdef f{i}(): pass" for i in range(1, 40)),
    "ls": "\n".join(f"-rw-r--r-- 1 root root {i * 10} Jan 1 00:00 f{i}.py" for i in range(30)),
    "paths_without_noise": "\n".join(f"src/pkg/mod{i}.py" for i in range(50)),
    "few": "a.py:1:x\nb.py:2:y",
}


@pytest.mark.parametrize("name", sorted(NOT_SEARCH))
def test_does_not_sniff_other_output(name: str) -> None:
    assert not search.sniff(NOT_SEARCH[name], Context())


def test_sniffs_path_lists_full_of_noise() -> None:
    text = "\n".join(["src/app.js"] + [f"node_modules/lib{i}/index.js" for i in range(40)])
    assert search.sniff(text, Context())


def test_registry_routes_fixtures_here() -> None:
    for name in NAMES:
        text, ctx, _ = load(name)
        assert pick(text, ctx) is search, name


# --------------------------------------------------------------------------- fixtures


def test_grep_notices_are_kept() -> None:
    text, ctx, _ = load("grep_rn_def_pydantic")
    out = compress(text, ctx).text
    notices = [line for line in text.split("\n") if line.startswith("grep: ")]
    assert notices
    assert all(line in out.split("\n") for line in notices)


def test_minified_lines_drop_behind_a_marker_naming_the_file() -> None:
    text, ctx, _ = load("grep_rni_minified_web")
    out = compress(text, ctx).text
    assert all(
        len(line) <= search.LONG_LINE or line.startswith(MARKER_PREFIX) for line in out.split("\n")
    )
    (marker,) = [m for m in markers(out) if "long line" in m]
    assert "mitmproxy/tools/web/static/app.js" in marker
    assert "mitmproxy/tools/web/static/app.css" in marker


def test_grep_tool_hint_names_the_file() -> None:
    text, ctx, _ = load("grep_tool_context_init")
    out = compress(text, ctx).text
    found = [m for m in markers(out) if "more matches in mitmproxy/proxy/server.py" in m]
    assert found
    assert (
        'Grep pattern="def __init__" path=mitmproxy/proxy/server.py output_mode=content' in found[0]
    )


def test_context_hunks_are_kept_or_dropped_whole() -> None:
    text, ctx, _ = load("grep_tool_context_init")
    out = compress(text, ctx).text.split("\n")
    # Every kept hunk still has its hit line: no orphaned context.
    hunk: list[str] = []
    for line in [*out, "--"]:
        if line == "--" or line.startswith(MARKER_PREFIX):
            if hunk:
                assert any(search._HIT.match(h) for h in hunk), hunk
            hunk = []
        else:
            hunk.append(line)


def test_glob_noise_folds_per_directory() -> None:
    text, ctx, _ = load("glob_addons_all")
    out = compress(text, ctx).text
    (marker,) = markers(out)
    assert "paths under /home/dev/project/mitmproxy/addons/__pycache__/" in marker
    assert (
        "Glob pattern=" in marker
        and "path=/home/dev/project/mitmproxy/addons/__pycache__/" in marker
    )


def test_count_mode_folds_files_without_matches() -> None:
    text, ctx, _ = load("grep_rc_yield")
    out = compress(text, ctx).text
    assert any("files with no matches" in m for m in markers(out))
    for line in text.split("\n"):
        if not line.endswith(":0"):
            assert line in out


# --------------------------------------------------------------------------- hand-made cases


def hits(path: str, n: int, start: int = 1) -> list[str]:
    return [
        f"{path}:{start + k}:    value_{k} = compute_something({k}, other_argument)"
        for k in range(n)
    ]


def test_small_results_pass_untouched() -> None:
    text = "\n".join(hits("src/a.py", 20) + hits("src/b.py", 20))
    plan = search.compress(text, bash("grep -rn value src"))
    assert plan is not None and len(plan.keep) == len(text.split("\n"))
    assert compress(text, bash("grep -rn value src")).text == text


def test_cap_scales_with_the_number_of_files() -> None:
    one = "\n".join(hits("src/a.py", 200))
    out = run(one, bash("grep -rn value src"))
    kept = [line for line in out.split("\n") if not line.startswith(MARKER_PREFIX)]
    assert len(kept) == search.BUDGET
    assert markers(out)[0].count("140 more matches in src/a.py")

    some = "\n".join(line for i in range(search.MANY_FILES) for line in hits(f"src/m{i}.py", 20))
    out = run(some, bash("grep -rn value src"))
    for i in range(search.MANY_FILES):
        assert (
            sum(line.startswith(f"src/m{i}.py:") for line in out.split("\n")) == search.MIN_PER_FILE
        )
        folded, first = 20 - search.MIN_PER_FILE, search.MIN_PER_FILE + 1
        where = " ".join(f"src/m{i}.py:{n}:" for n in range(first, 21))
        assert f"{folded} more matches in src/m{i}.py: {where}" in out

    # Past MANY_FILES files, a file with more than a couple of hits lists them all as
    # path:line: (its text folds); a file with a hit or two keeps them.
    many = [line for i in range(40) for line in hits(f"src/m{i}.py", 20)]
    many += hits("src/single.py", 1)
    out = run("\n".join(many), bash("grep -rn value src"))
    assert many[-1] in out.split("\n")
    for i in range(40):
        assert not any(line.startswith(f"src/m{i}.py:") for line in out.split("\n"))
        where = " ".join(f"src/m{i}.py:{n}:" for n in range(1, 21))
        assert f"20 matches in src/m{i}.py: {where}" in out


def test_every_file_keeps_a_line() -> None:
    lines = []
    for i in range(300):
        lines += hits(f"pkg/sub{i % 7}/file_{i}.py", 1 + i % 9)
    text = "\n".join(lines)
    out = run(text, bash("grep -rn value pkg"))
    for i in range(300):
        assert f"pkg/sub{i % 7}/file_{i}.py:" in out
    assert ordered_subset(text, out)


def test_unnumbered_grep_r_output() -> None:
    text = "\n".join(
        f"lib/m{i // 30}.py:    import thing_{i} as alias_{i}  # trailing comment"
        for i in range(150)
    )
    out = run(text, bash("grep -r import lib"))
    assert markers(out)
    for i in range(5):
        assert f"lib/m{i}.py:" in out
    assert ordered_subset(text, out)


def test_rg_heading_and_single_file_layouts() -> None:
    blocks = []
    for f in range(4):
        blocks.append(
            f"src/f{f}.py\n"
            + "\n".join(f"{k}:    raise ValueError('bad value {k}')" for k in range(1, 41))
        )
    text = "\n\n".join(blocks)
    out = run(text, bash("rg -n --heading raise src"))
    for f in range(4):
        assert f"src/f{f}.py" in out.split("\n")
        assert f"more matches in src/f{f}.py" in out
    single = "\n".join(f"{k}:    raise ValueError('bad value {k}')" for k in range(1, 200))
    out = run(single, bash("grep -n raise src/f0.py"))
    assert "more matches" in markers(out)[0]
    assert ordered_subset(single, out)


def test_errors_and_headers_are_never_dropped() -> None:
    lines = ["Found 120 files"]
    lines += [f"node_modules/pkg{i}/index.js" for i in range(60)]
    lines += ["find: './node_modules/secret': Permission denied"]
    lines += [f"node_modules/pkg{i}/lib/util.js" for i in range(60)]
    lines += ["src/app.js"]
    text = "\n".join(lines)
    out = run(text, bash("find . -name '*.js'"))
    assert "Found 120 files" in out
    assert "find: './node_modules/secret': Permission denied" in out
    assert "src/app.js" in out
    assert [m for m in markers(out) if "paths under node_modules/" in m]


def test_noise_directory_entry_itself_stays() -> None:
    lines = ["./src", "./src/a.py", "./src/__pycache__"]
    lines += [f"./src/__pycache__/m{i}.cpython-311.pyc" for i in range(30)]
    lines += ["./src/b.py"]
    out = run("\n".join(lines), bash("find ."))
    assert "./src/__pycache__" in out.split("\n")
    assert "30 paths under ./src/__pycache__/" in out


def test_crlf_and_ansi() -> None:
    text = "\r\n".join(hits("src/a.py", 150)) + "\r\n"
    out = run(text, bash("grep -rn value src"))
    assert markers(out) and ordered_subset(text, out)
    reset = "\x1b[0m:"
    colored = "\n".join("\x1b[35m" + line.replace(":", reset, 1) for line in hits("src/a.py", 150))
    out = run(colored, bash("rg -n value src --color=always"))
    assert markers(out) and "\x1b" not in out and ordered_subset(colored, out)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "--\n--\n--",
        "\x00\x01\x02binary\xff" * 500,
        "a:1:" * 100_000,
        ":" * 10_000 + "\n" + "1" * 10_000,
        "x" * 1_000_000,
        "\n".join(["src/a.py:1:x"] * 5 + ["rogue line"] * 500),
        "\r\r\r\n\n\t\t",
        "Exit code 1",
    ],
)
def test_never_raises_on_junk(text: str) -> None:
    for ctx in (bash("grep -rn x ."), Context("Grep", {"pattern": "x"}), Context()):
        plan = search.compress(text, ctx)
        if plan is not None:
            out, _ = render(text, plan, ctx)
            assert ordered_subset(text, out)
        search.sniff(text, ctx)
        compress(text, ctx)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"[a-z./_-]{1,12}:[0-9]{1,3}:[ -~]{0,40}", fullmatch=True),
            st.from_regex(r"[a-z./_-]{1,12}-[0-9]{1,3}-[ -~]{0,40}", fullmatch=True),
            st.from_regex(r"[0-9]{1,3}[:-][ -~]{0,40}", fullmatch=True),
            st.sampled_from(["--", "", "node_modules/x/y.js", "grep: x: binary file matches"]),
            st.text(max_size=60),
        ),
        max_size=120,
    )
)
def test_random_lines_keep_the_laws(lines: list[str]) -> None:
    text = "\n".join(lines)
    ctx = bash("grep -rn x .")
    plan = search.compress(text, ctx)
    if plan is None:
        return
    out, _ = render(text, plan, ctx)
    assert ordered_subset(text, out)
    assert search.compress(text, ctx) is not None
    assert render(text, search.compress(text, ctx), ctx)[0] == out  # type: ignore[arg-type]
    assert count_tokens(out) <= count_tokens(clean(text)) + 1


def test_hints_for_tools_without_a_command() -> None:
    text = "\n".join(hits("src/a.py", 200))
    grep = run(
        text, Context("Grep", {"pattern": "value", "output_mode": "content", "head_limit": 500})
    )
    assert "Grep pattern=value output_mode=content path=src/a.py" in markers(grep)[0]
    assert "head_limit" not in grep
    other = run(text, Context("mcp__fs__search", {"query": "value"}, keeps_original=True))
    assert "mcp__fs__search query=value, or run: trimline show " in markers(other)[0]
    anonymous = run(text, Context(keeps_original=True))
    assert "re-run the search, or run: trimline show " in markers(anonymous)[0]
    shell = run(text, Context("Bash", {"command": "grep -rn value src"}, keeps_original=True))
    assert markers(shell)[0].endswith(" --lines 61-200")
    assert "— run: trimline show " in markers(shell)[0]  # the original is stored: exact
    plain = run(text, Context("Bash", {"command": "grep -rn value src"}))
    assert markers(plain)[0].endswith("— re-run: grep -rn value src 2>&1 | sed -n '61,200p'")
