"""Which calls are git's (diff, show, log, status, blame) and ``sniff`` by content."""

from __future__ import annotations

from trimline.compressors.base import Context
from trimline.compressors.shellcmd import first_program, git_subcommand
from trimline.compressors.vcs.model import (
    _META,
    _SHORT_STATUS,
    _SNIFF_COMMIT,
    _STATUS_SECTIONS,
    _SUBCOMMANDS,
    SNIFF_LINES,
)


def _subcommand(ctx: Context) -> str:
    found = first_program(ctx.command)
    if not found or found[0] != "git":
        return ""
    return git_subcommand(found[1])[0]


def claims(ctx: Context) -> bool:
    return _subcommand(ctx) in _SUBCOMMANDS


def _sample(text: str) -> list[str]:
    lines = text[: 300 * SNIFF_LINES].split("\n", SNIFF_LINES)[:SNIFF_LINES]
    out = []
    for line in lines:
        body = line.rstrip("\r")
        if body.strip() and _META.match(body) is None:
            out.append(body)
    return out


def _is_short_status(line: str) -> bool:
    m = _SHORT_STATUS.match(line)
    return m is not None and m.group(1) != "  " and m.group(2)[:1] not in (" ", "")


def sniff(text: str, ctx: Context) -> bool:
    sample = _sample(text)
    if len(sample) < 2:
        return False
    first = sample[0]
    if _SNIFF_COMMIT.match(first):
        return any(line.startswith(("Author:", "Merge:")) for line in sample[1:4])
    if first.startswith(("On branch ", "HEAD detached at ", "HEAD detached from ")):
        return any(
            line in _STATUS_SECTIONS
            or line.startswith(
                ("Your branch ", "nothing to commit", "nothing added to commit", "no changes added")
            )
            for line in sample[1:30]
        )
    if first.startswith("## ") or first.startswith("# branch."):
        return all(_is_short_status(line) or line.startswith("# ") for line in sample[1:30])
    shorts = sum(1 for line in sample if _is_short_status(line))
    if len(sample) >= 3 and shorts == len(sample):
        return True
    for k, line in enumerate(sample):
        if line.startswith("diff --git "):
            return any(
                nxt.startswith(
                    ("@@ ", "index ", "Binary files ", "--- ", "new file mode", "deleted file mode")
                )
                for nxt in sample[k + 1 : k + 6]
            )
    return False
