"""The code family: file reads (Claude Code Read, cat -n, editor views) as tree-sitter outlines."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compressors import Context, code, compress
from compressors.base import MARKER_PREFIX, render
from compressors.registry import pick

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "code"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.txt"))
NUMBERED = re.compile(r" *(\d+)(?:\t|→)")
READ_MARKER = re.compile(
    r"\[trimline\] (\d+) lines? elided \(lines? (\d+)(?:-(\d+))?: ([^)]*)\) — "
    r"Read file_path=(\S+) offset=(\d+) limit=(\d+)(?:, or run: .*)?"
)


def load(name: str) -> tuple[str, Context, list[str]]:
    meta = json.loads((FIXTURES / f"{name}.json").read_text())
    text = (FIXTURES / f"{name}.txt").read_bytes().decode("utf-8", "replace")
    return text, Context(meta["tool"], meta["input"], meta["is_error"]), meta["facts"]


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


def markers(output: str) -> list[str]:
    return [line for line in output.split("\n") if line.startswith(MARKER_PREFIX)]


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


def test_claims_editor_views_only() -> None:
    assert code.claims(Context("str_replace_editor", {"command": "view", "path": "/r/a.py"}))
    assert not code.claims(Context("str_replace_editor", {"command": "create", "path": "a.py"}))


@pytest.mark.parametrize("tool", ["Bash", "Grep", "Glob", "Edit", "Write", "exec_command", ""])
def test_does_not_claim_other_tools(tool: str) -> None:
    assert not code.claims(Context(tool, {"command": "cat a.py"}))


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
def test_fixture_laws(name: str) -> None:
    text, ctx, facts = load(name)
    result = compress(text, ctx)
    assert result.kind == "code"
    assert result.changed
    assert result.tokens_after <= 0.8 * result.tokens_before
    missing = [fact for fact in facts if fact not in result.text]
    assert not missing
    assert ordered_subset(text, result.text)
    assert compress(text, ctx).text == result.text  # deterministic
    again = compress(result.text, ctx)
    assert again.tokens_after <= result.tokens_after  # compressing again does not grow it
    # Lines that are not numbered file lines (headers, reminders) are all kept.
    plain = [line for line in text.split("\n") if line and not NUMBERED.match(line)]
    out_lines = set(result.text.split("\n"))
    assert all(line in out_lines for line in plain)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_markers_name_file_lines_that_read_them_back(name: str) -> None:
    text, ctx, _ = load(name)
    result = compress(text, ctx)
    original = numbered_lines(text)
    shown = numbered_lines(result.text)
    for line in markers(result.text):
        assert "\n" not in line
        if ctx.tool == "Read":
            m = READ_MARKER.fullmatch(line)
            assert m, line
            count, first, last = int(m.group(1)), int(m.group(2)), int(m.group(3) or m.group(2))
            assert m.group(5) == ctx.file_path
            assert (int(m.group(6)), int(m.group(7))) == (first, count)
        else:
            m = re.search(r"lines (\d+)-(\d+): .*view_range=\[(\d+), (\d+)\]", line)
            assert m, line
            first, last = int(m.group(1)), int(m.group(2))
            count = last - first + 1
            assert (int(m.group(3)), int(m.group(4))) == (first, last)
        assert last - first + 1 == count
        # The run is exactly the file lines missing from the output.
        assert all(n in original and n not in shown for n in range(first, last + 1))
    # ...and every missing file line is covered by a marker.
    covered = set()
    for e in result.elided:
        covered.update(range(e.start, e.end + 1))
    assert set(original) - set(shown) == covered


@pytest.mark.parametrize("name", NAMES)
def test_fixture_snapshot(name: str, snapshot) -> None:
    text, ctx, _ = load(name)
    assert compress(text, ctx).text == snapshot


def test_a_body_read_back_comes_back_whole() -> None:
    """Following a marker's hint (a Read with offset/limit) returns those lines verbatim."""
    text, ctx, _ = load("ts_rxjs_testscheduler")
    source = "\n".join(line.split("\t", 1)[1] for line in text.split("\n"))
    result = compress(text, ctx)
    assert result.elided
    for line in markers(result.text):
        m = READ_MARKER.fullmatch(line)
        offset, limit = int(m.group(6)), int(m.group(7))
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
    assert body[0].startswith(
        "[trimline] 44 lines elided (lines 45-88: body of parse_args) — "
        "Read file_path=src/cli.py offset=45 limit=44"
    )
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
        "[trimline] 44 lines elided (lines 1045-1088: body of parse_args) — "
        "Read file_path=src/cli.py offset=1045 limit=44"
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
    assert any("(lines 45-88: body of parse_args)" in m for m in markers(out))


def test_crlf_lines_stay_byte_exact() -> None:
    text = read_output(PY_SOURCE).replace("\n", "\r\n")
    out = run(text, read("src/cli.py"))
    assert markers(out)
    assert ordered_subset(text, out)
    assert "43\tdef parse_args(items, discount):\r" in out.split("\n")


def test_cat_n_in_bash_gets_sed_hints() -> None:
    text = "\n".join(f"{i:>6}\t{line}" for i, line in enumerate(PY_SOURCE.split("\n"), 1))
    out = run(text, Context("Bash", {"command": "cat -n src/cli.py"}))
    assert any("— sed -n '45,88p' src/cli.py" in m for m in markers(out))


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
    found = [m for m in markers(out) if f"body of {name})" in m]
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
        for path in ("a.py", "a.js", "a.rs", "a.c", "a.unknown"):
            run(text, read(path))
            compress(text, read(path))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("def class(){}:;=\n\t #\"'xyz0123")), max_size=60),
        min_size=3,
        max_size=120,
    ),
    st.sampled_from(["a.py", "a.ts", "a.go", "a.rs", "A.java", "a.c", "a.rb"]),
    st.integers(min_value=1, max_value=5000),
)
def test_any_numbered_text_keeps_its_laws(rows: list[str], path: str, first: int) -> None:
    text = "\n".join(f"{first + i}\t{row}" for i, row in enumerate("\n".join(rows).split("\n")))
    ctx = read(path) if first == 1 else read(path, offset=first)
    out = run(text, ctx)
    assert ordered_subset(text, out)
    assert run(text, ctx) == out


def test_fast_enough_on_a_large_read() -> None:
    import time

    text, ctx, _ = load("java_arraylist")
    code.compress(text, ctx)
    start = time.perf_counter()
    for _ in range(5):
        code.compress(text, ctx)
    per_call = (time.perf_counter() - start) / 5
    assert per_call < 0.25  # ~75 KB: a few ms here; generous for slow CI machines
