"""Marker text, and the call that brings a folded run back for search tools."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable

from trimline.compressors.base import Context
from trimline.compressors.search.hits import _spans
from trimline.compressors.search.model import _SEARCH_TOOLS


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _summary(items: list[tuple | None], visible: set[str | None]) -> str:
    files: dict[str | None, list[int]] = {}  # path -> [hits, other lines, long lines, max len]
    numbers: dict[str | None, list[int]] = {}  # path -> line numbers of its folded hits
    noise: dict[str, int] = {}
    binary: Counter[str] = Counter()
    zeros = 0
    for label in items:
        if label is None:
            continue
        kind = label[0]
        if kind == "binary":
            binary[label[1]] += 1
        elif kind == "noise":
            noise[label[1]] = noise.get(label[1], 0) + 1
        elif kind == "zero":
            zeros += 1
        elif kind == "sep":
            continue
        else:
            rec = files.setdefault(label[1], [0, 0, 0, 0])
            if kind == "long":
                rec[2] += 1
                rec[3] = max(rec[3], label[2])
                rec[0 if label[3] else 1] += 1
            else:
                rec[0 if kind == "hit" else 1] += 1
                if kind == "hit":
                    numbers.setdefault(label[1], []).append(label[2])
    parts: list[str] = []
    if binary:
        n = sum(binary.values())
        kinds = ", ".join(f"{c} {ext}" for ext, c in binary.most_common(3))
        more = f", {n - sum(c for _, c in binary.most_common(3))} other" if len(binary) > 3 else ""
        files_match = "binary file matches" if n == 1 else "binary files match"
        parts.append(f"{n} more {files_match} ({kinds}{more})")
    for path, (hits, others, longs, widest) in files.items():
        where = f" in {path}" if path else ""
        more = "more " if path in visible else ""
        long_note = f"{_plural(longs, 'long line')} of up to {widest:,} chars"
        if hits:
            text = f"{hits} {more}{'match' if hits == 1 else 'matches'}{where}"
            # Where each folded hit is: the agent sees every location without re-running.
            found = numbers.get(path, [])
            if found and all(found) and len(found) == hits - longs:
                # In grep's own spelling (path:line:), so it reads and searches like a hit.
                if path:
                    text += ": " + " ".join(f"{path}:{n}:" for n in found)
                if not path:
                    text += f" at {'line' if len(found) == 1 else 'lines'} {_spans(found)}"
            parts.append(text + (f" ({long_note})" if longs else ""))
        elif longs:
            parts.append(f"{long_note}{where}")
        else:
            parts.append(f"{_plural(others, 'context line')}{where}")
    if noise:
        shown = list(noise)[:4]
        dirs = ", ".join(shown) + (
            f" and {len(noise) - 4} more directories" if len(noise) > 4 else ""
        )
        parts.append(f"{_plural(sum(noise.values()), 'path')} under {dirs}")
    if zeros:
        parts.append(f"{_plural(zeros, 'file')} with no matches")
    return "; ".join(parts) or "search output"


def _arg(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and re.fullmatch(r"[\w./@+~-]+", value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _tool_hint(ctx: Context, labels: dict[int, tuple], mode: str) -> Callable[[int, int], str]:
    """For a search tool (no shell command): the call that brings a dropped run back."""
    name = ctx.tool.strip()
    lowered = name.lower()
    base = {k: v for k, v in ctx.tool_input.items() if k not in ("head_limit", "offset", "limit")}
    path_key = next((k for k in ("path", "directory", "dir_path") if k in base), "path")
    # Only a tool known to take a path (or already given one) is pointed elsewhere.
    known = lowered in _SEARCH_TOOLS or "grep" in lowered or "glob" in lowered
    can_target = known or path_key in base
    # Claude Code's Grep: output_mode picks content vs file lists.
    moded = "output_mode" in base or lowered == "grep"

    def hint(first: int, last: int) -> str:
        if not name:
            return "re-run the search"
        files: list[str] = []
        dirs: list[str] = []
        for k in range(first, last + 1):
            label = labels.get(k)
            if not label or label[0] in ("sep", "zero"):
                continue
            target = dirs if label[0] == "noise" else files
            if label[1] and label[1] not in target:
                target.append(label[1])
        args = dict(base)
        if can_target and len(files) == 1 and not dirs:
            args[path_key] = files[0]
        elif can_target and len(dirs) == 1 and not files:
            args[path_key] = dirs[0]
        if moded and files and mode in ("numbered", "plain", "heading"):
            args["output_mode"] = "content"
        shown = " ".join(f"{k}={_arg(v)}" for k, v in args.items())
        return f"{name} {shown}".strip()

    return hint
