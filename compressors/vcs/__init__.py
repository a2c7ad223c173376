"""Version control output: ``git diff``, ``git show``, ``git log`` (default,
--stat, -p, --oneline) and ``git status`` (long, --short, --porcelain).

Diffs keep every ``diff --git`` line, every extended header (index, mode,
rename, ``Binary files ... differ``), every ``---``/``+++`` and ``@@`` line and
every ``+``/``-`` line: changed lines are never dropped. Only unchanged context
lines thin out, to ``CONTEXT`` lines next to each change, per hunk (hunk headers stay
as they were, and the marker's range names the output lines it stands for). Lockfiles
and generated files (package-lock.json, yarn.lock, Cargo.lock, go.sum,
*.min.js, *.map, dist/ ...) keep their headers and fold their changed lines
behind one marker that counts them; binary patch data folds likewise.

Logs keep the first ``WHOLE_COMMITS`` commits whole; later commits keep their
``commit <sha>`` line, Author/Date and the first line of their message, and fold
the message body and the --stat bars (not the stat's summary line). Their diffs
(``git log -p``) follow the diff rules above.

Status keeps the branch lines and every changed, staged and unmerged path; it
folds git's usage hints (``(use "git add <file>..." ...)``) and untracked or
ignored paths inside noise directories (node_modules/, __pycache__/, ...), per
directory.

``git blame`` is claimed but has no structure worth folding here: the generic
fallback handles long ones.

One module per part: see README.md in this folder.
"""

from __future__ import annotations

import re

from trimline.compressors.base import MARKER_PREFIX, Context, Plan, fold_runs
from trimline.compressors.text import clean
from trimline.compressors.vcs.claims import _sample, _subcommand, claims, sniff
from trimline.compressors.vcs.describe import _summary
from trimline.compressors.vcs.diff import _fold_diff
from trimline.compressors.vcs.log import _fold_commits
from trimline.compressors.vcs.model import _BLAME, _STATUS_START, MARKER_MARGIN, WHOLE_COMMITS
from trimline.compressors.vcs.parse import _parse
from trimline.compressors.vcs.status import _fold_status

KIND = "vcs"
__all__ = ["KIND", "WHOLE_COMMITS", "claims", "compress", "sniff"]


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    sub = _subcommand(ctx)
    sample = _sample(source)
    first = sample[0] if sample else ""
    if sub == "blame" or (not sub and _BLAME.match(first)):
        return None  # no structure to fold: the generic fallback takes long ones
    labels: dict[int, tuple] = {}
    if sub == "status" or (sub in ("", "status") and _STATUS_START.match(first)):
        _fold_status(lines, labels)
    else:
        commits, files = _parse(lines)
        if not commits and not files and sub not in ("log", "diff", "whatchanged"):
            return None  # e.g. git show HEAD:path prints a file
        _fold_commits(commits, lines, labels)
        for file in files:
            _fold_diff(file, labels, lines)
    keep = {i for i in range(len(lines)) if i not in labels}
    plan_source = source if source != text else None
    if not labels:
        # Recognised, and nothing to drop: keep it all (no generic fallback).
        return Plan(KIND, keep, source=plan_source)
    see = _see_command(ctx)
    notes = fold_runs(
        lines,
        keep,
        lambda a, b: _summary([labels[k] for k in range(a, b) if k in labels], see),
        thrifty=False,
    )
    for first, note in list(notes.items()):
        end = first
        while end < len(lines) and end not in keep:
            end += 1
        if not _pays(lines, first, end, note):
            del notes[first]
            keep.update(range(first, end))
    if len(keep) == len(lines):
        return Plan(KIND, keep, source=plan_source)
    # The renderer's way back for commands: the first marker says how to re-run narrowed to
    # its lines; the later ones, one per stretch of context, only which lines they stand for.
    return Plan(KIND, keep, notes, source=plan_source)


_SIMPLE_GIT = re.compile(r"git (?:diff|show|log)(?: [\w@^~./:=-]+)*")


def _see_command(ctx: Context) -> str:
    """The git command that shows one folded file: the call's own, limited to a path."""
    command = ctx.command.strip()
    if _SIMPLE_GIT.fullmatch(command) and len(command) <= 100:
        return command
    return ""


def _pays(lines: list[str], first: int, end: int, note: str) -> bool:
    """Do lines[first:end] cost clearly more than a short marker (no way back: the first
    marker gives it) would? Markers are dense in digits, hence the margin."""
    marker = len(f"{MARKER_PREFIX} {end - first} lines elided (lines {first}-{end}: {note})")
    return sum(map(len, lines[first:end])) + (end - first) >= MARKER_MARGIN * marker
