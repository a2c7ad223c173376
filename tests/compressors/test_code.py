"""The code family: file reads (Claude Code Read, cat, editor views) as outlines.

Source code as tree-sitter outlines under a token budget, documents as headings
and section leads, minified and generated files as a few lines and one note.
"""

from __future__ import annotations

import random
import re
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, code, compress
from trimline.compressors.base import MARKER_PREFIX, render
from trimline.compressors.code import read as read_module
from trimline.compressors.code.files import shown_file
from trimline.compressors.registry import pick
from trimline.compressors.tokens import count_tokens

from tests.laws import load as load_fixture
from tests.laws import markers, names

NAMES = names("code")
load = partial(load_fixture, "code")
NUMBERED = re.compile(r" *(\d+)(?:\t|→)")
READ_MARKER = re.compile(
    r"\[trimline\] ()lines? (\d+)(?:-(\d+))? elided: (.*?)"
    r"(?: — Read offset=(\d+) limit=(\d+)(?:, or run: trimline show \w+ --lines \d+-\d+)?)?"
)


@pytest.fixture(autouse=True)
def outline_every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about outlines, on sources of every size: the read policy, which
    keeps small and medium reads whole, is tested in test_read_policy.py."""
    monkeypatch.setattr(read_module, "KEEP_WHOLE_TOKENS", 0)


def read_output(source: str, first: int = 1, count: int | None = None) -> str:
    """What Claude Code's Read shows for lines first..first+count-1 of source."""
    lines = source.split("\n")
    if lines[-1] == "":
        lines.pop()
    shown = lines[first - 1 : first - 1 + count] if count else lines[first - 1 :]
    return "\n".join(f"{first + i}\t{line}" for i, line in enumerate(shown))


def run(text: str, ctx: Context) -> str:
    plan = code.compress(text, ctx)
    if plan is None:
        return text
    out, _ = render(text, plan, ctx)
    return out


def ordered_subset(original: str, output: str) -> bool:
    source = original.split("\n")
    pos = 0
    for line in output.split("\n"):
        if line.startswith(MARKER_PREFIX):
            continue
        while pos < len(source) and source[pos] != line:
            pos += 1
        if pos == len(source):
            return False
        pos += 1
    return True


def numbered_lines(text: str) -> dict[int, str]:
    out = {}
    for line in text.split("\n"):
        m = NUMBERED.match(line)
        if m:
            out[int(m.group(1))] = line
    return out


def read(path: str, **window: int) -> Context:
    return Context("Read", {"file_path": path, **window})


# A Python module with one long function, one short one, a class and a constant.
LONG_BODY = "\n".join(
    f"    total = total + len(items) * discount + {i}  # accumulate the running total"
    for i in range(40)
)
PY_SOURCE = f'''"""Billing helpers.

Everything about totals.
"""

import os
from typing import Any

RATES = {{
{chr(10).join(f'    "rate_{i}": {i},  # a rate that matters to somebody' for i in range(30))}
}}


def parse_args(items, discount):
    """Compute a total."""
    total = 0
{LONG_BODY}
    return total


def short(x):
    return x + 1


class Cart:
    """A cart."""

    def add(self, item: Any) -> None:
        self.items.append(item)

    def checkout(self, discount):
{LONG_BODY.replace("    total", "        total")}
        return total
'''


# --------------------------------------------------------------------------- claims


@pytest.mark.parametrize(
    "tool", ["Read", "read", "READ", "read_file", "view_file", "ReadFile", "file_read", "cat"]
)
def test_claims_read_tools(tool: str) -> None:
    assert code.claims(Context(tool, {"file_path": "a.py"}))


@pytest.mark.parametrize("path", ["package.json", "a/b.yaml", "Cargo.toml", "x.csv", "index.html"])
def test_leaves_reads_of_structured_data_to_others(path: str) -> None:
    ctx = Context("Read", {"file_path": path})
    assert not code.claims(ctx)
    assert not code.sniff("\n".join(f"{i}\tline {i}" for i in range(1, 40)), ctx)
    assert not code.claims(Context("str_replace_editor", {"command": "view", "path": path}))
    # Lockfiles are data too, but this family sums them up.
    assert code.claims(Context("Read", {"file_path": "package-lock.json"}))


