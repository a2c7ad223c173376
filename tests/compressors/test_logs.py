"""The logs family: test runners and builds keep every failure, fold the passing and the noise."""

from __future__ import annotations

import json
import random
import re
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, compress, logs
from trimline.compressors.base import MARKER_PREFIX, render
from trimline.compressors.registry import pick
from trimline.compressors.text import clean
from trimline.compressors.tokens import count_tokens

from tests.laws import assertion_diff_middles, bash, markers, names, ordered_subset
from tests.laws import load as load_fixture

NAMES = names("logs")
load = partial(load_fixture, "logs")


def run(text: str, ctx: Context) -> str:
    """The family's own result, without the registry's thresholds."""
    plan = logs.compress(text, ctx)
    if plan is None:
        return clean(text)
    out, _ = render(text, plan, ctx)
    return out


def kept(output: str) -> list[str]:
    return [line for line in output.split("\n") if not line.startswith(MARKER_PREFIX)]


# --------------------------------------------------------------------------- claims


@pytest.mark.parametrize(
    "command",
    [
        "pytest",
        "pytest -q tests/test_api.py",
        "python -m pytest -v --tb=short",
        "python3 -u -m pytest -x",
        "python -W ignore -m pytest",
        ".venv/bin/pytest -k 'parse or dump'",
        "cd /repo && python -m pytest tests/ 2>&1 | tail -50",
        "cd src; PYTHONPATH=. DJANGO_SETTINGS_MODULE=x pytest -q",
        "timeout 300 pytest",
        "uv run --with pytest-xdist pytest -n 4",
        "poetry run python -m pytest",
        "tox -e py311",
        "nox -s tests",
        "python -m unittest discover -v",
        "python tests/runtests.py --parallel 1 queries",
        "python manage.py test app",
        "python setup.py build_ext --inplace",
        "python test_parser.py",
        "npm test",
        "npm run build",
        "npm ci",
        "yarn",
        "yarn test --watch=false",
        "pnpm vitest run",
        "npx jest src/api",
        "npx --yes tsc --noEmit",
        "cargo build --release",
        "cargo test -- --nocapture",
        "RUST_BACKTRACE=1 cargo test",
        "go test ./...",
        "go vet ./...",
        "make -j8",
        "make -C build test",
        "cmake --build build",
        "gcc -Wall -o app main.c",
        "clang++ -std=c++20 x.cpp",
        "tsc -p .",
        "mypy src",
        "ruff check .",
        "eslint src --ext .ts",
        "pip install -e .[dev]",
        "pip3 install -r requirements.txt",
        "python -m pip install -v six",
        "uv pip install -r requirements.txt",
        "mvn -q test",
        "./gradlew build",
        "bash -lc 'cd /app && pytest -q'",
        "sudo -u ci make check",
        "env -u PYTHONPATH CI=1 pytest",
        "node --test",
        "pre-commit run --all-files",
    ],
)
def test_claims_test_runners_builds_and_installs(command: str) -> None:
    assert logs.claims(bash(command))


def test_claims_codex_style_argv() -> None:
    assert logs.claims(Context("exec_command", {"cmd": ["bash", "-lc", "cargo test"]}))


@pytest.mark.parametrize(
    "command",
    [
        "",
        "ls -la",
        "cat tests/test_api.py",
        "grep -rn pytest .",
        "echo pytest",
        "git log --oneline | head",
        "python reproduce.py",
        "python -c 'import pytest'",
        "pip list",
        "pip show six",
        "go run main.go",
        "go version",
        "npm view react",
        "docker compose up",
        "find . -name '*.py'",
    ],
)
def test_does_not_claim_other_commands(command: str) -> None:
    assert not logs.claims(bash(command))


def test_does_not_claim_tools_without_a_command() -> None:
    assert not logs.claims(Context("Read", {"file_path": "pytest.log"}))
    assert not logs.claims(Context("Grep", {"pattern": "FAILED"}))


