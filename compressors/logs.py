"""Test-runner and build logs: pytest, unittest, cargo, go test, jest, make/gcc, tsc, pip...

What survives: every error, failure and summary line (``E `` lines, ``FAILED``
ids, ``error[E0308]``, ``test result:``, ``=== 3 failed ... ===``) with a line
or two of context; whole failure reports (pytest FAILURES sections, unittest
FAIL blocks, Python tracebacks, cargo ``---- x stdout ----`` sections, compiler
diagnostics); the head and the tail of the output. What goes: passing-test
lines (one marker per run, naming the files), progress dots, near-duplicate
lines, the middle of long stretches of build chatter, the middle of long
captured output, runs of library frames inside tracebacks, and the details of
warnings once a few have been shown in full.

The module is pure and linear: one pass classifies lines (cheap character and
substring gates before any anchored, bounded regex), error and warning words are
found by substring scans over the whole text, failure regions are walked by
small forward scanners from the starts that pass recorded, and consecutive
plain lines are compared with rapidfuzz (on masked shapes when the raw lines
are close but not close enough).
"""

from __future__ import annotations

import operator
import re
import shlex
from bisect import bisect_right
from collections import Counter
from itertools import accumulate, groupby, pairwise, repeat
from itertools import compress as compress_items

from rapidfuzz.fuzz import ratio
from trimline.compressors import traces
from trimline.compressors.base import MARKER_PREFIX, Context, Plan
from trimline.compressors.text import clean, mask

KIND = "logs"

HEAD = 5  # first lines always kept
TAIL = 10  # last lines always kept
BEFORE = 1  # context kept before an error line
AFTER = 2  # ... and after it
SIMILAR = 90  # rapidfuzz ratio of masked shapes above which consecutive lines are repeats
SHAPE_CUTOFF = 50  # raw lines less alike than this are not worth masking to compare
RUN_MAX = 20  # a longer stretch of plain output keeps only its ends
RUN_HEAD = 6
RUN_TAIL = 6
CAPTURE_MAX = 10  # captured output longer than this keeps only its ends
CAPTURE_HEAD = 3
CAPTURE_TAIL = 3
LISTING_MAX = 14  # source lines shown before the failing line of a frame
LIB_RUN = 3  # this many consecutive library frames get their middle folded
WARN_FULL = 8  # at most this many warnings shown in full, one per kind; the rest fold
WARN_KEEP = 12  # distinct warnings kept from the middle of a long stretch of output
LONG_LINE = 2000  # a plain line longer than this is dropped (error lines never are)
BLOCK_MAX = 60  # a diagnostic or failure block longer than this keeps only its ends
PROBE = 1000  # classification looks at most at this many characters of a line

# --------------------------------------------------------------------------- claims

_SEGMENTS = re.compile(r"&&|\|\||[;|&\n()`]|\$\(")
_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = re.compile(r"^(?:python(?:\d+(?:\.\d+)?)?|pypy\d*(?:\.\d+)?|py)$")

_TOOLS = frozenset(
    """
    pytest py.test tox nox nosetests nose2 trial ward behave jest vitest mocha ava karma jasmine
    tap tsc vue-tsc mypy dmypy pyright basedpyright ruff flake8 pylint pyflakes pycodestyle
    bandit eslint tslint stylelint biome rubocop rspec rake phpunit pest make gmake cmake ctest
    ninja meson scons bazel bazelisk gcc g++ cc c++ clang clang++ gfortran rustc javac kotlinc
    scalac mvn mvnw gradle gradlew ant sbt msbuild xcodebuild pre-commit golangci-lint
    staticcheck webpack rollup esbuild turbo nx lerna configure coverage cargo-nextest nextest
    """.split()  # noqa: SIM905
)
_SUBCOMMANDS: dict[str, frozenset[str]] = {
    name: frozenset(subs.split())
    for name, subs in {
        "npm": "test t tst run run-script install i ci add build exec rebuild update up audit",
        "yarn": "test run install add build exec",
        "pnpm": "test t run run-script install i add build exec rebuild",
        "bun": "test install i run build add",
        "cargo": "build b test t check c clippy run r bench nextest install doc miri",
        "go": "test build vet install generate",
        "pip": "install download wheel",
        "uv": "pip sync build add lock",
        "poetry": "install build add update lock",
        "pdm": "install build add sync",
        "hatch": "build test",
        "dotnet": "build test restore publish",
        "swift": "build test",
        "zig": "build test",
        "mix": "test compile",
        "deno": "test check lint compile",
        "docker": "build",
        "node": "--test",
    }.items()
}
_RUN_WRAPPERS = {
    "uv": "run",
    "poetry": "run",
    "pipenv": "run",
    "pdm": "run",
    "hatch": "run",
    "rye": "run",
    "conda": "run",
    "mamba": "run",
    "micromamba": "run",
    "bundle": "exec",
    "pnpm": "exec",
    "yarn": "exec",
}
_PLAIN_WRAPPERS = frozenset(
    """
    sudo time nice nohup command exec xvfb-run ionice chronic unbuffer builtin
    """.split()  # noqa: SIM905
)
_ARG_OPTIONS = frozenset(
    """
    -n --name -p --prefix --with --python -e --env --extra --group --package --directory
    --project -C --cwd --filter -u -k -s -X -W
    """.split()  # noqa: SIM905
)


def _tokens(segment: str) -> list[str]:
    try:
        return shlex.split(segment)
    except ValueError:
        return segment.split()


def _skip_options(argv: list[str], i: int) -> int:
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in _ARG_OPTIONS and "=" not in argv[i] else 1
    return i