def test_claims_editor_views_only() -> None:
    assert code.claims(Context("str_replace_editor", {"command": "view", "path": "/r/a.py"}))
    assert not code.claims(Context("str_replace_editor", {"command": "create", "path": "a.py"}))


@pytest.mark.parametrize("tool", ["Grep", "Glob", "Edit", "Write", ""])
def test_does_not_claim_other_tools(tool: str) -> None:
    assert not code.claims(Context(tool, {"command": "cat a.py"}))


@pytest.mark.parametrize(
    "command",
    [
        "cat a.py",
        "cat -n src/app.ts",
        "nl -ba README.md",
        "cat dist/app.min.js",
        "cat Cargo.lock",
        # Parts of one file: the line numbers are known (issue 16, class 4).
        "cat a.py | head -50",
        "sed -n '120,260p' src/a.py",
        "nl -ba src/a.py | sed -n '1,200p'",
        "cd /repo && cat -n src/a.py",
        "bash -lc 'nl -ba src/a.py'",
        "open src/a.py 120",
    ],
)
def test_claims_a_shell_printing_one_known_file(command: str) -> None:
    assert code.claims(Context("Bash", {"command": command}))
    assert code.claims(Context("exec_command", {"cmd": command}))


@pytest.mark.parametrize(
    "command",
    [
        "cat build.log",
        "cat data.json",
        "cat config.yaml",
        "cat a.py | grep x",
        "cat a.py b.py",
        "cat $(ls *.py)",
        "cat a.py && pytest",
        "pytest tests/a.py",
        "grep -n def a.py",
    ],
)
def test_does_not_claim_other_shell_commands(command: str) -> None:
    assert not code.claims(Context("Bash", {"command": command}))


# --------------------------------------------------------------------------- sniff


def test_sniffs_numbered_reads() -> None:
    assert code.sniff(read_output(PY_SOURCE), Context())
    old = "\n".join(f"{i:>6}→line {i}" for i in range(1, 40))
    assert code.sniff(old, Context())
    cat_n = "\n".join(f"{i:>6}\tline {i}" for i in range(100, 140))
    assert code.sniff(cat_n, Context())


NOT_CODE = {
    "grep": "\n".join(f"src/a.py:{i}:def f{i}(): pass" for i in range(1, 40)),
    "swe_agent_open": "\n".join(f"{i}:code line {i}" for i in range(1, 40)),
    "gaps": "\n".join(f"{i * 3}\tline" for i in range(1, 40)),
    "prose": "\n".join(f"Sentence {i} of a long text." for i in range(40)),
    "few": "1\ta\n2\tb\n3\tc",
    "half": "\n".join(f"{i}\tline" if i % 2 else "plain text here" for i in range(1, 40)),
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(NOT_CODE))
def test_does_not_sniff_other_output(name: str) -> None:
    assert not code.sniff(NOT_CODE[name], Context())


