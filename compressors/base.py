"""The compressor contract: what a compressor is given, and what it returns.

Every compressor is a pure function ``(text, Context) -> Plan | None``. A plan
names the input lines to keep verbatim; everything else is dropped in whole
lines behind one-line markers (see ``render``). Compressors never write text of
their own except the marker's description, so the result is a faithful subset
of the input by construction: kept lines are byte-exact, in order.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trimline.compressors.shellcmd import contains_credential, first_program, read_only
from trimline.compressors.tokens import count_tokens

MARKER_PREFIX = "[trimline]"


# Tools that print a file's text, by the names agents give them, and the editors whose
# ``view`` command does: a read, whichever family then reads its content.
READ_TOOLS = frozenset(
    {
        "read",
        "read_file",
        "readfile",
        "read_text_file",
        "view_file",
        "viewfile",
        "file_read",
        "open_file",
        "view",
        "cat",
    }
)
EDITOR_TOOLS = frozenset({"str_replace_editor", "str_replace_based_edit_tool", "text_editor"})


@dataclass(frozen=True, slots=True)
class Context:
    """What is known about the tool call that produced a block."""

    tool: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    is_error: bool = False
    # True only when the proxy keeps the original (``trimline serve --store-originals``):
    # then markers may point at ``trimline show``. Otherwise (the default, and always in
    # ``trimline compress``) they name only the tool's own way back: a re-read or a re-run.
    keeps_original: bool = False
    # What the session is about, as the agent's request shows it: the user's last message,
    # the agent's last words, the command or search that led here. A large read keeps whole
    # the definitions this text names. Not part of a decision's key: the first decision for
    # a block is replayed on later turns, whatever they say.
    task: str = ""

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
_PRELUDE = re.compile(
    r"Exit code \d+$|Chunk ID:|Wall time:|Process exited with code|Original token"
)


def output_start(lines: list[str]) -> int:
    """Index of the first line the command printed: after Claude Code's ``Exit code N``
    line or Codex's exec header (``Chunk ID: ...`` up to ``Output:``)."""
    if not lines or _PRELUDE.match(lines[0]) is None:
        return 0
    if lines[0].startswith("Exit code"):
        return 1
    return next((i + 1 for i, line in enumerate(lines[:12]) if line == "Output:"), 0)


def rerun_hint(ctx: Context, first: int = 0, last: int = 0) -> str:
    """How to get lines first..last (1-based lines of the command's own output) back when
    the proxy keeps no original: re-run the command narrowed to them, when that is cheap
    and safe (it only reads); otherwise say plainly that there is no cheap way back."""
    command = ctx.command.strip()
    if not command:
        return "re-run the tool call to see them"
    if not read_only(command):
        name, args = first_program(command) or ("", [])
        if name.startswith("python") and args[:1] == ["-m"] and len(args) > 1:
            name = args[1]  # python -m pytest: the module is what runs
        return f"not kept: re-running {(name or 'the command')[:40]} is not cheap or safe"
    if contains_credential(command):  # a marker is sent and stored: never copy a secret
        return "re-run your command to see them"
    if "\n" in command or len(command) > MAX_RERUN:
        return "re-run the command to see them"
    if first <= 0:
        return f"re-run: {command}"
    bare = command.removesuffix("2>&1").rstrip()  # stderr is already merged: once is enough
    piped = any(c in bare for c in "|;&")
    body = f"({bare})" if piped else bare
    return f"re-run: {body} 2>&1 | sed -n '{first},{last}p'"


def _carries_credential(ctx: Context) -> bool:
    values = " ".join(v for v in ctx.tool_input.values() if isinstance(v, str))
    return contains_credential(values)


def _generic_hint(first: int, last: int) -> str:
    return "re-run the tool call to see them"


def marker(first: int, last: int, what: str, hint: str) -> str:
    # The range says how many lines went: no count beside it (every token of a marker is
    # paid on every later turn).
    span = f"line {first}" if first == last else f"lines {first}-{last}"
    head = f"{MARKER_PREFIX} {span} elided: {what}"
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


def _what(notes: dict[int, str], noted: list[int], i: int, j: int) -> str:
    """The note of a run: the one note inside it or, when the run swallowed spans with
    different notes, each of them (every note is true of a part of the run)."""
    k = bisect_left(noted, i)
    found: list[str] = []
    while k < len(noted) and noted[k] <= j:
        note = notes[noted[k]]
        if note not in found:
            found.append(note)
        k += 1
    if not found:
        return "output"
    if len(found) == 1:
        return found[0]
    return "; ".join(found[:2]) + (f"; {len(found) - 2} more kinds" if len(found) > 2 else "")


def _cheaper(line: str, lines: list[str], i: int, end: int) -> bool:
    """Does the marker cost fewer tokens than the lines it would replace?"""
    size = _size(lines, i, end)
    if size > 6 * len(line):
        return True  # clearly: a token is at most some 6 characters of either
    return count_tokens(line) < count_tokens("\n".join(lines[i:end]) + "\n")


def render(text: str, plan: Plan, ctx: Context) -> tuple[str, tuple[Elision, ...]]:
    """Kept lines verbatim, each dropped run replaced by one marker line.

    The first marker says how to get the lines back: the tool's own way (a re-read of a
    line range; a re-run narrowed to the range when the command only reads) and, when the
    proxy keeps originals, the command that prints them from the original kept under
    ``block_id(text)``. Later markers of a read or re-run give their range only, which the
    first one's recipe takes. A marker that would cost as many tokens as its lines is not
    written: the lines stay.
    """
    ident = block_id(text)
    lines = (plan.source if plan.source is not None else text).split("\n")
    # A trailing newline yields an empty last "line"; never elide it on its own.
    if lines and lines[-1] == "":
        plan.keep.add(len(lines) - 1)
    notes, number, tool_hint = plan.notes, plan.number, plan.hint
    if tool_hint is not None and _carries_credential(ctx):
        tool_hint = _generic_hint  # a tool call's hint quotes its input: not this one
    base = 0
    if number is None:
        # A command's output is numbered as the command printed it (what ``sed -n`` counts
        # on a re-run): a header the agent's harness put first stays, and does not count.
        base = output_start(lines)
        plan.keep.update(range(base))
    out: list[str] = []
    elided: list[Elision] = []
    noted = sorted(notes)
    at = 0  # lines before this index are in out, as lines or markers
    for i, end in _runs(plan.keep, len(lines)):
        out.extend(lines[at:i])
        at = end
        j = end - 1
        first, last = (number(i), number(j)) if number else (i + 1 - base, j + 1 - base)
        what = _what(notes, noted, i, j)
        show = show_command(ident, i + 1, end) if ctx.keeps_original else ""
        if tool_hint is None:
            if show:
                hint = f"run: {show}"
            elif not elided:
                hint = rerun_hint(ctx, first, last)
            else:
                hint = ""
        elif not elided:
            hint = f"{tool_hint(i, j)}, or run: {show}" if show else tool_hint(i, j)
        elif plan.ranges_suffice:
            # The first marker showed how the tool gets a line range back and named the
            # original; after it, the range alone says what to re-read.
            hint = ""
        else:
            hint = tool_hint(i, j)
        line = marker(first, last, what, hint)
        if _cheaper(line, lines, i, end):
            out.append(line)
            elided.append(Elision(first, last, what))
        else:
            out.extend(lines[i:end])
    out.extend(lines[at:])
    return "\n".join(out), tuple(elided)
