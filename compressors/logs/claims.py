"""Which commands and outputs are test runs or builds: ``claims`` by command, ``sniff`` by content."""

from __future__ import annotations

import re
import shlex

from trimline.compressors.base import Context
from trimline.compressors.text import clean

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
