"""Checks every compressor test uses: the output is the input's lines, in order, plus markers."""

from __future__ import annotations

import json
from pathlib import Path

from trimline.compressors import Context
from trimline.compressors.base import MARKER_PREFIX
from trimline.compressors.text import clean


def ordered_subset(original: str, output: str) -> bool:
    """Every non-marker line of the output is a line of the (cleaned) input, in order."""
    source = clean(original).split("\n")
    pos = 0
    for line in output.split("\n"):
        if line.startswith(MARKER_PREFIX):
            continue
        while pos < len(source) and source[pos] != line:
            pos += 1
        if pos == len(source):
            return False
        pos += 1
    return True


def markers(output: str) -> list[str]:
    return [line for line in output.split("\n") if line.startswith(MARKER_PREFIX)]


def bash(command: str) -> Context:
    return Context("Bash", {"command": command})


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def names(kind: str) -> list[str]:
    """The fixtures of one family: fixtures/<kind>/<name>.txt beside <name>.json."""
    return sorted(p.stem for p in (FIXTURES / kind).glob("*.txt"))


def load(kind: str, name: str) -> tuple[str, Context, list[str]]:
    """One fixture's output (bytes as the tool printed them), its call, and its facts."""
    meta = json.loads((FIXTURES / kind / f"{name}.json").read_text())
    text = (FIXTURES / kind / f"{name}.txt").read_bytes().decode("utf-8", "replace")
    return text, Context(meta["tool"], meta["input"], meta["is_error"]), meta["facts"]


def assertion_diff_middles(
    lines: list[str], most: int = 16, head: int = 8, tail: int = 4
) -> set[int]:
    """Indices of the lines a failing test run may drop among its E lines: the middle of a
    run of more than ``most`` (an assertion's full diff keeps its head and its tail)."""
    out: set[int] = set()
    k = 0
    while k < len(lines):
        if lines[k][:1] != "E":
            k += 1
            continue
        j = k
        while j < len(lines) and lines[j][:1] == "E":
            j += 1
        if j - k > most:
            out.update(range(k + head, j - tail))
        k = j
    return out
