"""The scripted tasks the fake models give the agents, shared by the tests and the recorder.

Later steps read what the agent sent back (as the fake model received it, so after
Trimline): the Edit targets a line of the Read result as the model saw it, and the
``trimline show`` step takes its id from a marker in that result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.fake_models import Call, Step, ToolResult
from tests.e2e.scratch import SOURCE

PYTEST = "python -m pytest -v"
# The kept line the Edit rewrites: a module constant, which the Read outline keeps. The new
# pattern fixes one of the two failing tests (parse_sku with surrounding spaces).
OLD_LINE = r'SKU_PATTERN = re.compile(r"^([A-Z]{3})-(\d{4})$")'
NEW_LINE = r'SKU_PATTERN = re.compile(r"^\s*([A-Z]{3})-(\d{4})\s*$")'
# Bodies the failing tests point at (a traceback names apply_discount and cites parse_sku's
# line): the read policy keeps them whole, so the show step expands another body.
POINTED = ("parse_sku", "apply_discount")


def definition(source: list[str], name: str) -> list[tuple[int, str]]:
    """The (number, text) lines of a top-level ``def name`` of source, up to the next
    top-level line (blank lines inside included, trailing ones not)."""
    start = next(i for i, line in enumerate(source) if line.startswith(f"def {name}("))
    end = next(
        (i for i in range(start + 1, len(source)) if source[i][:1] not in ("", " ")),
        len(source),
    )
    while source[end - 1] == "":
        end -= 1
    return [(i + 1, source[i]) for i in range(start, end)]


CLAUDE_FINAL = "Fixed SKU parsing; the rounding test still fails."
CODEX_FINAL = (
    "Two tests fail: test_discount_rounds_half_up and test_parse_sku_ignores_surrounding_spaces."
)

# ``[trimline] lines A-B elided: what`` and, on the first marker of a block only, `` — <way
# back>``, which names ``trimline show ID --lines A-B`` when the proxy stores originals.
MARKER = re.compile(r"\[trimline\] lines? (\d+)(?:-(\d+))? elided: (.*?)(?: — (.*))?$")
SHOW = re.compile(r"trimline show ([0-9a-f]+) --lines (\d+)-(\d+)")


@dataclass
class Marker:
    first: int
    last: int
    what: str
    way_back: str  # "" on every marker after a block's first
    command: str = ""  # the ``trimline show`` command the marker itself names, if any


def markers(text: str) -> list[Marker]:
    out = []
    for line in text.splitlines():
        m = MARKER.match(line)
        if m:
            first, last, what, way_back = m.groups()
            show = SHOW.search(way_back or "")
            out.append(
                Marker(
                    int(first), int(last or first), what, way_back or "", show[0] if show else ""
                )
            )
    return out


def _last(results: list[ToolResult], name: str) -> ToolResult:
    for r in reversed(results):
        if r.name == name:
            return r
    raise LookupError(f"no {name} result in {[r.name for r in results]}")


def _read_result(results: list[ToolResult]) -> ToolResult:
    for r in reversed(results):
        if r.name == "Read" and r.input.get("file_path", "").endswith(SOURCE):
            return r
    raise LookupError("the Read of the source file never came back")


def kept_line(read_text: str, wanted: str) -> str:
    """The text of a line of a Read result (``N<tab>text`` or ``N→text``) equal to wanted."""
    for line in read_text.splitlines():
        m = re.match(r" *\d+(?:\t|→)(.*)$", line)
        if m and m.group(1) == wanted:
            return m.group(1)
    raise LookupError(f"{wanted!r} is not in the Read result the model received")


@dataclass
class ClaudeScript:
    """Bash pytest -> Read source -> [Bash trimline show ID] -> Edit a kept line -> final text."""

    source: Path
    show: bool = True
    shown: list[Marker] = field(default_factory=list)

    def steps(self) -> list[Step]:
        steps: list[Step] = [
            [Call("Bash", {"command": PYTEST, "description": "Run the test suite"})],
            [Call("Read", {"file_path": str(self.source)})],
        ]
        if self.show:
            steps.append(self._show)
        steps += [self._edit, self._final]
        return steps

    def _show(self, results: list[ToolResult]) -> list[Call]:
        read = _read_result(results)
        # The command exactly as a marker names it (only a block's first marker does).
        found = [m for m in markers(read.text) if m.command]
        if not found:
            raise LookupError("no [trimline] marker with a show command in the Read result")
        self.shown.append(found[0])
        return [Call("Bash", {"command": found[0].command, "description": "Expand elided lines"})]

    def _edit(self, results: list[ToolResult]) -> list[Call]:
        old = kept_line(_read_result(results).text, OLD_LINE)
        return [
            Call(
                "Edit",
                {"file_path": str(self.source), "old_string": old, "new_string": NEW_LINE},
            )
        ]

    def _final(self, results: list[ToolResult]) -> str:
        edit = _last(results, "Edit")
        if edit.is_error:
            raise RuntimeError(f"the Edit failed: {edit.text}")
        return CLAUDE_FINAL


def codex_steps() -> list[Step]:
    """exec_command pytest -> exec_command cat the source -> final text.

    ``login: false``: Codex runs commands in a login shell by default, which resets PATH
    from /etc/profile and loses the test's Python (and ``trimline``).
    """
    return [
        [Call("exec_command", {"cmd": PYTEST, "login": False, "yield_time_ms": 30000})],
        [Call("exec_command", {"cmd": f"cat {SOURCE}", "login": False})],
        CODEX_FINAL,
    ]