def _argv_claims(argv: list[str], depth: int) -> bool:
    i = 0
    while i < len(argv):
        word = argv[i]
        base = word.rsplit("/", 1)[-1]
        if _ENV_ASSIGN.match(word) or word in ("!", "{", "}"):
            i += 1
        elif base in _PLAIN_WRAPPERS or base in ("npx", "bunx", "pnpx"):
            i = _skip_options(argv, i + 1)
        elif base == "env":
            i += 1
            while i < len(argv) and (argv[i].startswith("-") or _ENV_ASSIGN.match(argv[i])):
                i += 2 if argv[i] == "-u" else 1
        elif base in ("timeout", "gtimeout"):
            i = _skip_options(argv, i + 1) + 1  # the duration
        elif base == "stdbuf":
            i = _skip_options(argv, i + 1)
        elif base in _RUN_WRAPPERS and i + 1 < len(argv) and argv[i + 1] == _RUN_WRAPPERS[base]:
            i = _skip_options(argv, i + 2)
        elif base in ("bash", "sh", "zsh", "dash"):
            j = i + 1
            while j < len(argv) and argv[j].startswith("-"):
                if "c" in argv[j] and not argv[j].startswith("--") and j + 1 < len(argv):
                    return depth < 3 and _command_claims(argv[j + 1], depth + 1)
                j += 1
            return False
        else:
            break
    if i >= len(argv):
        return False
    base = argv[i].rsplit("/", 1)[-1]
    rest = argv[i + 1 :]
    if base in _TOOLS:
        return True
    if _PYTHON.match(base):
        return _python_claims(rest)
    if re.match(r"^pip\d*(?:\.\d+)?$", base):
        base = "pip"
    subs = _SUBCOMMANDS.get(base)
    if subs is None:
        return False
    if base == "node":
        return "--test" in rest
    first = next((w for w in rest if not w.startswith("-")), "")
    if base == "uv" and first == "pip":
        return any(w in ("install", "sync", "compile") for w in rest[:3])
    if base == "yarn" and not first:
        return True  # bare `yarn` installs
    if base in ("yarn", "pnpm", "bun") and first in _TOOLS:
        return True
    return first in subs


def _python_claims(rest: list[str]) -> bool:
    i = 0
    while i < len(rest) and rest[i].startswith("-"):
        opt = rest[i]
        if opt == "-m" and i + 1 < len(rest):
            module = rest[i + 1]
            after = rest[i + 2 :]
            if module == "pip":
                return bool(after) and after[0] in _SUBCOMMANDS["pip"]
            return module in _TOOLS or module in (
                "unittest",
                "nose",
                "build",
                "compileall",
                "py_compile",
                "doctest",
                "pytest",
            )
        if opt == "-c":
            return False
        i += 2 if opt in ("-X", "-W") else 1
    if i >= len(rest):
        return False
    script = rest[i].rsplit("/", 1)[-1]
    args = rest[i + 1 :]
    if script in ("runtests.py", "run_tests.py", "runtest.py"):
        return True
    if script == "manage.py":
        return bool(args) and args[0] == "test"
    if script == "setup.py":
        return any(
            a in ("build", "build_ext", "test", "install", "develop", "bdist_wheel") for a in args
        )
    return bool(re.match(r"^(?:test_\w*|\w*_tests?|tests?)\.py$", script))


def _command_claims(command: str, depth: int = 0) -> bool:
    return any(_argv_claims(_tokens(seg), depth) for seg in _SEGMENTS.split(command) if seg.strip())


def claims(ctx: Context) -> bool:
    command = ctx.command
    if not command or len(command) > 10_000:
        return False
    return _command_claims(command)


# --------------------------------------------------------------------------- sniff

_SNIFF = re.compile(
    r"""^(?:
      =+\ test\ session\ starts\ =+
    | =+\ (?:FAILURES|ERRORS|short\ test\ summary\ info)\ =+
    | =+\ .*\b\d+\ (?:passed|failed)\b.*\ in\ [\d.]+s.*=+
    | (?:FAILED|ERROR)\ \S+\.py::\S
    | \S+\.py::\S.*\ (?:PASSED|FAILED|ERROR)\b.*
    | error\[E\d{4}\]:\ .*
    | test\ result:\ (?:ok|FAILED)\.\ \d+\ passed.*
    | npm\ (?:ERR!|error)\ .*
    | Ran\ \d+\ tests?\ in\ [\d.]+s
    | ---\ (?:FAIL|PASS):\ \S+.*
    | make(?:\[\d+\])?:\ \*\*\*\ .*
    | \s*\S+:\d+:\d+:\ (?:fatal\ error|error|warning):\ .*
    | \S+\(\d+,\d+\):\ error\ TS\d+:.*
    | Found\ \d+\ errors?\ in\ \d+\ files?\ .*
    | Found\ \d+\ errors?\.(?:\ .*)?
    | ✖\ \d+\ problems?\ \(\d+\ errors?,\ \d+\ warnings?\)
    | Tests:\s+\d+\ (?:failed|passed).*
    | \s+Compiling\ \S+\ v\d.*
    | \s*(?:Successfully\ installed|Requirement\ already\ satisfied:)\ .*
    | [.sxXFE]{20,}\s*(?:\[\s*\d+%\])?
    )\r?$""",
    re.VERBOSE | re.MULTILINE,
)
_SNIFF_OK = re.compile(r" \.\.\. ok\r?$", re.MULTILINE)


def sniff(text: str, ctx: Context) -> bool:
    head = text[:16_000]
    head = "\n".join(head.split("\n", 200)[:200])
    chunks = (head, text[-4_000:]) if len(text) > 16_000 else (head,)
    for chunk in chunks:
        chunk = clean(chunk)
        if _SNIFF.search(chunk) or len(_SNIFF_OK.findall(chunk)) >= 5:
            return True
    return False


# --------------------------------------------------------------------------- classification

OTHER, WARN, MUST, PASS, PROG = range(5)  # PASS and PROG (and above) fold by default

# Error and warning words are found by substring scans over the whole text
# (fast), then confirmed on the few lines that contain one (exact).
_BAD_NEEDLES = (
    "rror", "RROR", "ail", "AIL", "atal", "ATAL", "anic", "ANIC", "raceback", "xception",
    "XCEPTION", "bort", "BORT", "egmentation fault", "ore dumped", "ndefined reference",
    "nresolved external", "ermission denied", "imed out",
)  # fmt: skip
_WARN_NEEDLES = ("arn", "ARN", "eprecat", "EPRECAT")
_BAD_WORDS = re.compile(
    r"\b(?:errors?|fail(?:ed|s|ure|ures|ing)?|fatal|panic(?:ked)?|traceback|exception|abort(?:ed)?"
    r"|segmentation\ fault|core\ dumped|undefined\ reference|unresolved\ external"
    r"|permission\ denied|timed\ out)\b"
    r"|[a-z](?:Error|Exception|Exit|Interrupt)\b",
    re.IGNORECASE | re.VERBOSE,
)
_WARN_WORDS = re.compile(r"\b(?:warn(?:ing|ings|s)?|deprecated)\b|[a-z]Warning\b", re.IGNORECASE)
_COMMAND_ECHO = re.compile(
    r"\s*(?:\S{0,200}/)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|ld|ar|ranlib|libtool|nvcc|rustc"
    r"|javac|x86_64-linux-gnu-gcc)(?:-\d+)?\s|\+\s"
)