def test_registry_routes_fixtures_and_cat_n_here() -> None:
    for name in NAMES:
        text, ctx, _ = load(name)
        assert pick(text, ctx) is code, name
    cat_n = "\n".join(f"{i:>6}\t{line}" for i, line in enumerate(PY_SOURCE.split("\n"), 1))
    assert pick(cat_n, Context("Bash", {"command": "cat -n src/billing.py"})) is code


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("name", NAMES)
def test_fixture_keeps_every_line_that_is_not_a_file_line(name: str) -> None:
    text, ctx, _ = load(name)
    result = compress(text, ctx)
    # Lines that are not numbered file lines (headers, reminders) are all kept.
    numbered = any(NUMBERED.match(line) for line in text.split("\n")[:50])
    plain = [line for line in text.split("\n") if numbered and line and not NUMBERED.match(line)]
    out_lines = set(result.text.split("\n"))
    assert all(line in out_lines for line in plain)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_markers_name_file_lines_that_read_them_back(name: str) -> None:
    text, ctx, _ = load(name)
    result = compress(text, ctx)
    original = numbered_lines(text)
    shown = numbered_lines(result.text)
    if not original:  # a plain print of the file (cat, sed -n 'A,Bp'): numbered from A
        start = shown_file(ctx.command)[1] or 1
        original = dict(enumerate(text.split("\n"), start))
        kept = [line for line in result.text.split("\n") if not line.startswith("[trimline]")]
        # Lines are unique enough here: each kept line stands for its first unseen match.
        by_text: dict[str, list[int]] = {}
        for n, line in original.items():
            by_text.setdefault(line, []).append(n)
        shown = {}
        pos = start
        for line in kept:
            n = next(k for k in by_text[line] if k >= pos)
            shown[n] = line
            pos = n + 1
    for line in markers(result.text):
        assert "\n" not in line
        if ctx.tool == "Read":
            m = READ_MARKER.fullmatch(line)
            assert m, line
            first, last = int(m.group(2)), int(m.group(3) or m.group(2))
            count = last - first + 1
            if m.group(5):  # only the first marker spells out the Read
                assert (int(m.group(5)), int(m.group(6))) == (first, count)
        elif ctx.tool in ("Bash", "exec_command"):
            m = re.search(
                r"lines? (\d+)(?:-(\d+))? elided: .*?(?: — sed -n '(\d+),(\d+)p' (\S+))?$",
                line,
            )
            assert m, line
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            count = last - first + 1
            if m.group(3):  # only the first marker spells out the command
                assert (int(m.group(3)), int(m.group(4))) == (first, last)
                assert m.group(5) == shown_file(ctx.command)[0]
        else:
            m = re.search(
                r"lines (\d+)-(\d+) elided: .*?(?: — .*view_range=\[(\d+), (\d+)\].*)?$", line
            )
            assert m, line
            first, last = int(m.group(1)), int(m.group(2))
            count = last - first + 1
            if m.group(3):
                assert (int(m.group(3)), int(m.group(4))) == (first, last)
        assert last - first + 1 == count
        # The run is exactly the file lines missing from the output.
        assert all(n in original and n not in shown for n in range(first, last + 1))
    # ...and every missing file line is covered by a marker.
    covered = set()
    for e in result.elided:
        covered.update(range(e.start, e.end + 1))
    assert set(original) - set(shown) == covered


@pytest.mark.parametrize(
    "name", ["ts_rxjs_testscheduler", "md_npm_install_docs", "rst_yq_readme", "lock_npm_express"]
)
def test_a_body_read_back_comes_back_whole(name: str) -> None:
    """Following a marker's hint (a Read with offset/limit) returns those lines verbatim."""
    text, ctx, _ = load(name)
    source = "\n".join(line.split("\t", 1)[1] for line in text.split("\n"))
    result = compress(text, ctx)
    assert result.elided
    for line in markers(result.text):
        m = READ_MARKER.fullmatch(line)
        offset = int(m.group(2))
        limit = int(m.group(3) or offset) - offset + 1
        window = read_output(source, offset, limit)
        again = compress(window, read(ctx.file_path, offset=offset, limit=limit))
        assert again.text == window


# --------------------------------------------------------------------------- outline


def test_python_outline() -> None:
    text = read_output(PY_SOURCE)
    out = run(text, read("src/cli.py"))
    lines = out.split("\n")
    kept = set(lines)
    for head in (
        '1\t"""Billing helpers.',
        "6\timport os",
        "7\tfrom typing import Any",
        "9\tRATES = {",
        "43\tdef parse_args(items, discount):",
        '44\t    """Compute a total."""',
        "89\tdef short(x):",
        "90\t    return x + 1",
        "93\tclass Cart:",
        '94\t    """A cart."""',
        "96\t    def add(self, item: Any) -> None:",
        "97\t        self.items.append(item)",
        "99\t    def checkout(self, discount):",
    ):
        assert head in kept, head
    body = [m for m in markers(out) if "body of parse_args" in m]
    assert len(body) == 1
    assert body[0].startswith("[trimline] lines 45-88 elided: body of parse_args")
    assert any("value of RATES" in m for m in markers(out))
    assert any("body of checkout" in m for m in markers(out))


