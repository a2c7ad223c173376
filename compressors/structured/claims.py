"""Which calls return structured data: a Read of a data file, ``jq``/``yq``, ``-o json``, ``cat x.json``..."""

from __future__ import annotations

import re
import shlex

from trimline.compressors.base import Context
from trimline.compressors.structured.model import (
    _ASSIGNMENT,
    _DATA_EXTS,
    _EDITOR_TOOLS,
    _FORMAT_FLAGS,
    _FORMAT_VALUE,
    _JSON_PROGRAMS,
    _LOCKFILES,
    _PAGERS,
    _READ_TOOLS,
    _SHELLS,
    _TOML_LOCKS,
    _VIEWERS,
    _WRAPPERS,
)


def _tool(ctx: Context) -> str:
    return ctx.tool.strip().lower()


def _lockfile(path: str) -> bool:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name in _LOCKFILES or name.endswith(".lock")


def _ext_format(path: str) -> str | None:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name in _TOML_LOCKS:
        return "toml"
    if "." not in name:
        return None
    return _DATA_EXTS.get(name.rsplit(".", 1)[-1])


def _words(line: str) -> list[str]:
    try:
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        return list(lex)
    except ValueError:
        return line.split()


def _segments(cmd: str, depth: int = 0) -> list[list[str]]:
    """The simple commands of a shell command line, in order (``bash -c`` unwrapped)."""
    out: list[list[str]] = []
    for line in cmd.replace("\\\n", " ").split("\n")[:50]:
        seg: list[str] = []
        for tok in [*_words(line), ";"]:
            if tok and set(tok) <= set("();|&!{}<>"):
                if seg:
                    out.extend(_unwrap(seg, depth))
                seg = []
            else:
                seg.append(tok)
    return out


def _unwrap(seg: list[str], depth: int) -> list[list[str]]:
    i = 0
    while i < len(seg):
        name = seg[i].rsplit("/", 1)[-1]
        if _ASSIGNMENT.match(seg[i]):
            i += 1
        elif name in _WRAPPERS or name == "timeout":
            i += 1
            while i < len(seg) and seg[i].startswith("-"):
                i += 1
            if name == "timeout":
                i += 1
        else:
            break
    seg = seg[i:]
    if not seg:
        return []
    name = seg[0].rsplit("/", 1)[-1]
    if name in _SHELLS and depth < 3:
        for k, arg in enumerate(seg[1:-1], 1):
            if arg.startswith("-") and not arg.startswith("--") and "c" in arg:
                return _segments(seg[k + 1], depth + 1)
    return [[name, *seg[1:]]]


def _producer(cmd: str) -> list[str] | None:
    """The command whose output the agent sees: the last one, pagers skipped."""
    segs = _segments(cmd)
    while segs:
        seg = segs[-1]
        files = [w for w in seg[1:] if not w.startswith("-") and not w.isdigit()]
        if seg[0] in _PAGERS and not files:
            segs.pop()
            continue
        return seg
    return None


def _command_format(cmd: str) -> str | None:
    """The data format a shell command prints, when its words say so."""
    seg = _producer(cmd)
    if not seg:
        return None
    name, args = seg[0], seg[1:]
    flags = [a for a in args if a.startswith("-")]
    if name in _VIEWERS:
        for arg in args:
            if not arg.startswith("-"):
                fmt = _ext_format(arg)
                if fmt:
                    return None if _lockfile(arg) else fmt
        return None
    if name in _JSON_PROGRAMS:
        raw = any(
            f in ("-r", "--raw-output", "-j", "--join-output") or f[:2] == "-r" for f in flags
        )
        if raw:
            text = " ".join(args)
            if "@csv" in text:
                return "csv"
            if "@tsv" in text:
                return "tsv"
            return None
        if any(f in ("-c", "--compact-output") for f in flags):
            return None
        return "yaml" if name == "yq" and not any("json" in f for f in flags) else "json"
    if re.fullmatch(r"python[\d.]*", name) and args[:1] == ["-m"] and len(args) > 1:
        if args[1] == "json.tool":
            return "json"
        name, args = args[1], args[2:]
    if name == "gh" and args[:1] == ["api"]:
        return "json"
    if name in ("docker", "podman") and args[:1] == ["inspect"]:
        return "json"
    if name in ("docker", "podman") and args[:2] == ["compose", "config"]:
        return "yaml"
    if name == "helm" and args[:1] == ["template"]:
        return "yaml"
    if name in ("kubectl", "oc") and args[:1] == ["kustomize"]:
        return "yaml"
    if name.startswith("pip") and args[:1] == ["inspect"]:
        return "json"
    for k, arg in enumerate(args):
        if arg == "--json" or arg.startswith("--json="):
            return "json"
        if arg in ("-ojson", "-oyaml", "-o=json", "-o=yaml"):
            return "json" if "json" in arg else "yaml"
        flag, eq, value = arg.partition("=")
        if flag in _FORMAT_FLAGS:
            if not eq:
                value = args[k + 1] if k + 1 < len(args) else ""
            if _FORMAT_VALUE.match(value):
                return "yaml" if "y" in value.lower()[:2] else "json"
    return None


def _read_path(ctx: Context) -> str:
    tool = _tool(ctx)
    if tool in _READ_TOOLS or (tool in _EDITOR_TOOLS and ctx.tool_input.get("command") == "view"):
        return ctx.file_path
    return ""


def claims(ctx: Context) -> bool:
    path = _read_path(ctx)
    if path:
        return _ext_format(path) is not None and not _lockfile(path)
    cmd = ctx.command
    if not cmd or len(cmd) > 10_000:
        return False
    return _command_format(cmd) is not None