_PT_VERBOSE = re.compile(
    r"(?:\[gw\d{1,4}\] (?:\[\s*\d{1,3}%\] )?)?(?P<id>[^\s:]{1,400}::\S.{0,800}?) "
    r"(?P<st>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b"
)
_PT_RESULT_FIRST = re.compile(
    r"(?:\[gw\d{1,4}\] (?:\[\s*\d{1,3}%\] )?)?(?P<st>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) "
    r"(?:\[\d{1,6}\] )?(?P<id>[^\s:]{1,400})"
)
_JEST_FILE = re.compile(r"(?P<st>PASS|FAIL) (?P<file>\S{1,400})")
_GO_RESULT = re.compile(r"--- (?P<st>PASS|FAIL|SKIP): (?P<name>\S{1,400})")
_CARGO_RUNNING = re.compile(r"(?:Running (?:unittests |tests? )?|Doc-tests )(?P<target>\S{1,400})")
_PT_SECTION = re.compile(r"=+ (?P<title>.{1,200}?) =+$")
_PT_TEST_HEAD = re.compile(r"_{3,} (?P<name>.{1,400}?) _{3,}$")
_PT_SEP = re.compile(r"(?:_ ){6,}_?\s*$")
_PT_CAPTURED = re.compile(r"-{3,} (?P<title>.{1,200}?) -{3,}$")
_UT_HEAD = re.compile(r"(?:FAIL|ERROR|UNEXPECTED SUCCESS): \S")
_CARGO_OUT = re.compile(r"---- \S{1,400} (?:stdout|stderr) ----$")
_DIAG_RUST = re.compile(r"(?P<sev>error|warning)(?:\[[A-Za-z]{0,10}\d{1,6}\])?: ")
_DIAG_C = re.compile(
    r"\s*\S[^:]{0,400}:\d{1,7}(?::\d{1,7})?: (?P<sev>fatal error|error|warning|note)(?:\[[^\]]{1,80}\])?: "
)
_SUMMARY_START = re.compile(
    r"""(?:
      Exit\ code\ \d+
    | \d+\ (?:failed|passed|errors?|skipped|deselected)\b.{0,300}\ in\ [\d.]+s.*
    | Ran\ \d+\ tests?\ in\ .*
    | OK(?:\ \(.*\))?$
    | FAILED\ \(.*\)$
    | test\ result:\ .*
    | Tests?:\s+\d+.*
    | Test\ Suites:\s.*
    | Snapshots:\s.*
    | (?:ok|FAIL|PASS)(?:\s+\S+\s+(?:[\d.]+s|\(cached\)).*)?$
    | Found\ \d+\ errors?.*
    | Success:\ no\ issues\ found.*
    | All\ checks\ passed.*
    | \d+\ (?:passing|failing|pending)\b.*
    | Successfully\ (?:installed|built)\ .*
    | BUILD\ (?:SUCCESSFUL|FAILED|SUCCESS|FAILURE).*
    | \[(?:INFO|ERROR)\]\ (?:BUILD|Tests\ run:).*
    | Finished\ .*\ target\(s\)\ in\ .*
    | Running\ .*\(target/.*\)$
    | Doc-tests\ .*
    )""",
    re.VERBOSE,
)
# Linters: ruff's "F401 [*] `os` imported but unused", flake8/pylint/ruff-concise
# "src/x.py:3:1: F401 ..." and "src/x.py:3:0: C0114: ...".
_LINT = re.compile(
    r"(?P<loc>[^\s:][^:]{0,400}:\d{1,7}:(?:\d{1,7}:)? )?(?P<code>[A-Z]{1,4}\d{3,4})(?::? \S|$)"
)
_LINT_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz./_~")
_JEST_MARKS_PASS = frozenset("✓√✔")
_JEST_MARKS_SKIP = frozenset("○◌")
_JEST_MARKS_FAIL = frozenset("✕×✗✘●")
_JEST_MARKS = _JEST_MARKS_PASS | _JEST_MARKS_SKIP | _JEST_MARKS_FAIL
_GO_PROGRESS_PREFIXES = ("=== RUN", "=== PAUSE", "=== CONT", "=== NAME")


class _Log:
    """Per-line facts and decisions for one log."""

    def __init__(self, source: str) -> None:
        self.source = source
        lines = source.split("\n")
        n = len(lines)
        self.lines = lines
        self.n = n
        if "\r" in source or (n and max(map(len, lines)) > PROBE):
            self.probe = [line[:PROBE].rstrip("\r") for line in lines]
        else:
            self.probe = lines
        self.cat = [OTHER] * n
        self.must = bytearray(n)
        self.region = bytearray(n)  # inside a failure report: kept unless folded
        self.fold: list[tuple | None] = [None] * n  # why a line is dropped
        self.keep = bytearray(n)
        # Where the region scanners start.
        self.sections: list[int] = []
        self.ut_heads: list[int] = []
        self.tracebacks: list[int] = []
        self.cargo_outs: list[int] = []
        self.go_fails: list[int] = []
        self.jest_blocks: list[int] = []
        self.diags: list[int] = []

    def fold_range(self, start: int, end: int, label: tuple) -> None:
        """Drop lines start..end-1 unless they must stay or are already folded."""
        must, fold = self.must, self.fold
        for i in range(max(start, 0), min(end, self.n)):
            if not must[i] and fold[i] is None:
                fold[i] = label

    def keep_region(self, start: int, end: int) -> None:
        start, end = max(start, 0), min(end, self.n)
        if end > start:
            self.region[start:end] = b"\x01" * (end - start)


_BAD_LOWER = (
    "error", "fail", "fatal", "panic", "traceback", "exception", "abort", "segmentation fault",
    "core dumped", "undefined reference", "unresolved external", "permission denied", "timed out",
)  # fmt: skip
_WARN_LOWER = ("warn", "deprecated")