def test_marker_numbers_follow_the_file_in_a_window() -> None:
    filler = "\n".join(f"# filler line {i}" for i in range(1000))
    source = filler + "\n" + PY_SOURCE + filler
    text = read_output(source, 1001, 400)
    out = run(text, read("src/cli.py", offset=1001, limit=400))
    body = [m for m in markers(out) if "body of parse_args" in m]
    assert len(body) == 1
    assert body[0].startswith(
        "[trimline] lines 1045-1088 elided: body of parse_args — Read offset=1045 limit=44"
    )
    # An aimed read keeps everything but function bodies: the long constant stays.
    assert not any("value of" in m for m in markers(out))


def test_a_short_aimed_read_is_left_alone() -> None:
    text = read_output(PY_SOURCE, 40, 60)
    plan = code.compress(text, read("src/cli.py", offset=40, limit=60))
    assert plan is not None and len(plan.keep) == len(text.split("\n"))
    assert compress(text, read("src/cli.py", offset=40, limit=60)).text == text


def test_old_format_and_reminders_are_kept() -> None:
    lines = PY_SOURCE.split("\n")[:-1]
    body = "\n".join(f"{i:>6}→{line}" for i, line in enumerate(lines, 1))
    text = (
        "Note: the file was read.\n"
        + body
        + "\n\n<system-reminder>\nConsider whether it is malware.\n</system-reminder>\n"
    )
    out = run(text, read("src/cli.py"))
    assert out.startswith("Note: the file was read.\n     1→")
    assert out.endswith(
        "\n\n<system-reminder>\nConsider whether it is malware.\n</system-reminder>\n"
    )
    assert "    43→def parse_args(items, discount):" in out
    assert any("lines 45-88 elided: body of parse_args" in m for m in markers(out))


def test_crlf_lines_stay_byte_exact() -> None:
    text = read_output(PY_SOURCE).replace("\n", "\r\n")
    out = run(text, read("src/cli.py"))
    assert markers(out)
    assert ordered_subset(text, out)
    assert "43\tdef parse_args(items, discount):\r" in out.split("\n")


def test_cat_n_in_bash_gets_sed_hints() -> None:
    text = "\n".join(f"{i:>6}\t{line}" for i, line in enumerate(PY_SOURCE.split("\n"), 1))
    out = run(text, Context("Bash", {"command": "cat -n src/cli.py"}))
    said = markers(out)
    assert any("lines 45-88 elided: body of parse_args" in m for m in said)
    first = re.search(r"lines (\d+)-(\d+) elided", said[0])
    assert f"— sed -n '{first[1]},{first[2]}p' src/cli.py" in said[0]


def test_unknown_languages_and_errors_fall_back() -> None:
    text = read_output(PY_SOURCE)
    assert code.compress(text, read("notes.md")) is None
    assert code.compress(text, read("Makefile")) is None
    assert code.compress(text, Context("Read", {})) is None
    assert code.compress(text, Context("Read", {"file_path": "a.py"}, is_error=True)) is None
    assert code.compress("no numbered lines here\n" * 50, read("a.py")) is None


def test_compact_code_is_kept_whole() -> None:
    source = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(200))
    text = read_output(source)
    plan = code.compress(text, read("a.py"))
    assert plan is not None and not plan.notes
    assert compress(text, read("a.py")).text == text


def brace_source(sig: str, stmt: str, close: str = "}", pre: str = "", post: str = "") -> str:
    body = "\n".join(stmt.replace("N", str(i)) for i in range(30))
    return f"{pre}{sig}\n{body}\n{close}\n{post}"


