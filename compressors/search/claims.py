"""Which calls are searches: grep, rg, ag, ack, git grep, find, Grep/Glob tools."""

from __future__ import annotations

from trimline.compressors.base import Context
from trimline.compressors.search.model import _SEARCH_PROGRAMS, _SEARCH_TOOLS
from trimline.compressors.shellcmd import first_program, git_subcommand


def claims(ctx: Context) -> bool:
    tool = ctx.tool.strip().lower()
    if tool in _SEARCH_TOOLS or "grep" in tool or "glob" in tool:
        return True
    cmd = ctx.command
    if not cmd:
        return False
    found = first_program(cmd)
    if found is None:
        return False
    name, args = found
    if name == "git" and git_subcommand(args)[0] == "grep":
        name = "git grep"
    return name in _SEARCH_PROGRAMS