def _word_lines(lg: _Log) -> tuple[list[int], list[int]]:
    """Lines that may hold an error word, and lines that may hold a warning word.

    Substring scans over the whole text (no regex, no per-line work); the caller
    confirms each hit with a regex on its line.
    """
    source, lines = lg.source, lg.lines
    if source.isascii():
        hay = source.lower()
        bad, warn = _BAD_LOWER, _WARN_LOWER
    else:
        hay = source
        bad, warn = _BAD_NEEDLES, _WARN_NEEDLES
    offsets: list[int] = []
    found = []
    for needles in (bad, warn):
        hits: set[int] = set()
        for needle in needles:
            pos = hay.find(needle)
            if pos < 0:
                continue
            if not offsets:
                offsets = list(
                    map(operator.add, accumulate(map(len, lines), initial=0), range(len(lines) + 1))
                )
            while pos >= 0:
                i = bisect_right(offsets, pos) - 1
                hits.add(i)
                pos = hay.find(needle, offsets[i + 1])  # one hit per line is enough
        found.append(sorted(hits))
    return found[0], found[1]


def _progress(s: str) -> tuple[str | None, str, bool] | None:
    """pytest/unittest progress: "tests/test_a.py ..F.s  [ 12%]" -> (file, marks, has_pct)."""
    body = s.rstrip()
    pct = False
    if body.endswith("%]"):
        k = body.rfind("[")
        if k < 0 or not body[k + 1 : -2].strip().isdigit():
            return None
        body = body[:k].rstrip()
        pct = True
    file = None
    if " " in body:
        file, body = body.split(" ", 1)
        body = body.strip()
        if "." not in file or " " in body:
            return None
    if not body or body.strip(".sxXFE"):
        return None
    return file, body, pct


_DOTS_STATUS = frozenset(
    ("ok", "FAIL", "FAILED", "ERROR", "expected failure", "unexpected success")
)


def _dots_result(s: str) -> tuple[str, str] | None:
    """unittest -v / cargo test: "name ... ok" -> (name, status)."""
    k = s.rfind(" ... ")
    st = s[k + 5 :].rstrip()
    if st in _DOTS_STATUS or st.startswith(("skipped", "ignored", "bench:")):
        name = s[:k].strip()
        if name.startswith("test "):
            name = name[5:]
        return (name, st) if name else None
    return None


def _unittest_class(name: str) -> str | None:
    """ "test_x (pkg.mod.Class.test_x)" -> "pkg.mod.Class"; "test_x (pkg.mod.Class)" -> "pkg.mod.Class"."""
    left = name.find(" (")
    right = name.find(")", left)
    if left < 0 or right < 0:
        return None
    inside = name[left + 2 : right]
    if not inside or " " in inside:
        return None
    head, _, last = inside.rpartition(".")
    return head if head and last == name[:left] else inside


_SUMMARY_PREFIXES: dict[str, tuple[str, ...]] = {
    "E": ("Exit code ",),
    "R": ("Ran ", "Running "),
    "O": ("OK",),
    "F": ("FAILED (", "Found ", "FAIL", "Finished "),
    "t": ("test result: ",),
    "T": ("Test",),
    "S": ("Snapshots:", "Success:", "Successfully "),
    "o": ("ok",),
    "P": ("PASS",),
    "A": ("All checks passed",),
    "B": ("BUILD ",),
    "[": ("[INFO] BUILD", "[ERROR] BUILD", "[INFO] Tests run:", "[ERROR] Tests run:"),
    "D": ("Doc-tests ",),
}


def _is_summary(t: str, t0: str) -> bool:
    if t0.isdigit():
        hit = (
            (" in " in t and ("passed" in t or "failed" in t or "error" in t))
            or "passing" in t
            or "failing" in t
            or "pending" in t
        )
        return hit and bool(_SUMMARY_START.match(t))
    prefixes = _SUMMARY_PREFIXES.get(t0)
    return bool(prefixes and t.startswith(prefixes) and _SUMMARY_START.match(t))


