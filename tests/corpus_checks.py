"""Checks of a compressed corpus output against its original: the laws, line by line.

``align`` walks the output beside the original using the result's elisions (what each
marker claims to replace); every other check works on that alignment. Each check returns
problems as ``(class, detail)``: the class names the kind of failure, so the tests can
list known failures by class.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from trimline.compressors import Result
from trimline.compressors.base import MARKER_PREFIX
from trimline.compressors.text import clean
from trimline.compressors.tokens import count_tokens

# A file line number at the start of a read line, in each read format.
NUMBERED = re.compile(r"^\s*(\d+)(?:\t|→|:)")
RANGE_READ = re.compile(r"offset[= ](\d+),? limit[= ](\d+)")
SED_RANGE = re.compile(r"sed -n '(\d+),(\d+)p'")
SHOW = re.compile(r"trimline show (\w+) --lines (\d+)-(\d+)")
# The narrowing pipe a re-run hint may end with, and what it applies to.
# Commands whose re-run is neither cheap nor safe: a marker must not send the agent there.
UNSAFE = re.compile(
    r"\b(?:pip3?|npm|pnpm|yarn|uv|poetry|cargo|apt(?:-get)?) (?:install|i|ci|add|publish)\b|\bdeploy\b|\bgit push\b"
)
NARROW = re.compile(
    r"^(?:re-run:\s*)?(?P<cmd>.+?)\s*(?:2>&1\s*)?\|\s*(?P<filter>sed -n '\d+,\d+p')\s*$"
)


@dataclass
class Gap:
    marker: str  # the marker line as the agent reads it
    first: int  # 0-based index of the first original line it replaces
    lines: list[str]  # the original lines it replaces
    start: int  # what the marker claims (Elision.start / end / what)
    end: int
    what: str
    before: str | None  # the kept original line just above it


def align(original: str, result: Result) -> tuple[list[Gap], list[tuple[str, str]]]:
    """The gaps each marker stands for, and faithful-subset problems found on the way."""
    src = original.split("\n")
    cleaned = clean(original).split("\n")
    out = result.text.split("\n")
    elided = list(result.elided)
    gaps: list[Gap] = []
    problems: list[tuple[str, str]] = []
    i = 0
    for line in out:
        if line.startswith(MARKER_PREFIX) and elided and not (i < len(src) and src[i] == line):
            e = elided.pop(0)
            gaps.append(
                Gap(
                    line, i, src[i : i + e.count], e.start, e.end, e.what, src[i - 1] if i else None
                )
            )
            i += e.count
            continue
        if i < len(src) and (src[i] == line or (len(cleaned) == len(src) and cleaned[i] == line)):
            i += 1
            continue
        problems.append(
            (
                "kept line not byte-exact or out of order",
                f"output line {line[:80]!r} vs original line {i + 1}",
            )
        )
        return gaps, problems
    if elided:
        problems.append(
            ("marker missing for an elision", f"{len(elided)} elisions without a marker line")
        )
    if i != len(src):
        problems.append(
            ("marker counts do not add up", f"{len(src) - i} original lines unaccounted for")
        )
    return gaps, problems


def _normalise(line: str) -> str:
    return re.sub(r"\d+", "0", line)


SED_WINDOW = re.compile(r"^sed -n '?(\d+),\d+p'? \S+$")


def _prelude(original: str) -> int:
    """Lines an agent's harness printed before the command's own output."""
    first = original.split("\n", 1)[0]
    return 1 if first.startswith("Exit code") else 0


RULE = re.compile(r"(?:_ )+_?|[-=_~*]{3,}")


def claims(gaps: list[Gap], read: bool) -> list[tuple[str, str]]:
    """Every marker's words true of the lines it replaces, and cheaper than they are."""
    problems = []
    for g in gaps:
        n = len(g.lines)
        if not g.lines:
            problems.append(("marker replaces no line", g.marker[:100]))
            continue
        position = (g.start, g.end) == (g.first + 1, g.first + n)
        numbers = [NUMBERED.match(x) for x in (g.lines[0], g.lines[-1])]
        numbered = all(numbers) and (g.start, g.end) == tuple(int(m.group(1)) for m in numbers)  # type: ignore[union-attr]
        if not (position or (read and numbered) or numbered):
            problems.append(
                (
                    "false range",
                    f"claims {g.start}-{g.end}, replaces positions {g.first + 1}-{g.first + n}",
                )
            )
        # Counts ("5 lines of source", "the self = <…> line") describe lines of the range;
        # together they may leave out only blank lines and rules (``_ _ _``) folded with them.
        what = g.marker.split(" elided: ", 1)[-1].split(" — ", 1)[0]
        said = sum(
            int(c.replace(",", ""))
            for c in re.findall(r"\b(\d[\d,]*) (?:[\w-]+ )?(?:lines?|entries)\b", what)
        )
        said += len(re.findall(r"\bthe [^;]*? line\b", what))
        filler = sum(1 for x in g.lines if not x.strip() or RULE.fullmatch(x.strip()))
        if said and not (n - filler <= said <= n):
            problems.append(("false count", f"says {said} lines, replaces {n}"))
        if "repeat" in g.what and g.before is not None:
            if "numbers aside" in g.what:
                ok = all(_normalise(x) == _normalise(g.before) for x in g.lines)
            else:
                ok = all(x == g.before for x in g.lines)
            if not ok:
                problems.append(
                    (
                        "false 'repeats' claim",
                        f"{g.what!r} over lines that differ from the line above",
                    )
                )
        if count_tokens(g.marker) > count_tokens("\n".join(g.lines)) + 1:
            problems.append(
                (
                    "marker costs more than it replaces",
                    f"{count_tokens(g.marker)} vs {count_tokens(chr(10).join(g.lines))} tokens",
                )
            )
    return problems