def test_claims_pick_the_logs_family() -> None:
    text, ctx, _ = load("pytest_verbose")
    assert pick(text, ctx) is logs


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize("name", NAMES)
def test_sniff_recognises_every_fixture_without_a_command(name: str) -> None:
    text, _, _ = load(name)
    assert logs.sniff(text, Context())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello world\n" * 50,
        "def main():\n    return 0\n" * 30,
        "\n".join(f"src/app.py:{i}:    raise ValueError('bad')" for i in range(40)),
        json.dumps({"errors": ["a", "b"], "ok": True}, indent=2),
        "\n".join(f"{i}\tline {i} of a file read" for i in range(100)),
        "\x00\x01\x02binary\xff" * 100,
    ],
)
def test_sniff_is_conservative(text: str) -> None:
    assert not logs.sniff(text, Context())


@pytest.mark.parametrize(
    "text",
    [
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_a.py::test_x - assert 1 == 2\n",
        "error[E0308]: mismatched types\n --> src/main.rs:3:5\n",
        "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\n",
        "..F.....\n----------------------------------------------------------------------\n"
        "Ran 8 tests in 0.002s\n\nFAILED (failures=1)\n",
        "src/main.c:7:12: error: 'x' undeclared (first use in this function)\n",
        "\n".join(f"test tests::case_{i} ... ok" for i in range(10)),
        "--- FAIL: TestServe (0.01s)\nFAIL\n",
    ],
)
def test_sniff_recognises_log_shapes(text: str) -> None:
    assert logs.sniff(text, Context())


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("name", NAMES)
def test_fixture_keeps_facts_and_shrinks(name: str) -> None:
    text, ctx, facts = load(name)
    result = compress(text, ctx)
    assert result.kind == "logs"
    assert result.changed
    assert not [fact for fact in facts if fact not in result.text]
    assert count_tokens(result.text) < count_tokens(text) * 0.8
    assert ordered_subset(text, result.text)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_markers_are_single_lines_and_deterministic(name: str) -> None:
    text, ctx, _ = load(name)
    out = run(text, ctx)
    assert out == run(text, ctx)
    for line in markers(out):
        assert "\n" not in line
        assert re.match(r"\[trimline\] lines? \d+(?:-\d+)? elided: .+", line)
    # Every error/failure line of the original is kept verbatim.
    source = clean(text).split("\n")
    middles = assertion_diff_middles(source)
    must = [s for k, s in enumerate(source) if _is_failure_line(s) and k not in middles]
    out_lines = set(out.split("\n"))
    assert all(line in out_lines for line in must)


def _is_failure_line(line: str) -> bool:
    return bool(
        re.match(
            r"(?:FAILED|ERROR) \S|E {2,}\S|error(?:\[E\d+\])?: |test result: |Ran \d+ tests", line
        )
        or re.search(r"\.\.\. (?:FAIL|FAILED|ERROR)$|:\d+:\d+: error: |^Exit code \d+$", line)
        or re.match(r"={3,} .* (?:failed|passed).* in [\d.]+s", line)
    )


@pytest.mark.parametrize("name", NAMES)
def test_fixture_compressing_again_does_not_grow(name: str) -> None:
    text, ctx, _ = load(name)
    once = compress(text, ctx).text
    twice = compress(once, ctx).text
    assert count_tokens(twice) <= count_tokens(once)
    assert markers(once) == [m for m in markers(twice) if m in markers(once)]


def test_pytest_verbose_keeps_every_failure_and_saves_most() -> None:
    text, ctx, _ = load("pytest_verbose")
    assert len(text.split("\n")) >= 2000
    result = compress(text, ctx)
    assert count_tokens(result.text) <= count_tokens(text) * 0.2
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M)
    assert len(failed) >= 5
    assert all(test_id in result.text for test_id in failed)
    e_lines = [line for line in text.split("\n") if line.startswith("E ")]
    assert e_lines and all(line in result.text.split("\n") for line in e_lines)
    assert "passing tests in tests/test_math.py" in result.text
    # Verbose per-test failure lines and the summary line survive.
    assert "tests/test_math.py::test_mean_empty FAILED" in result.text
    assert result.text.rstrip().split("\n")[-1].startswith("= 5 failed")


