"""The listing family: ls / tree / du / LS-tool listings, noise directories folded."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, compress, listing
from trimline.compressors.base import MARKER_PREFIX, render
from trimline.compressors.registry import pick
from trimline.compressors.text import clean
from trimline.compressors.tokens import count_tokens

from tests.laws import bash, markers, names, ordered_subset
from tests.laws import load as load_fixture

NAMES = names("listing")
load = partial(load_fixture, "listing")


def run(text: str, ctx: Context) -> str:
    plan = listing.compress(text, ctx)
    if plan is None:
        return text
    out, _ = render(text, plan, ctx)
    return out


def ls_line(name: str, kind: str = "-", size: int = 1234) -> str:
    mode = "drwxr-xr-x" if kind == "d" else "-rw-r--r--"
    return f"{mode}  1 dev  staff {size:>6} Jun 20  2024 {name}"


# --------------------------------------------------------------------------- claims


@pytest.mark.parametrize(
    "command",
    [
        "ls",
        "ls -la",
        "ls -laR src",
        "ls -1 /repo",
        "tree",
        "tree -a -L 3 src",
        "du -ah .",
        "du -sh * | sort -h",
        "eza -la --git",
        "exa --tree",
        "cd /repo && ls -la",
        "cd web; LC_ALL=C ls -la node_modules | head -100",
        "/bin/ls -l",
        "bash -lc 'cd src && tree -L 2'",
        "sudo du -h /var/log 2>/dev/null",
    ],
)
def test_claims_listing_commands(command: str) -> None:
    assert listing.claims(bash(command))


@pytest.mark.parametrize(
    "command",
    [
        'find . -name "*.py"',
        "git ls-files",
        "grep -rn ls src",
        "echo ls",
        "cat ls.txt",
        "pytest -x",
        "make && ls dist",
        "python -c 'import os; print(os.listdir())'",
        "git status",
    ],
)
def test_does_not_claim_other_commands(command: str) -> None:
    assert not listing.claims(bash(command))


def test_claims_the_ls_tool_and_codex_commands() -> None:
    assert listing.claims(Context("LS", {"path": "/repo"}))
    assert listing.claims(Context("list_directory", {"path": "/repo"}))
    assert listing.claims(Context("exec_command", {"cmd": ["bash", "-lc", "ls -la"]}))
    assert not listing.claims(Context("Read", {"file_path": "ls"}))
    assert not listing.claims(Context())


def test_find_stays_with_search() -> None:
    ctx = bash("find . -type f")
    text = "\n".join(f"./node_modules/pkg{i}/index.js" for i in range(400))
    assert pick(text, ctx).KIND == "search"


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    "name",
    [
        "ls_la_long_dir",
        "ls_laR_npm",
        "tree_npm",
        "tree_a_pyproject",
        "du_ah_pyproject",
        "du_h_npm",
        "ls_tool_npm",
    ],
)
def test_sniffs_real_listings(name: str) -> None:
    text, _, _ = load(name)
    assert listing.sniff(text, Context())


NOT_LISTING = {
    "read": "\n".join(f"{i}\tdef f{i}(): return '/tmp/x'" for i in range(1, 60)),
    "read_html": "\n".join(f'{i}\t<a href="../x/{i}.html">link</a>' for i in range(1, 60)),
    "markdown": "\n".join(f"- item number {i} of a list" for i in range(30)),
    "gcc": "\n".join(f"src/m{i}.c:{i}:5: error: unknown type" for i in range(30)),
    "paths": "\n".join(f"src/pkg/mod{i}.py" for i in range(30)),
    "tsv": "\n".join(f"{i * 7}\tsome words here {i}" for i in range(30)),
    "few": "total 8\n" + ls_line("a"),
}


@pytest.mark.parametrize("name", sorted(NOT_LISTING))
def test_does_not_sniff_other_output(name: str) -> None:
    assert not listing.sniff(NOT_LISTING[name], Context())


def test_registry_routes_fixtures_here() -> None:
    for name in NAMES:
        text, ctx, _ = load(name)
        assert pick(text, ctx) is listing, name


# --------------------------------------------------------------------------- fixtures


def test_large_fixtures_save_at_least_70_percent() -> None:
    before = after = 0
    for name in NAMES:
        text, ctx, _ = load(name)
        result = compress(text, ctx)
        if count_tokens(text) >= 2000:
            before += count_tokens(text)
            after += count_tokens(result.text)
    assert after <= 0.3 * before


def test_one_marker_per_noise_directory_with_its_count() -> None:
    text, ctx, _ = load("tree_npm")
    out = compress(text, ctx).text
    (marker,) = markers(out)
    inside = sum(1 for line in text.split("\n") if line.startswith(("│   ", "│\xa0\xa0 ")))
    assert "entries under node_modules/" in marker
    assert "├── node_modules" in out.split("\n")
    assert inside > 1000
    assert out.split("\n")[-1].endswith(" files")  # tree's summary line stays


def test_ls_laR_folds_noise_sections_and_keeps_lines_byte_exact() -> None:
    text, ctx, _ = load("ls_laR_npm")
    out = compress(text, ctx).text
    original = set(text.split("\n"))
    for line in out.split("\n"):
        assert line in original or line.startswith(MARKER_PREFIX)
    assert "./node_modules:" not in out.split("\n")
    assert any(line.endswith(" node_modules") and line.startswith("d") for line in out.split("\n"))
    assert any("entries under node_modules/" in m for m in markers(out))


def test_long_directory_keeps_head_tail_and_subdirectories() -> None:
    text, ctx, _ = load("ls_la_long_dir")
    out = compress(text, ctx).text
    kept = [line for line in out.split("\n") if not line.startswith(MARKER_PREFIX)]
    assert [m for m in markers(out) if "more entries" in m and " .py" in m]
    dirs = [line for line in text.split("\n") if line.startswith("d")]
    assert all(d in kept for d in dirs)
    entries = [line for line in text.split("\n") if line.startswith("-")]
    assert entries[0] in kept and entries[-1] in kept
    assert len(kept) < 100


def test_ls_tool_hint_points_at_the_noise_directory() -> None:
    text, ctx, _ = load("ls_tool_npm")
    out = compress(text, ctx).text
    (marker,) = markers(out)
    assert marker.endswith("LS path=/home/dev/project/npm/node_modules")
    assert out.split("\n")[-1].startswith("NOTE: do any of the files above seem malicious")


# --------------------------------------------------------------------------- hand-made cases


def test_flat_listing_of_a_noise_directory_is_the_answer() -> None:
    lines = ["total 480", ls_line(".", "d"), ls_line("..", "d")]
    lines += [ls_line(f"pkg{i}", "d") for i in range(60)]
    text = "\n".join(lines)
    assert run(text, bash("ls -la node_modules")) == text


def test_long_flat_listing_counts_extensions() -> None:
    names = [f"img{i:04}.png" for i in range(640)] + [f"data{i:03}.json" for i in range(172)]
    names += [f"z{i}.txt" for i in range(60)]
    text = "\n".join(sorted(names))
    out = run(text, bash("ls -1 assets"))
    (marker,) = markers(out)
    assert "more entries: " in marker
    assert ".png" in marker and ".json" in marker
    kept = [line for line in out.split("\n") if not line.startswith(MARKER_PREFIX)]
    assert len(kept) == listing.HEAD + listing.TAIL
    assert ordered_subset(text, out)


def test_names_mode_ls_R_folds_noise_sections() -> None:
    lines = [".:", "README.md", "node_modules", "src", ""]
    for pkg in range(20):
        lines += [f"./node_modules/pkg{pkg}:", "index.js", "package.json", "lib", ""]
        lines += [f"./node_modules/pkg{pkg}/lib:", "a.js", "b.js", ""]
    lines += ["./src:", "app.js", "util.js"]
    text = "\n".join(lines)
    out = run(text, bash("ls -R"))
    assert "./src:" in out.split("\n") and "app.js" in out.split("\n")
    assert "node_modules" in out.split("\n")
    (marker,) = markers(out)
    assert "100 entries under node_modules/" in marker


def test_du_folds_per_noise_directory_and_keeps_its_line() -> None:
    lines = [f"4.0K\t./node_modules/pkg{i}/index.js" for i in range(50)]
    lines += ["1.2M\t./node_modules", "8.0K\t./src/app.py"]
    lines += [f"4.0K\t./src/__pycache__/m{i}.cpython-311.pyc" for i in range(20)]
    lines += ["80K\t./src/__pycache__", "96K\t./src", "1.3M\t."]
    text = "\n".join(lines)
    out = run(text, bash("du -ah"))
    for keep in ("1.2M\t./node_modules", "80K\t./src/__pycache__", "96K\t./src", "1.3M\t."):
        assert keep in out.split("\n")
    notes = " ".join(markers(out))
    assert "50 entries under ./node_modules/" in notes
    assert "20 entries under ./src/__pycache__/" in notes


def test_du_with_several_arguments_folds_nothing_above_them() -> None:
    lines = [f"{i}K\tnode_modules/pkg{i}" for i in range(30)] + ["900K\tnode_modules"]
    text = "\n".join(lines)
    out = run(text, bash("du -h node_modules"))
    assert "entries under node_modules/pkg" not in out


def test_ascii_tree_and_sizes() -> None:
    lines = [".", "|-- [4.0K]  node_modules"]
    lines += [f"|   |-- [ 120]  pkg{i}.js" for i in range(40)]
    lines += ["|   `-- [ 120]  last.js", "`-- [ 100]  index.js", "", "1 directory, 42 files"]
    text = "\n".join(lines)
    out = run(text, bash("tree -h --charset ascii"))
    assert out.split("\n")[:2] == lines[:2]
    assert "41 entries under node_modules/" in markers(out)[0]
    assert out.split("\n")[-1] == "1 directory, 42 files"


def test_errors_inside_noise_are_kept() -> None:
    lines = [".:", ls_line("node_modules", "d"), "", "./node_modules:"]
    lines += [ls_line(f"pkg{i}.js") for i in range(30)]
    lines += ["ls: cannot open directory './node_modules/.cache': Permission denied"]
    lines += [ls_line(f"zz{i}.js") for i in range(30)]
    text = "\n".join(lines)
    out = run(text, bash("ls -laR"))
    assert "ls: cannot open directory './node_modules/.cache': Permission denied" in out
    assert len(markers(out)) == 2


def test_eza_long_format_and_ansi_colours() -> None:
    lines = [
        "\x1b[1;34md\x1b[33mr\x1b[31mw\x1b[32mx\x1b[0mr-xr-x  - dev 20 Jun 08:30 \x1b[1;34mnode_modules\x1b[0m"
    ]
    body = [f".rw-r--r-- 1.2k dev 20 Jun 08:30 file{i}.ts" for i in range(150)]
    text = "\n".join(lines + body)
    out = run(text, bash("eza -l --color=always"))
    assert "\x1b" not in out
    assert "more entries" in markers(out)[0] and ".ts" in markers(out)[0]
    assert ordered_subset(text, out)


def test_crlf_listing() -> None:
    lines = [".:", ls_line("node_modules", "d"), ls_line("a.py"), "", "./node_modules:"]
    lines += [ls_line(f"pkg{i}.js") for i in range(60)]
    text = "\r\n".join(lines) + "\r\n"
    out = run(text, bash("ls -laR"))
    assert markers(out) and ordered_subset(text, out)
    assert ls_line("a.py") + "\r" in out.split("\n")


def test_symlinks_and_names_with_spaces() -> None:
    lines = ["total 12", "lrwxrwxrwx 1 dev dev 7 Jun 20 08:30 build -> out/bld"]
    lines += [ls_line(f"my file {i}.txt") for i in range(130)]
    text = "\n".join(lines)
    out = run(text, bash("ls -l"))
    assert lines[1] in out.split("\n")
    assert "more entries: " in markers(out)[0] and ".txt" in markers(out)[0]


def test_small_listings_pass_untouched() -> None:
    text = "\n".join(["total 40"] + [ls_line(f"f{i}.py") for i in range(30)])
    assert compress(text, bash("ls -la")).text == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "total 0",
        "\x00\x01\x02binary\xff" * 500,
        "drwxr-xr-x" * 50_000,
        "├── " * 100_000,
        "- " * 100_000,
        "1\t" * 100_000,
        "x" * 1_000_000,
        ":\n\n:\n" * 1000,
        "\r\r\r\n\n\t\t",
        "Exit code 2\nls: cannot access 'x': No such file or directory",
    ],
)
def test_never_raises_on_junk(text: str) -> None:
    for ctx in (bash("ls -laR"), bash("tree"), bash("du -ah"), Context("LS", {}), Context()):
        plan = listing.compress(text, ctx)
        if plan is not None:
            out, _ = render(text, plan, ctx)
            assert ordered_subset(text, out)
        listing.sniff(text, ctx)
        compress(text, ctx)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(
                r"[-d]rwxr-xr-x +[0-9]{1,2} [a-z]{1,5} [a-z]{1,5} +[0-9]{1,5} Jun 20 08:30 [ -~]{1,20}",
                fullmatch=True,
            ),
            st.from_regex(
                r"(\.|\./node_modules|\./src|\./src/__pycache__)(/[a-z]{1,4})?:", fullmatch=True
            ),
            st.from_regex(r"[│ ]{0,8}(├──|└──) [a-z_.]{1,12}", fullmatch=True),
            st.from_regex(r"[0-9]{1,4}K\t\.(/[a-z_]{1,12}){0,3}", fullmatch=True),
            st.sampled_from(["", "total 12", "node_modules", "__pycache__", "├── node_modules"]),
            st.text(max_size=40),
        ),
        max_size=150,
    ),
    st.sampled_from(["ls -laR", "tree", "du -ah", "ls -R"]),
)
def test_random_lines_keep_the_laws(lines: list[str], command: str) -> None:
    text = "\n".join(lines)
    ctx = bash(command)
    plan = listing.compress(text, ctx)
    if plan is None:
        return
    out, _ = render(text, plan, ctx)
    assert ordered_subset(text, out)
    again = listing.compress(text, ctx)
    assert again is not None and render(text, again, ctx)[0] == out
    assert count_tokens(out) <= count_tokens(clean(text)) + 1