STMT = "total = total + N * discount; // accumulate the running total for the order"
LANGUAGES = {
    "a.js": (brace_source("function computeTotal(items, discount) {", "  " + STMT), "computeTotal"),
    "a.ts": (
        brace_source("export function computeTotal(items: number[], d: number): number {", STMT),
        "computeTotal",
    ),
    "a.tsx": (
        brace_source("export const Total = (props: Props) => {", STMT, "};"),
        "Total",
    ),
    "a.go": (
        brace_source("func (c *Cart) ComputeTotal(items []int) int {", "\t" + STMT.rstrip(";")),
        "ComputeTotal",
    ),
    "a.rs": (brace_source("pub fn compute_total(items: &[i32]) -> i32 {", STMT), "compute_total"),
    "A.java": (
        brace_source(
            "    public int computeTotal(int[] items) {", STMT, "    }", "class Cart {\n", "}\n"
        ),
        "computeTotal",
    ),
    "a.c": (brace_source("static int compute_total(int *items)\n{", STMT), "compute_total"),
    "a.cpp": (
        brace_source("int Cart::computeTotal(const std::vector<int>& items) {", STMT),
        "Cart::computeTotal",
    ),
    "A.cs": (
        brace_source(
            "    public int ComputeTotal(int[] items) {", STMT, "    }", "class Cart {\n", "}\n"
        ),
        "ComputeTotal",
    ),
    "a.rb": (
        brace_source("def compute_total(items)", "  total = total + N # running total", "end"),
        "compute_total",
    ),
    "a.php": (
        brace_source("function compute_total($items) {", "$" + STMT, "}", "<?php\n"),
        "compute_total",
    ),
    "a.kt": (
        brace_source("fun computeTotal(items: List<Int>): Int {", STMT.replace(";", "")),
        "computeTotal",
    ),
    "a.scala": (
        brace_source(
            "  def computeTotal(items: Seq[Int]): Int = {",
            STMT.replace(";", ""),
            "  }",
            "object Cart {\n",
            "}\n",
        ),
        "computeTotal",
    ),
    "a.swift": (
        brace_source("func computeTotal(items: [Int]) -> Int {", STMT.replace(";", "")),
        "computeTotal",
    ),
}


@pytest.mark.parametrize("path", sorted(LANGUAGES))
def test_each_language_elides_a_long_body(path: str) -> None:
    source, name = LANGUAGES[path]
    text = read_output(source)
    out = run(text, read(path))
    found = [m for m in markers(out) if f"elided: body of {name} " in m + " "]
    assert len(found) == 1, out
    assert ordered_subset(text, out)
    sig = next(line for line in text.split("\n") if name.split("::")[-1] in line)
    assert sig in out.split("\n")  # the signature stays


# --------------------------------------------------------------------------- robustness


def test_never_raises_on_junk() -> None:
    rng = random.Random(7)
    junk = "".join(chr(rng.randrange(0, 0x3000)) for _ in range(20_000))
    samples = [
        "",
        "\n" * 500,
        junk,
        read_output(junk),
        read_output("x = (" * 5000),
        read_output("\x00\x01\x02 binary" * 2000),
        read_output("def f():\n" + "    " + "y" * 200_000 + "\n"),
        read_output("\ud800 lone surrogate\ndef f():\n    pass\n" * 100),
        "1\t" + "\n".join(f"{i}\t" for i in range(2, 3000)),
    ]
    for text in samples:
        for path in ("a.py", "a.js", "a.rs", "a.c", "a.unknown", "a.md", "a.min.js", "uv.lock"):
            run(text, read(path))
            compress(text, read(path))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(list("def class(){}:;=\n\t #\"'xyz0123-`~*")), max_size=60
        ),
        min_size=3,
        max_size=120,
    ),
    st.sampled_from(
        [
            *("a.py", "a.ts", "a.go", "a.rs", "A.java", "a.c", "a.rb"),
            *("a.md", "a.rst", "notes.txt", "README", "a.min.js", "yarn.lock", "go.sum", "blob"),
        ]
    ),
    st.integers(min_value=1, max_value=5000),
)
def test_any_numbered_text_keeps_its_laws(rows: list[str], path: str, first: int) -> None:
    text = "\n".join(f"{first + i}\t{row}" for i, row in enumerate("\n".join(rows).split("\n")))
    ctx = read(path) if first == 1 else read(path, offset=first)
    out = run(text, ctx)
    assert ordered_subset(text, out)
    assert run(text, ctx) == out


# --------------------------------------------------------------------------- budget


def test_the_budget_keeps_short_bodies_whole_once_it_is_met() -> None:
    """One huge function pays for the read: the medium ones after it stay whole."""
    huge = "\n".join(
        f"    step_{i} = compute(step_{i - 1}, factor={i})  # stage {i}" for i in range(600)
    )
    medium = "\n".join(f"    value = value * {i} + offset  # adjust by {i}" for i in range(12))
    source = "def huge(step_0):\n" + huge + "\n    return step_0\n\n\n"
    source += "".join(
        f"def medium_{k}(value, offset):\n{medium}\n    return value\n\n\n" for k in range(4)
    )
    out = run(read_output(source), read("pipeline.py"))
    found = markers(out)
    assert len(found) == 1 and "body of huge" in found[0]
    for k in range(4):
        assert f"def medium_{k}(value, offset):" in out
    assert out.count("value = value * 11 + offset  # adjust by 11") == 4