def test_pytest_captured_output_keeps_its_ends() -> None:
    text, ctx, _ = load("pytest_verbose")
    out = run(text, ctx)
    assert "loading config from inline string" in out
    assert "  step 39: tokenising chunk 19" in out
    assert "  step 20: tokenising chunk 18" not in out
    assert "lines of captured output" in out


def test_library_source_is_folded_but_the_raising_line_stays() -> None:
    text, ctx, _ = load("pytest_verbose")
    out = run(text, ctx)
    assert "lines of library source" in out
    assert ">           obj, end = self.scan_once(s, idx)" in out
    assert '        """Decode a JSON document from ``s`` (a ``str`` beginning with' not in out


def test_unittest_folds_passing_tests_per_class() -> None:
    text, ctx, _ = load("unittest_verbose")
    out = run(text, ctx)
    assert "180 passing tests" in out and "tests.test_stock.StockBulkTest" in out
    assert "FAIL: test_totals_by_sku (tests.test_stock.StockAddTest.test_totals_by_sku)" in out
    assert "ValueError: day is out of range for month" in out


def test_cargo_warnings_fold_after_one_of_each_kind() -> None:
    text, ctx, _ = load("cargo_build_errors")
    out = run(text, ctx)
    assert out.count("warning: unused variable:") < text.count("warning: unused variable:")
    assert re.search(r"\d+ more warnings \(unused variable: … ×\d+", out)
    for header in re.findall(r"^error\[E\d+\]: .*$", text, re.M):
        assert header in out
    assert 'warning: `orders` (bin "orders") generated 72 warnings' in out


def test_repeated_build_commands_fold() -> None:
    text, ctx, _ = load("make_gcc_errors")
    out = run(text, ctx)
    assert "lines like the one above" in out
    assert out.count("gcc -Wall") < text.count("gcc -Wall") / 4


# --------------------------------------------------------------------------- hand-made cases


def pytest_v(passed: int, failures: dict[int, str]) -> str:
    lines = [
        "============================= test session starts ==============================",
        "platform linux -- Python 3.11.7, pytest-9.2.0, pluggy-1.7.0",
        "rootdir: /home/dev/project",
        f"collected {passed + len(failures)} items",
        "",
    ]
    for i in range(passed + len(failures)):
        status = "FAILED" if i in failures else "PASSED"
        lines.append(
            f"tests/test_{i // 100}.py::test_case[{i}] {status}    [{i * 100 // (passed + 1):3d}%]"
        )
    lines += [
        "",
        "=================================== FAILURES ===================================",
    ]
    for i, msg in failures.items():
        lines += [
            f"_________________________ test_case[{i}] _________________________",
            "",
            f"    def test_case(n={i}):",
            ">       assert check(n)",
            f"E       {msg}",
            "",
            f"tests/test_{i // 100}.py:12: AssertionError",
        ]
    lines += ["=========================== short test summary info ============================"]
    lines += [
        f"FAILED tests/test_{i // 100}.py::test_case[{i}] - {msg}" for i, msg in failures.items()
    ]
    lines.append(f"========== {len(failures)} failed, {passed} passed in 1.23s ==========")
    return "\n".join(lines) + "\n"


def test_passing_lines_fold_into_one_marker_naming_the_files() -> None:
    text = pytest_v(300, {})
    out = run(text, bash("pytest -v"))
    (marker,) = markers(out)
    assert "300 passing tests" in marker
    assert "tests/test_0.py: 100" in marker and "tests/test_2.py: 100" in marker
    assert out.rstrip().endswith("========== 0 failed, 300 passed in 1.23s ==========")


