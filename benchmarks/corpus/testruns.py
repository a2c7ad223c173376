"""Failing test runs: each package's own pytest suite with one source line mutated.

A mutation flips one comparison operator (``==`` to ``!=``, ``<`` to ``>=``, ``in`` to
``not in``…) on a line of the package's own code. Each test file is paired with the module
it is named after (``tests/test_utils.py`` with ``utils.py``); coverage.py says which lines
of the module that file runs, and the first of those (in hash order) whose mutation makes
2 to 150 of the file's tests fail (not all) is kept. The file then runs as an agent runs
it, in five modes: default, ``-v``, ``-v --tb=long``, ``-q`` and ``--tb=short``, and under
``python -m unittest`` (plain and ``-v``) where it holds TestCase classes. Facts come from pytest's JUnit XML (xunit1, with file and line): every
failing test id, its first ``E`` line and its crash location, and the failed count.

The only edit to the output: the one ``generated xml file`` line that ``--junitxml``
adds is removed, since the agent's own run would not print it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from benchmarks.corpus.sources import PYPI, Work, log
from benchmarks.corpus.store import Writer

MODES = {
    "default": [],
    "v": ["-v"],
    "v_tb_long": ["-v", "--tb=long"],
    "q": ["-q"],
    "tb_short": ["--tb=short"],
}
FLIPS = {
    ast.Eq: ("==", "!="),
    ast.NotEq: ("!=", "=="),
    ast.Lt: ("<", ">="),
    ast.Gt: (">", "<="),
    ast.LtE: ("<=", ">"),
    ast.GtE: (">=", "<"),
    ast.In: (" in ", " not in "),
    ast.NotIn: (" not in ", " in "),
    ast.Is: (" is ", " is not "),
    ast.IsNot: (" is not ", " is "),
}
TRIALS = 4
PAIRS = 3
RUN_TIMEOUT = 240


def build(work: Work, out: Writer, cached_only: bool = False, only: set[str] | None = None) -> None:
    for package in PYPI:
        if only and package not in only:
            continue
        if cached_only and not (work.root / "cache" / f"testrun-{package}.json").exists():
            log(f"{package}: no test runs kept in the work folder; skipped (--cached-only)")
            continue
        try:
            _package(work, out, package)
        except subprocess.TimeoutExpired:
            log(f"{package}: test run timed out; skipped")


def _layout(root: Path) -> tuple[Path, list[Path], str] | None:
    """(folder with the tests, the package's own modules, PYTHONPATH)."""
    tests = next((root / t for t in ("tests", "test", "testing") if (root / t).is_dir()), None)
    base = root / "src" if (root / "src").is_dir() else root
    modules = [
        p
        for p in sorted(base.rglob("*.py"))
        if "test" not in str(p.relative_to(root)).lower()
        and not any(
            part in {"docs", "doc", "examples", "benchmarks"} for part in p.relative_to(root).parts
        )
        and p.name not in {"setup.py", "conftest.py", "noxfile.py"}
    ]
    if tests is None:
        inner = [p.parent for p in base.rglob("test*.py") if p.parent.name in ("tests", "test")]
        tests = inner[0] if inner else None
    if tests is None or not modules:
        return None
    return tests, modules, str(base)


def _candidates(root: Path, modules: list[Path]) -> list[tuple[Path, int, str, str]]:
    found = []
    for path in modules:
        text = path.read_text(errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        lines = text.split("\n")
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not (
                    isinstance(node, ast.Compare)
                    and len(node.ops) == 1
                    and type(node.ops[0]) in FLIPS
                ):
                    continue
                left, right = node.left, node.comparators[0]
                if left.end_lineno != right.lineno or node.lineno != node.end_lineno:
                    continue
                line = lines[node.lineno - 1]
                a, b = left.end_col_offset, right.col_offset
                old, new = FLIPS[type(node.ops[0])]
                seg = line[a:b]
                if seg.count(old.strip()) != 1:
                    continue
                mutated = line[:a] + seg.replace(old.strip(), new.strip(), 1) + line[b:]
                found.append((path, node.lineno, line, mutated))
    rel = lambda c: f"{c[0].relative_to(root)}:{c[1]}"  # noqa: E731
    return sorted(found, key=lambda c: hashlib.sha256(rel(c).encode()).hexdigest())


def _pytest(work: Work, root: Path, tests: Path, pythonpath: str, args: list[str], junit: Path):
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "COLUMNS": "80",
    }
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        work.bin / "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--timeout=60",
        "-o",
        "junit_family=xunit1",
        f"--junitxml={junit}",
        *args,
        str(tests.relative_to(root)),
    ]
    p = work.run(*command, cwd=root, env=env, timeout=RUN_TIMEOUT)
    text = "\n".join(
        line
        for line in (p.stdout + p.stderr).rstrip("\n").split("\n")
        if "generated xml file:" not in line
    )
    return p.returncode, text