def test_the_budget_elides_longest_bodies_first_when_short_of_it() -> None:
    bodies = {
        name: "\n".join(
            f"    x = x + {i}  # accumulate a running total of {name}" for i in range(n)
        )
        for name, n in (("big", 60), ("mid", 20), ("tiny", 2))
    }
    source = "".join(f"def {name}(x):\n{body}\n    return x\n\n\n" for name, body in bodies.items())
    out = run(read_output(source), read("m.py"))
    said = " ".join(markers(out))
    assert "body of big" in said and "body of mid" in said
    assert "body of tiny" not in said  # smaller than its marker: kept whole
    assert "    x = x + 1  # accumulate a running total of tiny" in out


def test_tiny_members_keep_their_signatures_and_bodies() -> None:
    source = "class Point:\n" + "".join(
        f"    @property\n    def p{i}(self) -> int:\n        return self._p{i}\n\n"
        for i in range(80)
    )
    text = read_output(source)
    out = run(text, read("point.py"))
    assert out == text  # each body is smaller than a marker: nothing worth dropping


# --------------------------------------------------------------------------- documents

MARKDOWN = """---
title: Guide
{front}
---

# Project guide

Everything about using the project, in one place.
{para}

## Install

Run the installer from a shell.

```bash
# this is a shell comment, not a heading
pip install project
```
{para}

Setext title
------------

The setext section starts here.
{para}

### Tiny

One line.
"""


def test_markdown_keeps_headings_leads_and_fences_out_of_headings() -> None:
    para = "\n".join(f"A sentence of filler text number {i} about the project." for i in range(30))
    front = "\n".join(f"key_{i}: a value of the front matter, number {i}" for i in range(20))
    text = read_output(MARKDOWN.format(para=para, front=front))
    out = run(text, read("docs/guide.md"))
    kept = [line.split("\t", 1)[-1] for line in out.split("\n")]
    for line in (
        "---",
        "title: Guide",
        "# Project guide",
        "Everything about using the project, in one place.",
        "## Install",
        "Run the installer from a shell.",
        "Setext title",
        "------------",
        "The setext section starts here.",
        "### Tiny",
        "One line.",
    ):
        assert line in kept, line
    said = markers(out)
    assert any("lines 3-24 elided: front matter" in m for m in said), said
    install = [m for m in said if "body of section Install, 1 code block" in m]
    assert len(install) == 1
    assert READ_MARKER.fullmatch(install[0])
    assert "# this is a shell comment" not in out  # inside a fence: no heading
    assert ordered_subset(text, out)


RST = """=========
 Project
=========

Overview
========
The overview starts here.
{para}

Usage
-----
Usage starts here.

.. code-block:: python

   import project
{para}
"""


def test_rst_titles_with_overlines_and_underlines() -> None:
    para = "\n".join(f"Filler sentence {i} that explains the project in detail." for i in range(30))
    text = read_output(RST.format(para=para))
    out = run(text, read("README.rst"))
    kept = out.split("\n")
    for line in ("1\t=========", "2\t Project", "5\tOverview", "6\t========"):
        assert line in kept, line
    assert "7\tThe overview starts here." in kept
    shown = [line.split("\t", 1)[-1] for line in kept]
    assert "Usage" in shown and "-----" in shown and "Usage starts here." in shown
    said = " ".join(markers(out))
    assert "body of section Overview" in said
    assert "body of section Usage, 1 code block" in said


def test_plain_text_is_a_document_only_with_headings() -> None:
    prose = "\n".join(f"Line {i} of some notes about the release." for i in range(200))
    assert code.compress(read_output(prose), read("notes.txt")) is None
    para = "\n".join(f"Line {i} of some notes about the release." for i in range(40))
    doc = f"Release notes\n=============\n\n{para}\n\nKnown issues\n============\n\n{para}\n"
    out = run(read_output(doc), read("NOTES.txt"))
    assert "1\tRelease notes" in out and "Known issues" in out
    assert any("body of section Known issues" in m for m in markers(out))
    # A README without an extension is read the same way.
    assert markers(run(read_output(doc), read("pkg/README")))


