"""Failing JavaScript test runs: npm packages' own tape suites (TAP output) with one
``===``/``!==`` flipped in the package's code, picked by a hash; the first flip that makes
1 to 100 assertions fail (and leaves some passing) is kept.

Outputs: the whole suite (``npx tape 'test/**/*.js'``) and the one test file of the first
failure (``node test/x.js``). Facts come from tape's own object stream (a second run with
``tape.createStream({objectMode: true})``): the failing assertions' ``not ok N name`` lines
(their numbering does not yet match the TAP run's, so the store drops most: a known gap)
and their count as the summary's ``# fail  N``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from benchmarks.corpus.installs import npm_project
from benchmarks.corpus.sources import Work, log
from benchmarks.corpus.store import Writer

PACKAGES = ("minimist", "qs", "object-inspect", "side-channel", "deep-equal", "resolve")
TRIALS = 6
ORACLE = """
const path = require('path');
const tape = require(process.argv[2]);
const out = process.argv[3];
const rows = [];
tape.createStream({objectMode: true}).on('data', (r) => rows.push(r)).on('end', () => {
  require('fs').writeFileSync(out, JSON.stringify(rows));
});
for (const f of process.argv.slice(4)) require(path.resolve(f));
"""


def build(work: Work, out: Writer) -> None:
    for package in PACKAGES:
        try:
            _package(work, out, package)
        except Exception as e:  # one package's odd suite must not stop the corpus
            log(f"{package}: tape run failed ({type(e).__name__}: {e}); skipped")


def _env(work: Work, package: str) -> dict[str, str]:
    paths = [str(work.root / "nodetools" / "node_modules")]
    project = npm_project(work, package) / "node_modules"
    if project.is_dir():
        paths.insert(0, str(project))
    return {
        **os.environ,
        "NODE_PATH": ":".join(paths),
        "NO_COLOR": "1",
    }  # the copy's own node_modules come first


def _tests(root: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(root)) for p in (root / "test").rglob("*.js"))
        if (root / "test").is_dir()
        else []
    )


def _candidates(root: Path) -> list[tuple[Path, int]]:
    found = []
    for p in sorted(root.rglob("*.js")):
        rel = p.relative_to(root)
        if rel.parts[0] in {"test", "node_modules", "example", "dist"} or p.name.endswith(
            ".min.js"
        ):
            continue
        for n, line in enumerate(p.read_text(errors="replace").split("\n"), 1):
            if line.count(" === ") + line.count(" !== ") == 1 and not line.lstrip().startswith(
                "//"
            ):
                found.append((p, n))
    return sorted(
        found, key=lambda c: hashlib.sha256(f"{c[0].relative_to(root)}:{c[1]}".encode()).hexdigest()
    )


def _counts(tap: str) -> tuple[int, int]:
    fail = re.search(r"^# fail\s+(\d+)", tap, re.M)
    ok = re.search(r"^# pass\s+(\d+)", tap, re.M)
    return (int(fail.group(1)) if fail else 0), (int(ok.group(1)) if ok else 0)


def _package(work: Work, out: Writer, package: str) -> None:
    pristine = work.src(package)
    tests = _tests(pristine)
    if not tests:
        log(f"{package}: no test folder; skipped")
        return
    root = work.root / "mutated" / package
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(pristine, root)
    # The suite's own devDependencies (mock helpers, fixtures), installed in the copy only.
    manifest = json.loads((root / "package.json").read_text())
    if manifest.get("devDependencies"):
        work.run(
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--silent",
            cwd=root,
            timeout=600,
        )
    # The tests require('tape'): the oracle must read the same tape instance's stream.
    tape = root / "node_modules" / "tape"
    if not tape.is_dir():
        tape = work.root / "nodetools" / "node_modules" / "tape"
    env = _env(work, package)
    whole = ["node", str(tape / "bin" / "tape"), *tests]
    chosen = None
    for path, n in _candidates(pristine)[:TRIALS]:
        target = root / path.relative_to(pristine)
        lines = path.read_text(errors="replace").split("\n")
        line = lines[n - 1]
        lines[n - 1] = (
            line.replace(" === ", " !== ") if " === " in line else line.replace(" !== ", " === ")
        )
        target.write_text("\n".join(lines))
        p = work.run(*whole, cwd=root, env=env, timeout=300)
        fail, ok = _counts(p.stdout)
        if 1 <= fail <= 100 and ok:
            chosen = (path.relative_to(pristine), n, line.strip(), lines[n - 1].strip(), p)
            break
        target.write_text(path.read_text(errors="replace"))
    if chosen is None:
        log(f"{package}: no flip made a few assertions fail; skipped")
        return
    rel, n, before, after, p = chosen
    log(f"{package}: mutated {rel}:{n}: {before!r} -> {after!r}")
    script = work.root / "tape-oracle.js"
    script.write_text(ORACLE)
    rows_file = work.root / "cache" / f"tape-{package}.json"
    rows_file.parent.mkdir(exist_ok=True)
    runs = [("tape", "npx tape 'test/**/*.js'", tests, p)]
    failing_files = [f for f in tests if _oracle(work, script, tape, rows_file, [f], root, env)]
    if failing_files:
        single = work.run("node", failing_files[0], cwd=root, env=env, timeout=300)
        runs.append(("node-file", f"node {failing_files[0]}", [failing_files[0]], single))
    for name, shown, files, run in runs:
        facts = _oracle(work, script, tape, rows_file, files, root, env)
        fail, _ = _counts(run.stdout)
        # The count of failing assertions in tape's own stream, as the summary prints it.
        facts.append(f"# fail  {len(facts)}")
        text = (run.stdout + run.stderr).rstrip("\n")
        source = f"{package} tape suite with {rel}:{n} mutated ({before} -> {after}): {fail} assertions failed"
        out.add(
            "test_run_js",
            package,
            name,
            "Bash",
            {"command": shown},
            text,
            facts,
            source,
            is_error=run.returncode != 0,
        )


def _oracle(
    work: Work, script: Path, tape: Path, rows_file: Path, files: list[str], root: Path, env: dict
) -> list[str]:
    """``not ok N name`` for every failing assertion of one process running ``files`` (as
    tape's bin runs them: one process, assertions numbered across files), from tape's
    object stream."""
    rows_file.unlink(missing_ok=True)
    work.run("node", script, tape, rows_file, *files, cwd=root, env=env, timeout=300)
    if not rows_file.exists():
        return []
    rows = json.loads(rows_file.read_text())
    rows_file.unlink()
    return [
        f"not ok {r['id'] + 1} {r.get('name', '')}".rstrip()
        for r in rows
        if r.get("type") == "assert" and not r.get("ok")
    ]