def _junit(junit: Path) -> tuple[list[str], int, int, int]:
    """(facts, failed, errors, tests) from a JUnit XML file."""
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return [], 0, 0, 0
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    facts: list[str] = []
    failed = errors = total = 0
    for case in suite.iter("testcase"):
        total += 1
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
            if bad is not None:
                errors += 1
        else:
            failed += 1
        if bad is None:
            continue
        file = case.get("file", "")
        modpath = file[:-3].replace("/", ".") if file.endswith(".py") else ""
        classname = case.get("classname", "")
        rest = (
            classname[len(modpath) + 1 :] if modpath and classname.startswith(modpath + ".") else ""
        )
        facts.append("::".join([file, *(rest.split(".") if rest else []), case.get("name", "")]))
        body = (bad.text or "").split("\n")
        e_lines = [line.rstrip() for line in body if line.startswith("E ")]
        if e_lines:
            facts.append(e_lines[0])
        located = [line for line in body if re.match(r"^[\w./-]+\.py:\d+: ", line)]
        if located:
            facts.append(located[-1].rstrip())
    if failed:
        facts.append(f"{failed} failed")
    return facts, failed, errors, total


def _pairs(tests: Path, modules: list[Path]) -> list[tuple[Path, Path]]:
    """(test file, module) pairs by name, largest test file first."""
    by_stem: dict[str, Path] = {}
    for m in modules:
        by_stem.setdefault(m.stem.lstrip("_"), m)
    pairs = []
    for t in sorted(tests.rglob("test_*.py")):
        module = by_stem.get(t.stem.removeprefix("test_").lstrip("_"))
        if module is not None:
            pairs.append((t, module))
    pairs.sort(key=lambda p: (-p[0].stat().st_size, str(p[0])))
    if not pairs:  # no file named after a module: the largest test file, the largest module
        files = sorted(tests.rglob("test*.py"), key=lambda p: (-p.stat().st_size, str(p)))
        if files and modules:
            pairs = [(files[0], max(modules, key=lambda p: (p.stat().st_size, str(p))))]
    return pairs


def _covered(work: Work, root: Path, tests: Path, pythonpath: str) -> dict[str, set[int]]:
    """Lines of the package's code that its passing suite runs: where a mutation shows."""
    data = work.root / "cache" / f"coverage-{root.name}.data"
    report = work.root / "cache" / f"coverage-{root.name}.json"
    data.parent.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONDONTWRITEBYTECODE": "1"}
    cov = [work.bin / "python", "-m", "coverage"]
    work.run(
        *cov,
        "run",
        f"--data-file={data}",
        "--source",
        pythonpath,
        "-m",
        "pytest",
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        "--timeout=60",
        str(tests.relative_to(root)),
        cwd=root,
        env=env,
        timeout=RUN_TIMEOUT * 2,
    )
    work.run(*cov, "json", f"--data-file={data}", "-o", report, cwd=root, env=env)
    try:
        files = json.loads(report.read_text())["files"]
    except (OSError, ValueError, KeyError):
        return {}
    return {str((root / name).resolve()): set(f["executed_lines"]) for name, f in files.items()}


def _package(work: Work, out: Writer, package: str) -> None:
    # A package's runs are kept in the work folder: a rebuild replays them.
    cache = work.root / "cache" / f"testrun-{package}.json"
    if cache.exists():
        for args in json.loads(cache.read_text()):
            out.add(**args)
        return
    added: list[dict] = []
    _runs(work, package, added)
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps(added))
    for args in added:
        out.add(**args)