def test_prose_with_long_lines_is_not_taken_for_minified() -> None:
    para = " ".join(["This paragraph was written on one long line, as editors do."] * 12)
    text = read_output("\n\n".join([para] * 30))
    assert code.compress(text, read("notes.txt")) is None


# --------------------------------------------------------------------------- generated files

MINIFIED = "/*! app v1.2.3 | MIT */\n" + "var a=1;function b(c){return c+a}" * 3000 + "\n"


def test_minified_javascript_becomes_one_note() -> None:
    text = read_output(MINIFIED)
    result = compress(text, read("dist/app.min.js"))
    assert result.text.split("\n")[0] == "1\t/*! app v1.2.3 | MIT */"
    (line,) = markers(result.text)
    assert "line 2 elided: minified JavaScript, 1 line of 99,000 characters" in line
    assert READ_MARKER.fullmatch(line).group(5, 6) == ("2", "1")
    assert count_tokens(result.text) < 100


@pytest.mark.parametrize(
    "path, label",
    [
        ("static/site.min.css", "minified CSS"),
        ("dist/app.js.map", "source map"),
        ("dist/bundle.js", "minified JavaScript"),
        ("build/output.bin.txt", "minified or generated text"),
        ("vendor/blob", "minified or generated text"),
    ],
)
def test_generated_files_by_name_or_by_line_length(path: str, label: str) -> None:
    out = run(read_output(MINIFIED), read(path))
    assert any(f"{label}, 1 line of 99,000 characters" in m for m in markers(out)), out[:300]


def test_cat_of_a_minified_file_gets_sed_hints() -> None:
    for command, text in (
        (
            "cat -n dist/app.min.js",
            "\n".join(f"{i:>6}\t{x}" for i, x in enumerate(MINIFIED.split("\n")[:2], 1)),
        ),
        ("cat dist/app.min.js", MINIFIED),
    ):
        ctx = Context("Bash", {"command": command})
        result = compress(text, ctx)
        assert result.kind == "code"
        (line,) = markers(result.text)
        assert line.endswith("— sed -n '2,2p' dist/app.min.js")


def _lockfile(name: str, n: int) -> str:
    if name == "package-lock.json":
        entries = ",\n".join(
            f'    "node_modules/pkg-{i}": {{\n      "version": "1.0.{i}",\n'
            f'      "resolved": "https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.0.{i}.tgz",\n'
            f'      "integrity": "sha512-{"x" * 60}"\n    }}'
            for i in range(n)
        )
        return (
            '{\n  "name": "app",\n  "version": "1.0.0",\n  "lockfileVersion": 3,\n'
            f'  "requires": true,\n  "packages": {{\n    "": {{\n      "name": "app"\n    }},\n'
            f"{entries}\n  }}\n}}\n"
        )
    if name == "yarn.lock":
        head = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n"
        return head + "".join(
            f'pkg-{i}@^1.0.0:\n  version "1.0.{i}"\n  resolved "https://registry.yarnpkg.com/pkg-{i}/-/pkg-{i}-1.0.{i}.tgz#{"a" * 40}"\n'
            f"  integrity sha512-{'y' * 60}\n\n"
            for i in range(n)
        )
    if name == "pnpm-lock.yaml":
        pkgs = "".join(
            f"  pkg-{i}@1.0.{i}:\n    resolution: {{integrity: sha512-{'z' * 60}}}\n    engines: {{node: '>=18'}}\n\n"
            for i in range(n)
        )
        snaps = "".join(f"  pkg-{i}@1.0.{i}: {{}}\n\n" for i in range(n))
        return f"lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies: {{}}\n\npackages:\n\n{pkgs}snapshots:\n\n{snaps}"
    if name == "go.sum":
        return "".join(
            f"github.com/org/mod{i} v1.{i}.0 h1:{'A' * 43}=\n"
            f"github.com/org/mod{i} v1.{i}.0/go.mod h1:{'B' * 43}=\n"
            for i in range(n)
        )
    if name == "composer.lock":
        packages = ",\n".join(
            f'        {{\n            "name": "vendor/pkg-{i}",\n            "version": "v1.{i}.0",\n'
            f'            "source": {{\n                "type": "git",\n'
            f'                "reference": "{"d" * 40}"\n            }}\n        }}'
            for i in range(n)
        )
        return (
            '{\n    "_readme": [\n        "This file locks the dependencies"\n    ],\n'
            f'    "content-hash": "{"e" * 32}",\n    "packages": [\n{packages}\n    ]\n}}\n'
        )
    if name == "pubspec.lock":
        pkgs = "".join(
            f"  pkg_{i}:\n    dependency: transitive\n    description:\n      name: pkg_{i}\n"
            f'      sha256: "{"f" * 64}"\n    source: hosted\n    version: "1.{i}.0"\n'
            for i in range(n)
        )
        return f'# Generated by pub\n# See https://dart.dev/tools/pub/glossary#lockfile\npackages:\n{pkgs}sdks:\n  dart: ">=3.0.0 <4.0.0"\n'
    if name == "Gemfile.lock":
        specs = "".join(f"    gem{i} (1.{i}.0)\n      dep{i} (>= 1.0)\n" for i in range(n))
        return f"GEM\n  remote: https://rubygems.org/\n  specs:\n{specs}\nPLATFORMS\n  ruby\n"
    return "# This file is automatically generated.\nversion = 3\n\n" + "".join(
        f'[[package]]\nname = "crate-{i}"\nversion = "1.0.{i}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n'
        f'checksum = "{"c" * 64}"\n\n'
        for i in range(n)
    )


