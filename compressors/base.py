"""The compressor contract: what a compressor is given, and what it returns.

Every compressor is a pure function ``(text, Context) -> Plan | None``. A plan
names the input lines to keep verbatim; everything else is dropped in whole
lines behind one-line markers (see ``render``). Compressors never write text of
their own except the marker's description, so the result is a faithful subset
of the input by construction: kept lines are byte-exact, in order.
"""

from __future__ import annotations

import hashlib
import shlex
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trimline.compressors.shellcmd import contains_credential

MARKER_PREFIX = "[trimline]"


@dataclass(frozen=True, slots=True)
class Context:
    """What is known about the tool call that produced a block."""

    tool: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    is_error: bool = False
    # True when the proxy keeps the original (``trimline serve --store-originals``), so
    # markers may point at ``trimline show``; otherwise they say how the tool gets it back.
    keeps_original: bool = True

    @property
    def command(self) -> str:
        """The shell command behind a Bash-like tool call ("" if none)."""
        for key in ("command", "cmd"):
            value = self.tool_input.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return shlex.join(value)
        return ""

    @property
    def file_path(self) -> str:
        for key in ("file_path", "path", "filePath"):
            value = self.tool_input.get(key)
            if isinstance(value, str):
                return value
        return ""


@dataclass(frozen=True, slots=True)
class Elision:
    """A run of dropped input lines, 1-based and inclusive, as the agent saw them."""

    start: int
    end: int
    what: str

    @property
    def count(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class Result:
    text: str
    kind: str
    tokens_before: int
    tokens_after: int
    elided: tuple[Elision, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.elided)

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


@dataclass(slots=True)
class Plan:
    """Which lines survive, and how to describe the runs that do not.

    ``keep`` holds 0-based indices into ``text.split("\\n")``. ``notes`` maps
    the index of the first line of a dropped run (or any line in it) to a short
    description of the run ("41 passing tests", "body of parse_args"); runs
    without a note get a generic one. Markers say how to print the run from
    the original with ``trimline show``; ``hint`` gives the tool's own way to
    get a dropped run (0-based, inclusive) back, such as a ``Read`` with offset
    and limit, and the first marker names the original as well; with
    ``ranges_suffice`` the later markers, whose ranges say what to re-read, stay short.
    """

    kind: str
    keep: set[int]
    notes: dict[int, str] = field(default_factory=dict)
    hint: Callable[[int, int], str] | None = None
    # Maps a 0-based output line to the number the agent knows it by (a Read
    # result shows file line numbers, which need not start at 1).
    number: Callable[[int], int] | None = None
    # The text the indices refer to, when the compressor cleaned the input line
    # by line first (ANSI colours, carriage-return redraws). Same line count.
    source: str | None = None
    # True when the hint only turns a line range into a re-read (a file read): then
    # markers after the first need not repeat it, their ranges say it all.
    ranges_suffice: bool = False


def block_id(text: str) -> str:
    """The short content address under which the proxy keeps a block's original."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def show_command(ident: str, first: int, last: int) -> str:
    """The command that prints lines first..last (1-based positions) of an original."""
    return f"trimline show {ident} --lines {first}-{last}"


# Longer commands do not fit a one-line marker; the agent has them in its tool call anyway.
MAX_RERUN = 160


def rerun_hint(ctx: Context) -> str:
    """How to get dropped lines back when the proxy keeps no original: run the tool again."""
    command = ctx.command
    # A command with a credential in it is not copied: the marker is sent and stored.
    if (
        command
        and "\n" not in command
        and len(command) <= MAX_RERUN
        and not contains_credential(command)
    ):
        return f"re-run: {command}"
    return "re-run the tool call to see them"


def _carries_credential(ctx: Context) -> bool:
    values = " ".join(v for v in ctx.tool_input.values() if isinstance(v, str))
    return contains_credential(values)


def _generic_hint(first: int, last: int) -> str:
    return "re-run the tool call to see them"


def marker(first: int, last: int, what: str, hint: str) -> str:
    n = last - first + 1
    noun = "line" if n == 1 else "lines"
    span = f"line {first}" if n == 1 else f"lines {first}-{last}"
    head = f"{MARKER_PREFIX} {n} {noun} elided ({span}: {what})"
    return f"{head} — {hint}" if hint else head


# Characters a marker costs besides its note and line numbers. Markers are dense in digits
# and hex, which cost more tokens per character than names and prose, hence the margin.
MARKER_COST = 90
MARKER_MARGIN = 1.3


def _size(lines: list[str], first: int, end: int) -> int:
    """Characters of lines[first:end], newlines included."""
    return sum(map(len, lines[first:end])) + (end - first)


def worth_folding(lines: list[str], first: int, end: int, note: str) -> bool:
    """Do lines[first:end] cost clearly more than the marker that would replace them?"""
    return _size(lines, first, end) >= MARKER_MARGIN * (MARKER_COST + len(note) + 4 * len(str(end)))


def _runs(keep: set[int], n: int) -> list[tuple[int, int]]:
    """Runs [first, end) of indices below n that are not in keep, in order."""
    runs = []
    i = 0
    for k in sorted(k for k in keep if 0 <= k < n):
        if k > i:
            runs.append((i, k))
        i = k + 1
    if i < n:
        runs.append((i, n))
    return runs


def fold_runs(
    lines: list[str], keep: set[int], describe: Callable[[int, int], str], *, thrifty: bool = True
) -> dict[int, str]:
    """A note for each run of dropped lines (first, end), from ``describe``. ``thrifty``:
    a run too short to pay for its marker is kept instead (added to ``keep``)."""
    notes: dict[int, str] = {}
    for first, end in _runs(keep, len(lines)):
        note = describe(first, end)
        if not thrifty or worth_folding(lines, first, end, note):
            notes[first] = note
        else:
            keep.update(range(first, end))
    return notes


def render(text: str, plan: Plan, ctx: Context) -> tuple[str, tuple[Elision, ...]]:
    """Kept lines verbatim, each dropped run replaced by one marker line.

    Every marker says how to get its lines back: the tool's own way (a re-read of a
    line range, a re-run) and, when the proxy keeps originals, the command that
    prints them from the original kept under ``block_id(text)``.
    """
    ident = block_id(text)
    lines = (plan.source if plan.source is not None else text).split("\n")
    # A trailing newline yields an empty last "line"; never elide it on its own.
    if lines and lines[-1] == "":
        plan.keep.add(len(lines) - 1)
    out: list[str] = []
    elided: list[Elision] = []
    noted = sorted(plan.notes)
    notes, number, tool_hint = plan.notes, plan.number, plan.hint
    if tool_hint is not None and _carries_credential(ctx):
        tool_hint = _generic_hint  # a tool call's hint quotes its input: not this one
    at = 0  # lines before this index are in out, as lines or markers
    for i, end in _runs(plan.keep, len(lines)):
        out.extend(lines[at:i])
        at = end
        j = end - 1
        first, last = (number(i), number(j)) if number else (i + 1, j + 1)
        # A run may swallow several noted spans: the first note inside it speaks for it.
        k = bisect_left(noted, i)
        what = notes[noted[k]] if k < len(noted) and noted[k] <= j else "output"
        show = show_command(ident, i + 1, end) if ctx.keeps_original else ""
        if tool_hint is None:
            hint = f"run: {show}" if show else rerun_hint(ctx)
        elif not elided:
            hint = f"{tool_hint(i, j)}, or run: {show}" if show else tool_hint(i, j)
        elif plan.ranges_suffice:
            # The first marker showed how the tool gets a line range back and named the
            # original; after it, the range alone says what to re-read.
            hint = ""
        else:
            hint = tool_hint(i, j)
        line = marker(first, last, what, hint)
        # The marker must cost less than what it replaces (each line is at least its newline).
        if end - i <= len(line) and len(line) >= _size(lines, i, end) - 1:
            out.extend(lines[i:end])
        else:
            out.append(line)
            elided.append(Elision(first, last, what))
    out.extend(lines[at:])
    return "\n".join(out), tuple(elided)