def _classify(lg: _Log) -> None:
    probe, cat, must, fold = lg.probe, lg.cat, lg.must, lg.fold
    labels: dict[tuple, tuple] = {}  # interned, so runs of equal labels compare by identity
    target = None  # the current cargo test binary
    after_failures = False
    for i, s in enumerate(probe):
        if not s or s.isspace():
            after_failures = False
            continue
        c0 = s[0]
        if c0 == " " or c0 == "\t":
            t = s.lstrip()
            t0 = t[0]
        else:
            t, t0 = s, c0
        # ---- passing tests and progress
        if "::" in s and (
            " PASSED" in s
            or " SKIPPED" in s
            or " XFAIL" in s
            or " FAILED" in s
            or " ERROR" in s
            or " XPASS" in s
        ):
            m = _PT_VERBOSE.match(s)
            if m:
                st = m.group("st")
                if st in ("PASSED", "SKIPPED", "XFAIL"):
                    key = m.group("id").split("::", 1)[0]
                    cat[i] = PASS
                    fold[i] = labels.setdefault(("pass", key, st), ("pass", key, st))
                elif st == "XPASS":
                    cat[i] = WARN
                else:
                    cat[i] = MUST
                    must[i] = 1
                continue
        if c0 in "PFESX[" and (m := _PT_RESULT_FIRST.match(s)):
            st = m.group("st")
            if st in ("PASSED", "SKIPPED", "XFAIL"):
                key = m.group("id").split("::", 1)[0]
                cat[i] = PASS
                fold[i] = labels.setdefault(("pass", key, st), ("pass", key, st))
            elif st == "XPASS":
                cat[i] = WARN
            else:
                cat[i] = MUST
                must[i] = 1
            continue
        if " ... " in s and (r := _dots_result(s)):
            name, st = r
            if st == "ok" and target and "(" not in name:
                cat[i] = PASS  # the common case of cargo test, spelled out for speed
                fold[i] = labels.setdefault(("pass", target, "PASSED"), ("pass", target, "PASSED"))
                continue
            if st in ("FAIL", "FAILED", "ERROR"):
                cat[i] = MUST
                must[i] = 1
            elif st == "unexpected success":
                cat[i] = WARN
            else:
                key = _unittest_class(name) if "(" in name else None
                if key is None:
                    key = target or (name.rsplit("::", 1)[0] if "::" in name else None)
                kind = "PASSED" if st == "ok" or st.startswith("bench") else "SKIPPED"
                if st == "expected failure":
                    kind = "XFAIL"
                cat[i] = PASS
                fold[i] = labels.setdefault(("pass", key, kind), ("pass", key, kind))
            continue
        if (c0 in ".sxXFE" or s.endswith("%]")) and (p := _progress(s)):
            file, marks, pct = p
            if pct or file or len(marks) >= 8:
                if "F" in marks or "E" in marks:
                    cat[i] = MUST
                    must[i] = 1
                else:
                    cat[i] = PROG
                    x = marks.count("x") + marks.count("X")
                    fold[i] = ("prog", file, marks.count("."), marks.count("s"), x)
                continue
        if t0 in _JEST_MARKS:
            if t0 in _JEST_MARKS_FAIL:
                if t0 != "●" or not t.startswith("● Console"):
                    cat[i] = MUST
                    must[i] = 1
                    if t0 == "●":
                        lg.jest_blocks.append(i)
                continue
            if c0 == " ":
                kind = "PASSED" if t0 in _JEST_MARKS_PASS else "SKIPPED"
                cat[i] = PASS
                fold[i] = labels.setdefault(("pass", None, kind), ("pass", None, kind))
                continue
        elif t0 == "=":
            if t.startswith(_GO_PROGRESS_PREFIXES):
                cat[i] = PROG
                fold[i] = ("goprog",)
                continue
            if c0 == "=" and s.startswith("==") and _PT_SECTION.match(s):
                lg.sections.append(i)
                cat[i] = MUST
                must[i] = 1
                continue
        elif t0 == "-":
            if t.startswith("--- ") and (m := _GO_RESULT.match(t)):
                if m.group("st") == "FAIL":
                    cat[i] = MUST
                    must[i] = 1
                    lg.go_fails.append(i)
                else:
                    name = m.group("name").split("/", 1)[0]
                    kind = "PASSED" if m.group("st") == "PASS" else "SKIPPED"
                    cat[i] = PASS
                    fold[i] = labels.setdefault(("pass", name, kind), ("pass", name, kind))
                continue
            if s.startswith("---- ") and _CARGO_OUT.match(s):
                lg.cargo_outs.append(i)
        elif c0 in "PFEU":
            if (
                c0 in "PF"
                and (m := _JEST_FILE.match(s))
                and ("/" in m.group("file") or "." in m.group("file"))
            ):
                if m.group("st") == "FAIL":
                    cat[i] = MUST
                    must[i] = 1
                else:
                    cat[i] = PASS
                    fold[i] = ("suite", m.group("file"))
                continue
            if c0 != "P" and _UT_HEAD.match(s):
                lg.ut_heads.append(i)
            elif c0 == "E" and (len(s) == 1 or s[1] == " "):
                cat[i] = MUST  # pytest's "E   assert ..." lines
                must[i] = 1
                continue
        elif t0 == "T":
            if t.startswith("Traceback (most recent call last):"):
                lg.tracebacks.append(i)
        elif c0 in "ew" and _DIAG_RUST.match(s):
            lg.diags.append(i)
        if (
            (": error" in s or ": warning" in s or ": fatal" in s)
            and (not lg.diags or lg.diags[-1] != i)
            and (m := _DIAG_C.match(s))
            and m.group("sev") != "note"
        ):
            lg.diags.append(i)
        # ---- cargo test bookkeeping, summaries
        if c0 == " " and t0 in "RD" and (m := _CARGO_RUNNING.match(t)):
            target = m.group("target")
        elif s == "failures:":
            after_failures = True
            cat[i] = MUST
            must[i] = 1
            continue
        if after_failures and c0 == " " and " " not in t:
            cat[i] = MUST  # the failing test names cargo lists at the end
            must[i] = 1
            continue
        if c0 == "n" and s.startswith(("npm ERR!", "npm error")):
            cat[i] = MUST
            must[i] = 1
            continue
        if c0 in _LINT_FIRST and (m := _LINT.match(s)):
            cat[i] = MUST
            must[i] = 1
            if not m.group("loc"):
                lg.diags.append(i)  # ruff's full format: a header, then a snippet
            continue
        if ((t0 in _SUMMARY_PREFIXES or t0.isdigit()) and _is_summary(t, t0)) or s.startswith(
            MARKER_PREFIX
        ):
            cat[i] = MUST
            must[i] = 1
    lines = lg.lines
    bad, warn = _word_lines(lg)
    for i in bad:
        if cat[i] == OTHER:
            s = probe[i]
            if (
                _BAD_WORDS.search(s) or (len(lines[i]) > PROBE and _BAD_WORDS.search(lines[i]))
            ) and not _COMMAND_ECHO.match(s):
                cat[i] = MUST
                must[i] = 1
    for i in warn:
        if cat[i] == OTHER and _WARN_WORDS.search(probe[i]):
            cat[i] = WARN


# --------------------------------------------------------------------------- regions

_LIB_PATH = re.compile(
    r"site-packages|dist-packages|/lib/python\d|/lib64/python\d|<frozen |/usr/lib/|/rustc/"
    r"|/\.cargo/registry/|/\.rustup/|node_modules/|node:internal|^internal/|/usr/local/go/src/"
    r"|/go/pkg/mod/"
)
_PT_LOC = re.compile(r"(?P<path>[^\s:][^:]{0,400}):(?P<line>\d{1,7}):(?: (?P<what>.*))?$")


def _is_lib(path: str) -> bool:
    return bool(_LIB_PATH.search(path))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _fold_frame_runs(lg: _Log, frames: list[tuple[int, int, bool]]) -> None:
    """Frames are (start, end exclusive, is_library): fold the middle of long library runs."""
    run: list[tuple[int, int, bool]] = []

    def flush() -> None:
        if len(run) >= LIB_RUN:
            middle = run[1:-1]
            zero = ("libframes", 0)
            for start, end, _ in middle:
                lg.fold_range(start, end, zero)
            # The count rides on the first folded line, so a marker can report it once.
            for k in range(middle[0][0], middle[-1][1]):
                if lg.fold[k] is zero:
                    lg.fold[k] = ("libframes", len(middle))
                    break
        run.clear()

    for frame in frames:
        if frame[2] and run and run[-1][1] == frame[0]:
            run.append(frame)
        else:
            flush()
            if frame[2]:
                run.append(frame)
    flush()


def _pytest_sections(lg: _Log) -> None:
    probe = lg.probe
    bounds = [*lg.sections, lg.n]
    for i, j in pairwise(bounds):
        title = _PT_SECTION.match(probe[i]).group("title")
        if title in ("FAILURES", "ERRORS"):
            lg.keep_region(i, j)
            _pytest_failures(lg, i + 1, j)
        elif title == "PASSES":
            lg.fold_range(i + 1, j, ("passes",))


def _pytest_failures(lg: _Log, start: int, end: int) -> None:
    probe = lg.probe
    heads = [
        k for k in range(start, end) if probe[k].startswith("___") and _PT_TEST_HEAD.match(probe[k])
    ]
    for k in heads:
        lg.must[k] = 1
    bounds = [start, *heads, end]
    for a, b in pairwise(bounds):
        if b > a:
            _pytest_block(lg, a, b)


