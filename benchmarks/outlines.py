"""Whole-file reads of real source, in every read format: definitions kept, tokens saved.

    python -m benchmarks.outlines DIR_OR_FILE... [--format claude|arrow|cat-n|nl|sed|swe]
        [--task TEXT] [--min-kb N]

Every ``.py`` file under the given paths is shown as the format's tool would show it,
compressed as that tool's output, and checked against Python's own ``ast``: a definition
(function, method or class, at any depth) is kept when its ``def name``/``class name``
line survives. Trimline's code is not the oracle. Prints one line per size bucket and a
total; ``--worst`` lists the files that lost most.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

from trimline.compressors import Context, compress
from trimline.compressors.tokens import count_tokens

BUCKETS = (4, 16, 64, 128, 256, 1 << 20)  # KB


def show(source: str, fmt: str, path: str) -> tuple[str, Context]:
    """The file as the format's tool shows it, and the call that made it."""
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if fmt == "claude":
        text = "\n".join(f"{i}\t{line}" for i, line in enumerate(lines, 1))
        return text, Context("Read", {"file_path": path})
    if fmt == "arrow":
        text = "\n".join(f"{i:>6}→{line}" for i, line in enumerate(lines, 1))
        return text, Context("Read", {"file_path": path})
    if fmt == "cat-n":
        text = "\n".join(f"{i:>6}\t{line}" for i, line in enumerate(lines, 1))
        return text, Context("Bash", {"command": f"cat -n {path}"})
    if fmt == "nl":
        text = "\n".join(f"{i:>6}\t{line}" for i, line in enumerate(lines, 1))
        return text, Context("exec_command", {"cmd": ["bash", "-lc", f"nl -ba {path}"]})
    if fmt == "sed":
        a = max(1, len(lines) // 4)
        shown = lines[a - 1 :]
        return "\n".join(shown), Context("Bash", {"command": f"sed -n '{a},$p' {path}"})
    if fmt == "swe":
        body = "\n".join(f"{i}:{line}" for i, line in enumerate(lines, 1))
        text = f"[File: {path} ({len(lines)} lines total)]\n{body}"
        return text, Context("open", {"command": f"open {path}"})
    text = "\n".join(lines)
    return text, Context("Bash", {"command": f"cat {path}"})


def shown_from(source: str, fmt: str) -> int:
    """The first file line the format shows (``sed`` shows from a quarter in)."""
    return max(1, len(source.split("\n")) // 4) if fmt == "sed" else 1


def definitions(source: str, since: int = 1) -> list[str]:
    """Every def/class at any depth from line ``since`` on, as the text an agent looks for."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    out = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) < since:
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(f"def {node.name}")
        elif isinstance(node, ast.ClassDef):
            out.append(f"class {node.name}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--format", default="claude")
    ap.add_argument("--task", default="")
    ap.add_argument("--min-kb", type=float, default=0)
    ap.add_argument("--worst", type=int, default=0)
    args = ap.parse_args(argv)
    files: list[Path] = []
    for p in map(Path, args.paths):
        files.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    rows: dict[int, list[int]] = {b: [0, 0, 0, 0, 0] for b in BUCKETS}
    worst: list[tuple[int, str, int]] = []
    for f in files:
        source = f.read_text("utf-8", "replace")
        kb = len(source.encode()) / 1024
        if kb < args.min_kb or not source.strip():
            continue
        names = definitions(source, shown_from(source, args.format))
        text, ctx = show(source, args.format, str(f))
        if args.task:
            ctx = Context(ctx.tool, ctx.tool_input, task=args.task)
        result = compress(text, ctx)
        before = count_tokens(text)
        after = count_tokens(result.text) if result.changed else before
        out_lines = [line for line in result.text.split("\n") if not line.startswith("[trimline]")]
        joined = "\n".join(out_lines)
        kept = sum(1 for n in names if n + "(" in joined or n + ":" in joined or n + "[" in joined)
        bucket = next(b for b in BUCKETS if kb < b)
        row = rows[bucket]
        row[0] += 1
        row[1] += len(names)
        row[2] += kept
        row[3] += before
        row[4] += after
        if kept < len(names):
            worst.append((len(names) - kept, str(f), len(names)))
    print(f"format={args.format} files={sum(r[0] for r in rows.values())}")
    print(f"{'size':>10} {'files':>6} {'defs':>7} {'kept':>7} {'saved':>7}")
    total = [0, 0, 0, 0, 0]
    for b, row in rows.items():
        if not row[0]:
            continue
        total = [x + y for x, y in zip(total, row, strict=True)]
        print(_row(f"<{b} KB" if b < 1 << 20 else "larger", row))
    print(_row("all", total))
    for lost, name, n in sorted(worst, reverse=True)[: args.worst]:
        print(f"  lost {lost}/{n}  {name}")
    return 0


def _row(label: str, row: list[int]) -> str:
    defs = f"{100 * row[2] / row[1]:.1f}%" if row[1] else "-"
    saved = f"{100 * (1 - row[4] / row[3]):.1f}%" if row[3] else "-"
    return f"{label:>10} {row[0]:>6} {row[1]:>7} {defs:>7} {saved:>7}"


if __name__ == "__main__":
    sys.exit(main())
