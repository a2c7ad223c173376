"""Searches over real trees: ``grep -rn``, ``grep -rl``, ``rg -n``, Claude Code's Grep (rg
underneath), over each package's tree and over installed node_modules.

Facts: ``path:line:`` of every hit, from ``rg --json`` run with the same pattern and
paths (``grep -rl``: every path). A result with hits in 15 files or more, or 150 hits or
more, is a ``search_big`` case (issue 17's big search results), else ``search``.
"""

from __future__ import annotations

import hashlib
import shlex

from benchmarks.corpus.installs import NPM_PROJECTS, npm_project
from benchmarks.corpus.oracles import rg_hits
from benchmarks.corpus.sources import NPM, PYPI, Work
from benchmarks.corpus.store import Writer

PY_PATTERNS = ("raise ", "import ", "def test_", "self.", "return None", "isinstance(", "TODO")
JS_PATTERNS = ("require(", "function ", "module.exports", "throw new", "typeof ", "return ")


def build(work: Work, out: Writer) -> None:
    for package in [*PYPI, *NPM]:
        patterns = PY_PATTERNS if package in PYPI else JS_PATTERNS
        h = int(hashlib.sha256(package.encode()).hexdigest()[:8], 16)
        picked = [patterns[h % len(patterns)], patterns[(h // 7 + 1) % len(patterns)]]
        root = work.src(package)
        if picked[0] == picked[1]:
            picked.pop()
        for k, pattern in enumerate(picked):
            form = ("grep_rn", "rg_n", "grep_tool", "grep_rl")[(h + k) % 4]
            _search(work, out, package, root, pattern, form, ".")
    for package in NPM_PROJECTS:
        project = npm_project(work, package)
        for k, pattern in enumerate(("Deprecated", "process.env", "Buffer.from")[:2]):
            form = ("grep_rn", "rg_n")[k]
            _search(work, out, package, project, pattern, form, "node_modules")


def _search(
    work: Work, out: Writer, package: str, cwd, pattern: str, form: str, where: str
) -> None:
    rg = work.bin / "rg"
    if form == "grep_rn":
        args = ["grep", "-rnF", pattern, where]
        tool, tool_input = "Bash", {"command": shlex.join(args)}
    elif form == "grep_rl":
        args = ["grep", "-rlF", pattern, where]
        tool, tool_input = "Bash", {"command": shlex.join(args)}
    elif form == "rg_n":
        args = ["rg", "-n", "-F", pattern] + ([where] if where != "." else [])
        tool, tool_input = "Bash", {"command": shlex.join(args)}
    else:  # Claude Code's Grep tool in content mode runs rg and prints path:line:text
        args = ["rg", "-n", "-F", "--no-heading", pattern, where]
        tool = "Grep"
        tool_input = {"pattern": pattern, "path": where, "output_mode": "content", "-n": True}
    cmd = [str(rg), *args[1:]] if args[0] == "rg" else args
    p = work.run(*cmd, cwd=cwd)
    text = p.stdout.rstrip("\n")
    hits = rg_hits(rg, ["-F", pattern, where], cwd)
    if form == "grep_rl":
        facts = sorted({path for path, _ in hits})
    else:
        facts = [f"{path}:{line}:" for path, line in hits]
        if args[0] == "rg" and where == ".":  # rg without a path prints paths without ./
            facts = [f.removeprefix("./") for f in facts]
    files = {path for path, _ in hits}
    family = "search_big" if len(files) >= 15 or len(hits) >= 150 else "search"
    name = f"{form}-{where.replace('/', '_')}-{pattern}"
    source = f"{' '.join(args)} in the {package} {'project' if where != '.' else 'tree'}: {len(hits)} hits in {len(files)} files"
    out.add(family, package, name, tool, tool_input, text, facts, source)