def _pytest_block(lg: _Log, start: int, end: int) -> None:
    probe = lg.probe
    caps = [
        k for k in range(start, end) if probe[k].startswith("---") and _PT_CAPTURED.match(probe[k])
    ]
    tb_end = caps[0] if caps else end
    for c, nxt in zip(caps, [*caps[1:], end], strict=False):
        lg.must[c] = 1
        # Captured output is plain output: repeats fold like anywhere else.
        if nxt > c + 1:
            lg.region[c + 1 : nxt] = bytes(nxt - c - 1)
        _cap_body(lg, c + 1, nxt, CAPTURE_MAX, CAPTURE_HEAD, CAPTURE_TAIL, ("captured",))
    # Chunks between "_ _ _ _" separators are traceback entries.
    seps = [
        k for k in range(start, tb_end) if probe[k].startswith("_ _") and _PT_SEP.match(probe[k])
    ]
    bounds = [start - 1, *seps, tb_end]
    short_frames: list[tuple[int, int, bool]] = []
    for a, b in pairwise(bounds):
        _pytest_chunk(lg, a + 1, b, short_frames)
    _fold_frame_runs(lg, short_frames)


def _pytest_chunk(lg: _Log, start: int, end: int, short_frames: list) -> None:
    probe = lg.probe
    if start >= end:
        return
    # Short entries: "path:N: in func" followed by indented source lines.
    k = start
    while k < end:
        s = probe[k]
        m = _PT_LOC.match(s) if ": in " in s else None
        if m and (m.group("what") or "").startswith("in "):
            j = k + 1
            while j < end and probe[j][:1] in (" ", "\t") and probe[j].strip():
                j += 1
            short_frames.append((k, j, _is_lib(m.group("path"))))
            k = j
        else:
            k += 1
    # A long entry ends with a location line "path:N: Exception" (or "path:N: ").
    last = end - 1
    while last > start and not probe[last].strip():
        last -= 1
    m = _PT_LOC.match(probe[last])
    if not m or (m.group("what") or "").startswith("in "):
        return
    arrows = [k for k in range(start, last) if probe[k][:2] == "> " or probe[k] == ">"]
    if _is_lib(m.group("path")):
        shown = {*arrows, *(k + 1 for k in arrows), last}
        for k in range(start, last):
            if k not in shown and probe[k][:1] != "E":
                lg.fold_range(k, k + 1, ("libsource",))
    elif arrows and arrows[0] - start > LISTING_MAX:
        lg.fold_range(start + 3, arrows[0] - 8, ("source",))


def _cap_body(
    lg: _Log, start: int, end: int, limit: int, head: int, tail: int, label: tuple
) -> None:
    if end - start > limit:
        lg.fold_range(start + head, end - tail, label)


def _unittest_blocks(lg: _Log) -> None:
    probe, n = lg.probe, lg.n
    heads = lg.ut_heads
    for h, i in enumerate(heads):
        limit = heads[h + 1] if h + 1 < len(heads) else n
        j = i + 1
        while j < limit:
            s = probe[j]
            if s[:10] == "=" * 10 and len(s) >= 40 and s == "=" * len(s):
                break
            if (
                s[:10] == "-" * 10
                and len(s) >= 40
                and j + 1 < n
                and probe[j + 1].startswith("Ran ")
            ):
                break
            j += 1
        lg.must[i] = 1
        if i > 0 and probe[i - 1][:10] == "=" * 10:
            lg.must[i - 1] = 1
        lg.keep_region(i, j)
        _cap_body(lg, i + 1, j, 3 * BLOCK_MAX, BLOCK_MAX, BLOCK_MAX, ("output",))


_TB_FRAME = re.compile(r'(?P<ind>\s*)File "(?P<path>[^"]{1,1000})", line \d+')


def _tracebacks(lg: _Log) -> None:
    probe, n, must = lg.probe, lg.n, lg.must
    done = 0
    for start in lg.tracebacks:
        if start < done:
            continue
        must[start] = 1
        frames: list[tuple[int, int, bool]] = []
        i = start + 1
        while i < n:
            s = probe[i]
            f = _TB_FRAME.match(s) if "File " in s else None
            if f:
                ind = len(f.group("ind"))
                j = i + 1
                while j < n:
                    t = probe[j]
                    body = t.lstrip()
                    if (
                        not body
                        or len(t) - len(body) <= ind
                        or (body.startswith("File ") and _TB_FRAME.match(t))
                    ):
                        break
                    j += 1
                frames.append((i, j, _is_lib(f.group("path"))))
                i = j
            elif s.strip() == "..." or "[Previous line repeated" in s:
                i += 1
            else:
                break
        if i < n and probe[i].strip():
            must[i] = 1  # the exception
            j = i + 1
            while (
                j < n
                and j - i < 20
                and probe[j].strip()
                and "Traceback (most recent" not in probe[j]
            ):
                j += 1
            lg.keep_region(start, j)
            done = j
        else:
            lg.keep_region(start, i)
            done = i
        _fold_frame_runs(lg, frames)


_RUST_BT_SYMBOL = re.compile(r"\s+\d{1,4}: (?P<sym>\S.*)$")
_RUST_BT_AT = re.compile(r"\s+at (?P<loc>\S.*)$")
_RUST_LIB_SYMBOL = re.compile(
    r"<?(?:std|core|alloc|test|panic_unwind)::|__rust|rust_begin_unwind|_start|__libc|start_thread|clone"
)
_JAVA_LIB = re.compile(r"(?:java|javax|jdk|sun|org\.junit|org\.apache\.maven)\.")


