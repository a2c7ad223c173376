"""Whole-file and windowed reads of real source files, in every read format agents use.

Files are picked per package by size bucket (up to 500 KB), the pick inside a bucket by a
hash of the path, and the format by rotation, so that every format sees every size:

- ``cc_tab``: Claude Code's Read, ``N<TAB>line`` (whole file up to 2,000 lines, else an
  offset/limit window of 2,000 lines, as the tool returns it);
- ``cc_arrow``: older Claude Code, number right-aligned to 6 then ``→``;
- ``cat_n`` / ``nl_ba`` / ``sed`` / ``grep_n``: the real commands run over the file
  (``nl -ba`` as Codex's exec_command sends it);
- ``swe_open``: SWE-agent's ``open path line`` window of 100 lines.

Facts: the first line of every named definition shown (``ast`` / tree-sitter).
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from benchmarks.corpus.oracles import definitions
from benchmarks.corpus.sources import NPM, PYPI, Work
from benchmarks.corpus.store import Writer

FORMATS = ("cc_tab", "cc_arrow", "cat_n", "nl_ba", "sed", "grep_n", "swe_open")
BUCKETS = (2_000, 8_000, 32_000, 128_000, 500_000)
CODE = {".py", ".js", ".mjs", ".cjs", ".ts"}
CC_LIMIT = 2000  # lines a Claude Code Read returns without a limit


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def pick_files(root: Path) -> list[Path]:
    files = [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in CODE and not p.name.endswith(".min.js")
    ]
    picked = []
    low = 0
    for high in BUCKETS:
        bucket = [p for p in files if low < p.stat().st_size <= high]
        if bucket:
            picked.append(min(bucket, key=lambda p: _h(str(p.relative_to(root)))))
        low = high
    return picked


def build(work: Work, out: Writer) -> None:
    turn = 0
    for package in [*PYPI, *NPM]:
        root = work.src(package)
        for path in pick_files(root):
            text = path.read_text(errors="replace")
            if text.endswith("\n"):
                text = text[:-1]
            rel = str(path.relative_to(root))
            fmt = FORMATS[turn % len(FORMATS)]
            turn += 1
            _one(work, out, package, root, rel, text, fmt)


def _one(work: Work, out: Writer, package: str, root: Path, rel: str, text: str, fmt: str) -> None:
    lines = text.split("\n")
    n = len(lines)
    defs = definitions(root / rel, text)
    abspath = f"/src/{package}/{rel}"
    size = len(text.encode())
    first, last = 1, n
    source = f"{package} {rel} ({size:,} bytes, {n:,} lines)"
    if fmt in ("cc_tab", "cc_arrow"):
        tool_input: dict = {"file_path": abspath}
        if n > CC_LIMIT:
            # A later page of a long file, as an agent asks for it: offset is 1-based.
            first = 1 + (int(_h(rel)[:6], 16) % (n - CC_LIMIT))
            last = first + CC_LIMIT - 1
            tool_input.update(offset=first, limit=CC_LIMIT)
        if fmt == "cc_tab":
            body = "\n".join(f"{i}\t{lines[i - 1]}" for i in range(first, last + 1))
        else:
            body = "\n".join(f"{i:>6}→{lines[i - 1]}" for i in range(first, last + 1))
        out.add(
            "read",
            package,
            f"{fmt}-{rel}",
            "Read",
            tool_input,
            body,
            _facts(defs, first, last),
            source,
            min_facts=0,
        )
        return
    if fmt == "swe_open":
        line = defs[len(defs) // 2][0] if defs else 1
        first = max(1, line - 50)
        last = min(n, first + 99)
        parts = [f"[File: {abspath} ({n} lines total)]"]
        if first > 1:
            parts.append(f"({first - 1} more lines above)")
        parts += [f"{i}:{lines[i - 1]}" for i in range(first, last + 1)]
        if last < n:
            parts.append(f"({n - last} more lines below)")
        command = f"open {abspath} {line}"
        src = source + "; SWE-agent's open window, formatted as its windowed file tool prints it"
        out.add(
            "read",
            package,
            f"{fmt}-{rel}",
            "bash",
            {"command": command},
            "\n".join(parts),
            _facts(defs, first, last),
            src,
            min_facts=0,
        )
        return
    if fmt == "sed" and n > 600:
        line = defs[len(defs) // 3][0] if defs else 1
        first, last = max(1, line - 20), min(n, line + 279)
    args = {
        "cat_n": ["cat", "-n", rel],
        "nl_ba": ["nl", "-ba", rel],
        "sed": ["sed", "-n", f"{first},{last}p", rel],
        "grep_n": [
            "grep",
            "-n",
            "-E",
            r"^\s*(async def|def|class|function|export|const \w+ = )",
            rel,
        ],
    }[fmt]
    p = work.run(*args, cwd=root)
    command = shlex.join(args)
    tool, key = ("exec_command", "cmd") if fmt == "nl_ba" else ("Bash", "command")
    out.add(
        "read",
        package,
        f"{fmt}-{rel}",
        tool,
        {key: command},
        p.stdout.rstrip("\n"),
        _facts(defs, first, last),
        source,
        min_facts=0,
    )


def _facts(defs: list[tuple[int, str]], first: int, last: int) -> list[str]:
    return [fact for line, fact in defs if first <= line <= last]