def _runs(work: Work, package: str, added: list[dict]) -> None:
    pristine = work.src(package)
    root = work.root / "mutated" / package
    layout = _layout(pristine)
    if layout is None:
        log(f"{package}: no test folder found; skipped")
        return
    tests, modules, pythonpath = layout
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(pristine, root)
    remap = lambda p: root / p.relative_to(pristine)  # noqa: E731
    tests, pythonpath = remap(tests), str(remap(Path(pythonpath)))
    junit = work.root / "junit" / f"{package}.xml"
    junit.parent.mkdir(exist_ok=True)
    chosen = fallback = None
    # Whole suites are slow on a shared machine: each test file is paired with the module
    # it is named after (tests/test_utils.py with utils.py), and only that file runs.
    for test_file, module in _pairs(tests, modules)[:PAIRS]:
        covered = _covered(work, root, test_file, pythonpath)
        candidates = [
            c
            for c in _candidates(pristine, [module])
            if c[1] in covered.get(str(remap(module).resolve()), ())
        ]
        for path, lineno, line, mutated in candidates[:TRIALS]:
            target = remap(path)
            lines = path.read_text(errors="replace").split("\n")
            lines[lineno - 1] = mutated
            target.write_text("\n".join(lines))
            _pytest(work, root, test_file, pythonpath, ["-q"], junit)
            _facts, failed, errors, total = _junit(junit)
            bad = failed + errors
            found = (path, lineno, line, mutated, test_file)
            target.write_text(path.read_text(errors="replace"))
            if 2 <= bad <= 150 and bad < total:
                chosen = found
                break
            if bad and fallback is None:
                fallback = found
        if chosen is not None:
            break
    chosen = chosen or fallback
    if chosen is not None:
        target = remap(chosen[0])
        lines = chosen[0].read_text(errors="replace").split("\n")
        lines[chosen[1] - 1] = chosen[3]
        target.write_text("\n".join(lines))
    if chosen is None:
        log(f"{package}: no mutation made a few tests fail; skipped")
        return
    path, lineno, before, after, tests = chosen
    before, after = before.strip(), after.strip()
    where = f"{path.relative_to(pristine)}:{lineno}"
    log(f"{package}: mutated {where}: {before!r} -> {after!r}")
    for mode, args in MODES.items():
        code, text = _pytest(work, root, tests, pythonpath, args, junit)
        facts, failed, errors, total = _junit(junit)
        shown = " ".join(["python -m pytest", *args, str(tests.relative_to(root))])
        source = f"{package} test suite with {where} mutated ({before} -> {after}): {failed} failed, {errors} errors of {total}"
        added.append(
            {
                "family": "test_run",
                "package": package,
                "name": f"pytest-{mode}",
                "tool": "Bash",
                "tool_input": {"command": shown},
                "text": text,
                "facts": facts,
                "source": source,
                "is_error": code != 0,
            }
        )
    if "TestCase" in tests.read_text(errors="replace"):
        _unittest(work, package, root, tests, pythonpath, junit, where, added)


def _unittest(
    work: Work,
    package: str,
    root: Path,
    tests: Path,
    pythonpath: str,
    junit: Path,
    where: str,
    added: list[dict],
) -> None:
    """The same file under unittest's runner; its facts from the pytest JUnit of that file."""
    _pytest(work, root, tests, pythonpath, ["-q"], junit)
    facts: list[str] = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is None:
            continue
        name, classname = case.get("name", ""), case.get("classname", "")
        facts.append(f"{name} ({classname}.{name})")
        message = (bad.get("message") or "").split("\n")[0].strip()
        if message:
            facts.append(message)
    module = str(tests.relative_to(root))[:-3].replace("/", ".")
    env = {
        **os.environ,
        "PYTHONPATH": f"{root}:{pythonpath}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    for mode, args in {"unittest-v": ["-v"], "unittest": []}.items():
        p = work.run(
            work.bin / "python",
            "-m",
            "unittest",
            *args,
            module,
            cwd=root,
            env=env,
            timeout=RUN_TIMEOUT,
        )
        shown = " ".join(["python -m unittest", *args, module])
        added.append(
            {
                "family": "test_run",
                "package": package,
                "name": mode,
                "tool": "Bash",
                "tool_input": {"command": shown},
                "text": (p.stdout + p.stderr).rstrip("\n"),
                "facts": facts,
                "source": f"{package} tests under unittest with {where} mutated",
                "is_error": p.returncode != 0,
            }
        )