def test_failures_between_passing_runs_stay() -> None:
    text = pytest_v(400, {17: "assert 1 == 2", 250: "AssertionError: boom"})
    out = run(text, bash("pytest -v"))
    assert "tests/test_0.py::test_case[17] FAILED" in out
    assert "tests/test_2.py::test_case[250] FAILED" in out
    assert "E       assert 1 == 2" in out and "E       AssertionError: boom" in out
    assert len(markers(out)) == 3
    assert ordered_subset(text, out)


def test_ansi_colours_and_redraws_are_cleaned() -> None:
    text = pytest_v(200, {3: "assert 0"})
    coloured = re.sub(r"(FAILED|PASSED)", "\x1b[32m\\1\x1b[0m", text)
    coloured = coloured.replace("collected", "collecting ... \rcollected")
    out = run(coloured, bash("pytest -v"))
    assert "\x1b[" not in out and "\r" not in out
    assert "tests/test_0.py::test_case[3] FAILED    [  1%]" in out
    assert "197 passing tests" in out


def test_crlf_lines_are_kept_byte_exact() -> None:
    text = pytest_v(150, {5: "assert 1"}).replace("\n", "\r\n")
    out = run(text, bash("pytest -v"))
    assert "E       assert 1\r" in out.split("\n")
    assert "145 passing tests" in out
    assert ordered_subset(text, out)


def test_python_traceback_folds_long_library_runs() -> None:
    frames = []
    for k in range(8):
        frames += [
            f'  File "/usr/lib/python3.11/site-packages/lib/mod{k}.py", line {10 + k}, in call{k}',
            f"    return call{k + 1}(x)",
        ]
    text = "\n".join(
        ["Running migrations..."] * 3
        + [
            "Traceback (most recent call last):",
            '  File "/app/manage.py", line 22, in <module>',
            "    main()",
        ]
        + frames
        + ["RuntimeError: database is locked", "", "done"]
    )
    out = run(text, bash("python manage.py test"))
    assert "RuntimeError: database is locked" in out
    assert '  File "/app/manage.py", line 22, in <module>' in out
    assert "mod0.py" in out and "mod7.py" in out
    assert "mod3.py" not in out
    assert "6 library frames" in out


def test_go_jest_npm_shapes() -> None:
    go = "\n".join(
        [f"=== RUN   TestParse/case_{i}\n--- PASS: TestParse/case_{i} (0.00s)" for i in range(50)]
        + [
            "=== RUN   TestServe",
            "    server_test.go:42: expected status 200, got 500",
            "--- FAIL: TestServe (0.01s)",
            "FAIL",
            "FAIL\tgithub.com/acme/app/internal/server\t0.031s",
        ]
    )
    out = run(go, bash("go test -v ./..."))
    assert "    server_test.go:42: expected status 200, got 500" in out
    assert "--- FAIL: TestServe (0.01s)" in out
    assert "50 passing tests in TestParse" in out

    jest = "\n".join(
        ["PASS src/a.test.js", "FAIL src/b.test.js", "  ● Client › retries", "", "    Expected: 3"]
        + ["    Received: 1", "", "      at Object.toBe (src/b.test.js:42:28)"]
        + [f"      at fn{i} (node_modules/jest-circus/build/run.js:{i}:3)" for i in range(6)]
        + ["", "  Suite"]
        + [f"    ✓ renders case {i} ({i} ms)" for i in range(30)]
        + ["", "Tests:       1 failed, 30 passed, 31 total", "Time:        2.3 s"]
    )
    out = run(jest, bash("npx jest"))
    assert "  ● Client › retries" in out and "    Received: 1" in out
    assert "library frames" in out and "30 passing tests" in out
    assert "Tests:       1 failed, 30 passed, 31 total" in out

    npm = "\n".join(
        [f"npm WARN deprecated pkg{i}@1.0.{i}: this package is deprecated" for i in range(40)]
        + ["npm ERR! code ERESOLVE", "npm ERR! ERESOLVE unable to resolve dependency tree"]
    )
    out = run(npm, bash("npm install"))
    assert (
        "npm ERR! code ERESOLVE" in out
        and "npm ERR! ERESOLVE unable to resolve dependency tree" in out
    )
    assert "lines like the one above" in out