def way_back(
    gaps: list[Gap],
    original: str,
    keeps_original: bool,
    read: bool,
    tool: str = "",
    command: str = "",
) -> list[tuple[str, str]]:
    """Every way back a marker names gives exactly its lines back, where it is read.

    A hint that calls the same tool again with narrower arguments (``Grep pattern=…
    path=file``) is taken as a working re-run: its result holds the elided lines."""
    problems = []
    shown = False  # an earlier marker of this output named a way back
    for g in gaps:
        hint = g.marker
        if "re-run" in hint and UNSAFE.search(command):
            problems.append(("re-run hint on a command unsafe to re-run", command[:80]))
        if "trimline show" in hint and not keeps_original:
            problems.append(("names trimline show without a stored original", hint[:120]))
        numbers = [NUMBERED.match(x) for x in (g.lines[0], g.lines[-1])] if g.lines else []
        file_range = tuple(int(m.group(1)) for m in numbers) if numbers and all(numbers) else None  # type: ignore[union-attr]
        window = SED_WINDOW.search(command)
        if file_range is None and window and g.lines:
            # sed -n 'A,Bp' FILE prints file lines from A on, unnumbered.
            start = int(window.group(1)) + g.first - _prelude(original)
            file_range = (start, start + len(g.lines) - 1)
        m = RANGE_READ.search(hint)
        if m:
            got = (int(m.group(1)), int(m.group(1)) + int(m.group(2)) - 1)
            if got != file_range:
                problems.append(
                    (
                        "re-read range is not the elided lines",
                        f"re-reads {got}, elided {file_range}",
                    )
                )
        m = SED_RANGE.search(hint)
        if m and read and "|" not in hint:
            got = (int(m.group(1)), int(m.group(2)))
            if got != file_range:
                problems.append(
                    ("re-read range is not the elided lines", f"sed {got}, elided {file_range}")
                )
        elif m:
            problems += _replay(hint, original, g)
        same_tool = bool(tool) and f" — {tool} " in hint
        named = bool(
            RANGE_READ.search(hint)
            or SED_RANGE.search(hint)
            or "re-run" in hint
            or "trimline show" in hint
            or same_tool
        )
        # Later markers give their range only: the first one's recipe takes any range.
        if not named and not shown:
            problems.append(("marker names no way back", hint[:120]))
        shown = shown or named
    return problems


def _replay(hint: str, original: str, g: Gap) -> list[tuple[str, str]]:
    """A re-run hint ending in a narrowing pipe, replayed on the recorded output (the
    command run again prints the same), must print exactly the elided lines."""
    body = hint.split(" — ", 1)[-1].strip().rstrip(")")
    body = re.sub(r"^(?:re-run(?: with)?:?|run:?)\s*", "", body)
    m = NARROW.match(body)
    if not m:
        return []
    p = subprocess.run(
        ["bash", "-c", m.group("filter")],
        input=original,
        capture_output=True,
        text=True,
        timeout=30,
    )
    got = p.stdout.split("\n")
    if got and got[-1] == "":
        got.pop()
    if p.returncode != 0 or got != g.lines:
        return [
            (
                "re-run hint returns other lines",
                f"{m.group('filter')} gives {len(got)} lines, elided {len(g.lines)}",
            )
        ]
    return []
