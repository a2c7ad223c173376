"""Linters and type checkers over real code: ruff and mypy on the Python packages, eslint
and tsc (``--checkJs``) on the npm ones.

Each tool runs twice: in the form an agent reads (ruff's full and concise formats,
mypy's text, eslint's stylish and unix formatters, ``tsc --pretty false``) and in its
machine format, which is the oracle: ``ruff --output-format json``, ``mypy -O json``,
``eslint -f json`` and the TypeScript compiler API's diagnostics as JSON.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from benchmarks.corpus.sources import NPM, PYPI, Work
from benchmarks.corpus.store import Writer
from benchmarks.corpus.testruns import _layout

RUFF_RULES = "E,F,W,B,UP,SIM,RUF,C4,PL"
MYPY_PACKAGES = (
    "click",
    "flask",
    "jinja2",
    "packaging",
    "requests",
    "six",
    "toolz",
    "boltons",
    "tabulate",
    "cachetools",
    "wcwidth",
    "pyparsing",
)
TSC_DIAGNOSTICS = """
const ts = require(process.argv[2]);
const path = require('path');
const files = process.argv.slice(3);
const options = {noEmit: true, allowJs: true, checkJs: true, skipLibCheck: true,
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10};
const program = ts.createProgram(files, options);
const out = [];
for (const d of ts.getPreEmitDiagnostics(program)) {
  if (!d.file) { out.push({code: d.code}); continue; }
  const {line, character} = d.file.getLineAndCharacterOfPosition(d.start);
  out.push({file: path.relative(process.cwd(), d.file.fileName), line: line + 1, col: character + 1, code: d.code});
}
console.log(JSON.stringify(out));
"""


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def build(work: Work, out: Writer) -> None:
    for package in PYPI:
        _ruff(work, out, package)
    for package in MYPY_PACKAGES:
        _mypy(work, out, package)
    for package in NPM:
        _eslint(work, out, package)
        _tsc(work, out, package)


def _code_dir(work: Work, package: str) -> str:
    root = work.src(package)
    layout = _layout(root)
    if layout is None:
        return "."
    base = Path(layout[2])
    tops = sorted(
        {p.relative_to(base).parts[0] for p in layout[1] if len(p.relative_to(base).parts) > 1}
    )
    return str((base / tops[0]).relative_to(root)) if tops else "."


def _ruff(work: Work, out: Writer, package: str) -> None:
    root = work.src(package)
    target = _code_dir(work, package)
    form = ("full", "concise")[_h(package) % 2]
    base = ["check", "--no-cache", "--isolated", "--select", RUFF_RULES]
    p = work.run(work.bin / "ruff", *base, "--output-format", form, target, cwd=root)
    oracle = json.loads(
        work.run(work.bin / "ruff", *base, "--output-format", "json", target, cwd=root).stdout
        or "[]"
    )
    facts = []
    for d in oracle:
        path = str(Path(d["filename"]).relative_to(root))
        facts.append(f"{path}:{d['location']['row']}:{d['location']['column']}")
        facts.append(d["code"] or "")
    shown = (
        ["ruff", "check", "--select", RUFF_RULES]
        + (["--output-format", form] if form != "full" else [])
        + [target]
    )
    out.add(
        "lint",
        package,
        f"ruff-{form}",
        "Bash",
        {"command": " ".join(shown)},
        (p.stdout + p.stderr).rstrip("\n"),
        facts,
        f"ruff {form} over {package}: {len(oracle)} diagnostics",
        is_error=p.returncode != 0,
    )


def _mypy(work: Work, out: Writer, package: str) -> None:
    root = work.src(package)
    target = _code_dir(work, package)
    strict = ["--strict"] if _h(package) % 2 else []
    base = [
        "-m",
        "mypy",
        "--ignore-missing-imports",
        "--no-incremental",
        "--cache-dir=/dev/null",
        *strict,
    ]
    # mypy is slow: its two runs are kept in the work folder between builds.
    cache = work.root / "cache" / f"mypy-{package}.json"
    if cache.exists():
        text, oracle = json.loads(cache.read_text())
    else:
        p = work.run(work.bin / "python", *base, target, cwd=root)
        o = work.run(work.bin / "python", *base, "-O", "json", target, cwd=root)
        text, oracle = (p.stdout + p.stderr).rstrip("\n"), o.stdout
        cache.parent.mkdir(exist_ok=True)
        cache.write_text(json.dumps([text, oracle]))
    facts = []
    for line in oracle.split("\n"):
        if line.startswith("{"):
            d = json.loads(line)
            facts.append(f"{d['file']}:{d['line']}: {d['severity']}:")
            if d.get("code"):
                facts.append(f"[{d['code']}]")
    shown = " ".join(["mypy", *strict, target])
    out.add(
        "lint",
        package,
        "mypy" + ("-strict" if strict else ""),
        "Bash",
        {"command": shown},
        text,
        facts,
        f"{shown} over {package}",
        is_error=bool(facts),
    )


def _js_files(root: Path) -> list[str]:
    files = [
        str(p.relative_to(root))
        for p in sorted(root.rglob("*"))
        if p.suffix in {".js", ".cjs", ".mjs"}
        and p.is_file()
        and "test" not in str(p.relative_to(root))
        and not p.name.endswith(".min.js")
        and p.stat().st_size < 200_000
    ]
    return files[:40]


def _eslint(work: Work, out: Writer, package: str) -> None:
    root = work.src(package)
    files = _js_files(root)
    if not files:
        return
    mods = work.root / "nodetools" / "node_modules"
    # The config lives in the tree: flat config ignores files outside its own folder.
    (root / "eslint.config.mjs").write_text(
        f'import js from "{mods}/@eslint/js/src/index.js";\n'
        f'import globals from "{mods}/globals/index.js";\n'
        "export default [js.configs.recommended, {languageOptions: {ecmaVersion: 'latest', "
        "sourceType: 'module', globals: {...globals.node}}}, "
        "{files: ['**/*.js', '**/*.cjs'], languageOptions: {sourceType: 'commonjs'}}];\n"
    )
    form = ("stylish", "unix")[_h(package) % 2]
    eslint = work.node_bin / "eslint"
    # A formatter package is looked up from the config's folder: name unix's by path.
    fmt = str(mods / "eslint-formatter-unix" / "index.js") if form == "unix" else form
    p = work.run(eslint, "-f", fmt, *files, cwd=root)
    o = work.run(eslint, "-f", "json", *files, cwd=root)
    (root / "eslint.config.mjs").unlink()
    facts = []
    for entry in json.loads(o.stdout or "[]"):
        for m in entry["messages"]:
            if form == "unix":
                facts.append(f"{entry['filePath']}:{m.get('line', 0)}:{m.get('column', 0)}:")
            else:
                facts.append(entry["filePath"])
                facts.append(f"{m.get('line', 0)}:{m.get('column', 0)}")
            if m.get("ruleId"):
                facts.append(m["ruleId"])
    shown = "npx eslint" + ("" if form == "stylish" else " -f unix") + " " + " ".join(files)
    out.add(
        "lint",
        package,
        f"eslint-{form}",
        "Bash",
        {"command": shown},
        (p.stdout + p.stderr).rstrip("\n"),
        facts,
        f"eslint (recommended rules) over {package}",
        is_error=p.returncode != 0,
    )


def _tsc(work: Work, out: Writer, package: str) -> None:
    root = work.src(package)
    files = _js_files(root)[:15]
    if not files:
        return
    tsc = work.node_bin / "tsc"
    args = [
        "--noEmit",
        "--allowJs",
        "--checkJs",
        "--skipLibCheck",
        "--target",
        "es2022",
        "--module",
        "commonjs",
        "--moduleResolution",
        "node10",
        "--pretty",
        "false",
    ]
    p = work.run(tsc, *args, *files, cwd=root)
    script = work.root / "tsc-diagnostics.js"
    script.write_text(TSC_DIAGNOSTICS)
    o = work.run(
        "node", script, work.root / "nodetools" / "node_modules" / "typescript", *files, cwd=root
    )
    facts = [
        f"{d['file']}({d['line']},{d['col']}): error TS{d['code']}"
        for d in json.loads(o.stdout or "[]")
        if "file" in d
    ]
    shown = "npx tsc --noEmit --allowJs --checkJs --skipLibCheck " + " ".join(files)
    out.add(
        "lint",
        package,
        "tsc-checkjs",
        "Bash",
        {"command": shown},
        (p.stdout + p.stderr).rstrip("\n"),
        facts,
        f"tsc --checkJs over {package}",
        is_error=p.returncode != 0,
    )