def test_long_plain_stretches_keep_their_ends_and_error_lines() -> None:
    lines = [
        f"  Compiling crate_{i} v0.{i}.0 (registry)" if i % 2 else f"step {i}: {'x' * (i % 7)} done"
        for i in range(200)
    ]
    lines[120] = "error: linker `cc` not found"
    text = "\n".join(lines)
    out = run(text, bash("cargo build"))
    assert "error: linker `cc` not found" in out
    assert lines[119] in out  # context before an error
    assert lines[0] in out and lines[-1] in out
    assert len(out) < len(text) / 2


def test_nothing_to_drop_returns_none() -> None:
    text = "\n".join(f"src/m{i}.py:{i}: error: incompatible type [arg-type]" for i in range(40))
    assert logs.compress(text, bash("mypy src")) is None


def test_long_plain_lines_drop_but_long_error_lines_stay() -> None:
    blob = "data:" + "A" * 5000
    bad = "error: " + "B" * 5000
    text = "\n".join(["start", *[f"line {i}" for i in range(20)], blob, bad, "end"])
    out = run(text, bash("make"))
    assert blob not in out and bad in out
    assert "a line of 5,005 characters" in out


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "\r\n" * 50,
        "x" * 100_000,
        "\x00\x1b[31m\x1b]0;title\x07\r\r\n" * 300,
        "".join(chr(random.Random(1).randrange(0x20, 0x3000)) for _ in range(20_000)),
        "FAILED\n" * 500,
        "E\n" * 500,
        "Traceback (most recent call last):\n" * 300,
        '  File "x", line 1\n' * 300,
        "=" * 80 + "\n" + "___ x ___\n" * 200,
        "---- t stdout ----\n" * 200,
        "error: x\n  |\n" * 200,
        "a:1: in f\n" * 300,
    ],
)
def test_junk_never_raises(text: str) -> None:
    ctx = bash("pytest -q")
    plan = logs.compress(text, ctx)
    if plan is not None:
        out, _ = render(text, plan, ctx)
        assert ordered_subset(text, out)
    result = compress(text, ctx)
    assert count_tokens(result.text) <= count_tokens(text)


_LOG_LINES = st.sampled_from(
    [
        "tests/test_a.py::test_ok[1] PASSED                 [ 10%]",
        "tests/test_b.py::test_ok[2] PASSED                 [ 20%]",
        "tests/test_b.py::test_bad FAILED                   [ 30%]",
        "E       assert 1 == 2",
        "FAILED tests/test_b.py::test_bad - assert 1 == 2",
        "........................................ [ 50%]",
        "test foo::bar ... ok",
        "test foo::baz ... FAILED",
        "src/x.c:1:2: error: expected ';'",
        "warning: unused variable: `x`",
        "  Compiling dep v1.0.0",
        "Traceback (most recent call last):",
        '  File "/usr/lib/python3.11/json/decoder.py", line 1, in f',
        "    raise ValueError",
        "ValueError: bad",
        "",
        "random chatter 123",
        "random chatter 456",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LOG_LINES, min_size=1, max_size=400))
def test_generated_logs_keep_every_failure_line(lines: list[str]) -> None:
    text = "\n".join(lines)
    ctx = bash("pytest")
    out = run(text, ctx)
    assert ordered_subset(text, out)
    out_lines = set(out.split("\n"))
    for line in lines:
        if "FAIL" in line or line.startswith(("E ", "src/x.c")) or line == "ValueError: bad":
            assert line in out_lines
    assert run(text, ctx) == out