def _cargo_sections(lg: _Log) -> None:
    probe, n = lg.probe, lg.n
    for i in lg.cargo_outs:
        j = i + 1
        while j < n:
            s = probe[j]
            if s.startswith(("---- ", "failures:", "test result: ")) or (
                s.startswith("     Running ")
            ):
                break
            j += 1
        lg.must[i] = 1
        lg.keep_region(i, j)
        _stack_lines(lg, i + 1, j)
        _cap_body(lg, i + 1, j, 2 * BLOCK_MAX // 3, 15, 15, ("captured",))


def _stack_lines(lg: _Log, start: int, end: int) -> None:
    """Rust backtraces ("  3: sym" / "at path"), JS and Java stacks ("    at fn (path)")."""
    probe = lg.probe
    frames: list[tuple[int, int, bool]] = []
    k = start
    while k < end:
        s = probe[k]
        if s[:1] != " ":
            k += 1
            continue
        sym = _RUST_BT_SYMBOL.match(s)
        if sym:
            j = k + 1
            lib = bool(_RUST_LIB_SYMBOL.match(sym.group("sym")))
            if j < end and (at := _RUST_BT_AT.match(probe[j])):
                lib = lib or _is_lib(at.group("loc"))
                j += 1
            frames.append((k, j, lib))
            k = j
            continue
        at = _RUST_BT_AT.match(s)
        if at:
            loc = at.group("loc")
            frames.append((k, k + 1, _is_lib(loc) or bool(_JAVA_LIB.match(loc))))
        k += 1
    _fold_frame_runs(lg, frames)


def _go_and_jest(lg: _Log) -> None:
    probe, n = lg.probe, lg.n
    for i in lg.go_fails:
        ind = _indent(probe[i])
        j = i + 1
        while (
            j < n
            and (not probe[j].strip() or _indent(probe[j]) > ind)
            and "--- FAIL" not in probe[j]
        ):
            j += 1
        lg.keep_region(i, j)
        _cap_body(lg, i + 1, j, BLOCK_MAX, BLOCK_MAX // 2, BLOCK_MAX // 3, ("output",))
    for i in lg.jest_blocks:
        j = i + 1
        while j < n:
            t = probe[j].lstrip()
            if t.startswith(("● ", "Test Suites:", "Tests:")) or probe[j].startswith(
                ("PASS ", "FAIL ")
            ):
                break
            j += 1
        lg.keep_region(i, j)
        _stack_lines(lg, i + 1, j)
        _cap_body(lg, i + 1, j, 2 * BLOCK_MAX, BLOCK_MAX, BLOCK_MAX // 2, ("output",))


_DIAG_CONT = re.compile(
    r"\s*(?:\d+\s*)?\|(?:\s|$)|\s*-->\s|\s*:::\s|\s*= (?:note|help)|\s*\.\.\.\s*$"
    r"|(?:note|help)(?:\[\w+\])?: |\s+[\^~][\s~^+-]*$"
)
_WARN_SUMMARY = re.compile(r"generated \d+ warnings?|warnings? emitted|\d+ warnings? generated")
_QUOTED = re.compile(r"`[^`]{0,200}`|'[^']{0,200}'|\"[^\"]{0,200}\"|‘[^’]{0,200}’")
_WFLAG = re.compile(r"\[(-W[\w=-]{1,80})\]\s*$")


def _warning_kind(line: str, m: re.Match[str]) -> str:
    flag = _WFLAG.search(line)
    if flag:
        return flag.group(1)
    return _QUOTED.sub("…", line[m.end() :].strip())[:60]


def _diag_header(s: str) -> re.Match[str] | None:
    m = _DIAG_RUST.match(s) if s[:1] in "ew" else None
    if m is None and s[:1].isupper():
        lint = _LINT.match(s)
        if lint and not lint.group("loc"):
            return lint
    if m is None and (": error" in s or ": warning" in s or ": fatal" in s):
        m = _DIAG_C.match(s)
        if m and m.group("sev") == "note":
            return None
    return m


def _diagnostics(lg: _Log) -> None:
    """gcc/clang/rustc style diagnostics: a header, a location, a source snippet, notes.

    Errors are kept whole. The first warning of each kind is kept whole too (up to
    WARN_FULL of them); later warnings fold, counted by kind in the marker.
    """
    probe, n = lg.probe, lg.n
    kinds: set[str] = set()
    diags = lg.diags
    for d, i in enumerate(diags):
        m = _diag_header(probe[i])
        if m is None:
            continue
        stop = min(diags[d + 1] if d + 1 < len(diags) else n, n, i + 4 * BLOCK_MAX)
        j = i + 1
        while j < stop:
            s = probe[j]
            if not s or s.isspace():
                break
            if not _DIAG_CONT.match(s) and not (": note" in s and _DIAG_C.match(s)):
                break
            j += 1
        line = probe[i]
        if "sev" not in m.groupdict() or m.group("sev") != "warning":
            lg.must[i] = 1
            lg.keep_region(i, j)
            _cap_body(lg, i + 1, j, BLOCK_MAX, BLOCK_MAX // 2, BLOCK_MAX // 3, ("output",))
        elif _WARN_SUMMARY.search(line):
            lg.must[i] = 1
        else:
            kind = _warning_kind(line, m)
            if kind not in kinds and len(kinds) < WARN_FULL:
                kinds.add(kind)
                lg.keep_region(i, j)
            else:
                lg.must[i] = 0  # a warning, whatever words it contains
                lg.fold_range(i, j, ("warnings", None))
                lg.fold[i] = ("warnings", kind)


# --------------------------------------------------------------------------- plain output


def _plain_output(lg: _Log) -> None:
    """Lines outside every structure: fold near-duplicates, then the middle of long stretches."""
    probe, cat, must, region, fold = lg.probe, lg.cat, lg.must, lg.region, lg.fold
    similar = ("similar",)
    output = ("output",)
    ref: str | None = None  # the first line of the current run of similar lines
    ref_shape: str | None = None
    shown: list[int] = []  # lines of the current stretch not folded as similar

    def flush() -> None:
        if len(shown) > RUN_MAX:
            # Warnings in the middle stay, one of each shape and a bounded number.
            warned: set[str] = set()
            for k in shown[RUN_HEAD:-RUN_TAIL]:
                if cat[k] == WARN and len(warned) < WARN_KEEP:
                    shape = _shape(probe[k])
                    if shape not in warned:
                        warned.add(shape)
                        continue
                fold[k] = output
        shown.clear()

    for i in range(lg.n):
        if must[i] or region[i] or fold[i] is not None:
            ref = None
            if shown:
                flush()
            continue
        s = probe[i]
        if not s or s.isspace():
            ref = None
            shown.append(i)
            continue
        if len(lg.lines[i]) > LONG_LINE:
            fold[i] = ("long", len(lg.lines[i]))
            ref = None
            continue
        if ref is not None:
            if s == ref or ratio(ref, s, score_cutoff=SIMILAR):
                fold[i] = similar
                continue
            if ratio(ref, s, score_cutoff=SHAPE_CUTOFF):
                if ref_shape is None:
                    ref_shape = _shape(ref)
                if ratio(ref_shape, _shape(s), score_cutoff=SIMILAR):
                    fold[i] = similar
                    continue
        ref, ref_shape = s, None
        shown.append(i)
    flush()


def _shape(line: str) -> str:
    return mask(line[:300])


def _finish(lg: _Log) -> None:
    n, must, fold, probe = lg.n, lg.must, lg.fold, lg.probe
    keep = bytearray(map(operator.is_, fold, repeat(None)))
    lg.keep = keep
    musts = []
    i = must.find(1)
    while i >= 0:
        musts.append(i)
        keep[i] = 1
        i = must.find(1, i + 1)
    # Context around error lines, taken from plain output only.
    plain = (("similar",), ("output",))
    for i in musts:
        if probe[i].startswith(MARKER_PREFIX):
            continue
        for k in (*range(i - BEFORE, i), *range(i + 1, i + 1 + AFTER)):
            if 0 <= k < n and not keep[k] and fold[k] in plain:
                keep[k] = 1
    # The head and the tail of plain output (passing tests and folded structure aside).
    for i in (*range(min(HEAD, n)), *range(max(n - TAIL, 0), n)):
        if fold[i] in plain:
            keep[i] = 1
    # A lone blank line between two dropped runs would split one marker into two.
    i = keep.find(0)
    while i >= 0:
        j = keep.find(1, i)  # the first kept line after this dropped run
        if j < 0:
            break
        if j + 1 < n and not keep[j + 1] and not must[j] and not probe[j].strip():
            keep[j] = 0
            fold[j] = ("blank",)
        i = keep.find(0, j)


# --------------------------------------------------------------------------- notes


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _describe(lg: _Log, start: int, end: int) -> str:
    tests: dict[str | None, Counter] = {}
    other: Counter = Counter()
    order: list[str] = []
    warn_kinds: Counter = Counter()
    longest = 0
    for label, group in groupby(lg.fold[start:end]):
        count = sum(1 for _ in group)
        if label is None:
            label = ("output",)
        kind = label[0]
        if kind not in other:
            order.append(kind)
        if kind == "pass":
            tests.setdefault(label[1], Counter())[label[2]] += count
            other[kind] += count
        elif kind == "suite":
            tests.setdefault(label[1], Counter())["SUITE"] += count
            other[kind] += count
        elif kind == "prog":
            _, key, passed, skipped, xfailed = label
            c = tests.setdefault(key, Counter())
            c["PASSED"] += passed * count
            c["SKIPPED"] += skipped * count
            c["XFAIL"] += xfailed * count
            other[kind] += count
        elif kind == "libframes":
            other[kind] += label[1] * count
        elif kind == "long":
            other[kind] += count
            longest = max(longest, label[1])
        elif kind == "warnings":
            other[kind] += count
            if label[1] is not None:
                warn_kinds[label[1]] += count
        else:
            other[kind] += count
    parts = []
    tests_done = False
    for kind in order:
        k = other[kind]
        if kind in ("pass", "suite", "prog"):
            if not tests_done:
                parts.append(_describe_tests(tests))
                tests_done = True
        elif kind == "goprog":
            parts.append(_plural(k, "test progress line"))
        elif kind == "similar":
            if "output" in other:
                continue  # counted with the output
            parts.append(f"{_plural(k, 'line')} like the one above")
        elif kind == "libframes":
            parts.append(_plural(k, "library frame"))
        elif kind == "libsource":
            parts.append(f"{_plural(k, 'line')} of library source")
        elif kind == "source":
            parts.append(f"{_plural(k, 'line')} of test source")
        elif kind == "captured":
            parts.append(f"{_plural(k, 'line')} of captured output")
        elif kind == "passes":
            parts.append(f"{_plural(k, 'line')} of output from passing tests")
        elif kind == "warnings":
            total = sum(warn_kinds.values())
            top = ", ".join(f"{w} ×{c}" for w, c in warn_kinds.most_common(3))
            more = ", …" if len(warn_kinds) > 3 else ""
            parts.append(f"{_plural(total, 'more warning')} ({top}{more})")
        elif kind == "long":
            parts.append(
                f"a line of {longest:,} characters"
                if k == 1
                else f"{k:,} long lines (up to {longest:,} characters)"
            )
        elif kind == "blank":
            if len(order) == 1:
                parts.append(_plural(k, "blank line"))
        else:
            repeats = other["similar"]
            if repeats:
                parts.append(
                    f"{_plural(k + repeats, 'line')} of output, {repeats:,} of them repeats"
                )
            else:
                parts.append(f"{_plural(k, 'line')} of output")
    return "; ".join(parts) or "output"


def _describe_tests(tests: dict[str | None, Counter]) -> str:
    total: Counter = Counter()
    for c in tests.values():
        total.update(c)
    bits = []
    if total["PASSED"]:
        bits.append(_plural(total["PASSED"], "passing test"))
    if total["SKIPPED"]:
        bits.append(f"{total['SKIPPED']:,} skipped")
    if total["XFAIL"]:
        bits.append(f"{total['XFAIL']:,} xfailed")
    if total["SUITE"]:
        bits.append(_plural(total["SUITE"], "passing suite"))
    text = ", ".join(bits) or "test progress"
    keys = [k for k in tests if k]
    if not keys:
        return text
    if len(keys) == 1:
        return f"{text} in {keys[0]}"
    counts = [f"{k}: {sum(tests[k].values()):,}" for k in keys[:3]]
    more = f", +{len(keys) - 3} more" if len(keys) > 3 else ""
    return f"{text} ({', '.join(counts)}{more})"


# --------------------------------------------------------------------------- compress


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lg = _Log(source)
    if lg.n <= HEAD + TAIL:
        return None
    _classify(lg)
    _pytest_sections(lg)
    _unittest_blocks(lg)
    _tracebacks(lg)
    _cargo_sections(lg)
    _go_and_jest(lg)
    _diagnostics(lg)
    _plain_output(lg)
    _finish(lg)
    keep = lg.keep
    if keep.find(0) < 0:
        return None
    notes: dict[int, str] = {}
    i = keep.find(0)
    while i >= 0:
        j = keep.find(1, i)
        if j < 0:
            j = lg.n
        notes[i] = _describe(lg, i, j)
        i = keep.find(0, j)
    kept = set(compress_items(range(lg.n), keep))
    # Frames in the project's code survive whatever section they were found in (a program
    # run by cargo or npm that crashed, rather than a test that failed).
    kept |= traces.project_frames(lg.probe)
    return Plan(KIND, kept, notes, source=source)