@pytest.mark.parametrize(
    "name",
    [
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.sum",
        "Gemfile.lock",
        "Cargo.lock",
        "uv.lock",
        "poetry.lock",
        "composer.lock",
        "pubspec.lock",
    ],
)
def test_lockfiles_become_a_package_count(name: str) -> None:
    text = read_output(_lockfile(name, 137))
    result = compress(text, read(f"project/{name}"))
    assert result.kind == "code"
    said = markers(result.text)
    assert said and all("lockfile: 137 packages" in m for m in said), said
    assert result.text.split("\n")[0] == text.split("\n")[0]
    assert count_tokens(result.text) < 0.1 * count_tokens(text)


@pytest.mark.parametrize(
    "path", ["data/config.json", "k8s/deploy.yaml", "pyproject.toml", "rows.csv", "site/index.html"]
)
def test_structured_data_is_left_to_others(path: str) -> None:
    text = read_output(
        "\n".join(f'  "key_{i}": "value number {i} of the data",' for i in range(500))
    )
    assert code.compress(text, read(path)) is None
    assert code.compress(read_output(MINIFIED), read(path)) is None


def test_aimed_reads_of_documents_and_generated_files_stay_whole() -> None:
    para = "\n".join(f"A sentence of filler text number {i} about the project." for i in range(400))
    doc = read_output(MARKDOWN.format(para=para, front="a: b"), 1, 600)
    assert compress(doc, read("docs/guide.md", offset=1, limit=600)).text == doc
    lock = read_output(_lockfile("Cargo.lock", 200), 1, 1000)
    assert compress(lock, read("Cargo.lock", offset=1, limit=1000)).text == lock
    assert markers(compress(lock, read("Cargo.lock")).text)


def test_plain_cat_of_source_is_numbered_from_one() -> None:
    out = run(PY_SOURCE, Context("Bash", {"command": "cat src/cli.py"}))
    said = markers(out)
    assert any("lines 45-88 elided: body of parse_args" in m for m in said)
    assert " — sed -n '" in said[0] and said[0].endswith(" src/cli.py")
    codex = "Chunk ID: 1\nWall time: 0.1s\nProcess exited with code 0\nOriginal token count: 900\nOutput:\n"
    out = run(codex + PY_SOURCE, Context("exec_command", {"cmd": "cat src/cli.py"}))
    assert out.startswith(codex)
    assert any("lines 45-88 elided: body of parse_args" in m for m in markers(out))
    assert "sed -n '" in markers(out)[0]
