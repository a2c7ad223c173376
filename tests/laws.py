"""Checks every compressor test uses: the output is the input's lines, in order, plus markers."""

from __future__ import annotations

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
