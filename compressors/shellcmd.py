"""What a shell command runs first: the program behind a Bash-like tool call.

Shared by the families that claim blocks by command (``search``, ``listing``, ``vcs``).
Scene-setting is skipped (``cd x &&``, ``export``, ``VAR=1``, ``sudo``,
``timeout 10``, ``bash -lc '...'``); the first real program of the first
pipeline wins, so ``ls -la | head -100`` is ``ls``. For ``git``, the global
options (``-C dir``, ``-c k=v``, ``--no-pager``, ``--git-dir=...``) are
skipped and the subcommand is returned as the first argument.

Pure, never raises: broken quoting falls back to splitting on whitespace.

``contains_credential`` tells whether a command carries a secret (a key, a token, a
password, an auth header), so that no marker copies it into what is sent and stored.
"""

from __future__ import annotations

import re
import shlex
from functools import lru_cache

from trimline.core.secrets import contains_secret

# Programs that only set the scene for the real command.
_PRELUDE = frozenset(
    {"cd", "pushd", "popd", "export", "set", "source", ".", "unset", "ulimit", "shopt", "true", ":"}
)
_WRAPPERS = frozenset({"sudo", "time", "command", "exec", "nice", "nohup", "env", "builtin"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_SEPARATOR = frozenset("();|&!{}")
# git's global options that take the next word as their value.
_GIT_VALUED = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"})
MAX_LINES = 50


def words(line: str) -> list[str]:
    """Shell words of one line, operators as their own words."""
    try:
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        return list(lex)
    except ValueError:
        return line.split()


def git_subcommand(args: list[str]) -> tuple[str, list[str]]:
    """git's subcommand and its arguments, global options skipped ("" if none)."""
    k = 0
    while k < len(args) and args[k].startswith("-"):
        k += 2 if args[k] in _GIT_VALUED else 1
    if k >= len(args):
        return "", []
    return args[k], args[k + 1 :]


def _program(seg: list[str], depth: int) -> tuple[str, list[str]] | None:
    """The program of one pipeline segment: "" for scene-setting, None for none."""
    i = 0
    while i < len(seg):
        tok = seg[i]
        name = tok.rsplit("/", 1)[-1]
        if _ASSIGNMENT.match(tok):
            i += 1
        elif name in _WRAPPERS or name == "timeout":
            i += 1
            while i < len(seg) and seg[i].startswith("-"):
                i += 1
            if name == "timeout":
                i += 1  # the duration
        else:
            break
    if i >= len(seg):
        return ("", [])
    name, args = seg[i].rsplit("/", 1)[-1], seg[i + 1 :]
    if name in _PRELUDE:
        return ("", [])
    if name in _SHELLS and depth < 3:
        for k, arg in enumerate(args[:-1]):
            if arg.startswith("-") and not arg.startswith("--") and "c" in arg:
                return first_program(args[k + 1], depth + 1)
        return None
    return (name, args)


def first_program(cmd: str, depth: int = 0) -> tuple[str, list[str]] | None:
    """(program, arguments) of the first real program of a shell command, or None."""
    if not cmd:
        return None
    text = cmd.replace("\\\n", " ")
    for line in text.split("\n")[:MAX_LINES]:
        seg: list[str] = []
        for tok in [*words(line), ";"]:
            if tok and set(tok) <= _SEPARATOR:
                if seg:
                    found = _program(seg, depth)
                    if found is None or found[0]:
                        return found
                seg = []
            else:
                seg.append(tok)
    return None


@lru_cache(maxsize=4096)  # markers of one block ask about the same command
def contains_credential(command: str) -> bool:
    """True if the command carries a credential: a key or token detect-secrets knows
    (AWS, GitHub, Slack, JWT…), ``sk-…``, ``ghp_…``, a private key, a ``Bearer``/``Basic``
    value, an ``Authorization:`` or ``x-api-key:`` header, ``TOKEN=…``/``--password …``,
    or ``user:password@`` in a URL. Errs on the side of True; never raises."""
    if not command:
        return False
    try:
        return contains_secret(command, shell=True)
    except Exception:  # a detector failing must not put a secret in a marker
        return True


# Programs that only read: running them again is cheap and changes nothing. A pipeline is
# safe to re-run when every stage is one of these and nothing is written to a file.
_READ_ONLY = frozenset(
    {
        "ls", "tree", "du", "df", "find", "fd", "fdfind", "cat", "nl", "bat", "batcat", "head",
        "tail", "less", "more", "grep", "egrep", "fgrep", "rg", "ag", "ack", "wc", "sort", "uniq",
        "cut", "tr", "awk", "sed", "jq", "yq", "file", "stat", "echo", "printf", "pwd", "which",
        "whereis", "type", "diff", "cmp", "comm", "column", "basename", "dirname", "realpath",
        "readlink", "xxd", "od", "hexdump", "strings", "tac", "rev", "fold", "fmt", "paste",
        "join", "expand", "env", "printenv", "uname", "date", "id", "whoami", "hostname", "ps",
        "exa", "eza", "lsd", "dir", "vdir", "git", "true", "cd", "xargs", "open", "search_dir",
        "search_file", "find_file", "goto", "scroll_up", "scroll_down",
    }
)  # fmt: skip
_GIT_READ_ONLY = frozenset(
    {
        "log", "show", "diff", "status", "blame", "grep", "ls-files", "ls-tree", "rev-parse",
        "describe", "shortlog", "branch", "tag", "remote", "cat-file", "reflog", "whatchanged",
        "rev-list", "name-rev", "config",
    }
)  # fmt: skip
# Arguments that make a read-only program write or run something else.
_WRITING_ARGS = frozenset({"-i", "--in-place", "-delete", "-exec", "-execdir", "-ok", "-fprint"})
_XARGS_OK = frozenset({"cat", "grep", "rg", "wc", "head", "tail", "ls", "stat", "file"})


def read_only(command: str) -> bool:
    """Is the command cheap and safe to run again (it only reads, writes no file)?"""
    if not command or "\n" in command.strip() or "`" in command or "$(" in command:
        return False
    toks = [*words(command), ";"]
    seg: list[str] = []
    for k, tok in enumerate(toks):
        if tok in (">&", "<", "<<<") or (
            tok and tok[0].isdigit() and toks[k + 1 : k + 2] == [">&"]
        ):
            continue  # 2>&1 and input redirections write nothing
        if ">" in tok:
            # Redirection into a file writes; into /dev/null, or duplicating a stream, does not.
            if toks[k + 1 : k + 2] != ["/dev/null"] and not (k and toks[k - 1] == ">&"):
                return False
            continue
        if tok == "/dev/null" and k and ">" in toks[k - 1]:
            continue
        if k and toks[k - 1] == ">&":
            continue  # the stream duplicated to
        if tok and set(tok) <= _SEPARATOR:
            if seg and not _reads_only(seg):
                return False
            seg = []
        else:
            seg.append(tok)
    return True


def _reads_only(seg: list[str]) -> bool:
    i = 0
    while i < len(seg) and _ASSIGNMENT.match(seg[i]):
        i += 1
    if i >= len(seg):
        return True
    name, args = seg[i].rsplit("/", 1)[-1], seg[i + 1 :]
    if name == "timeout" and len(args) >= 2:
        return _reads_only(args[1:])
    if name not in _READ_ONLY or any(a in _WRITING_ARGS for a in args):
        return False
    if name == "sed" and any(a.startswith("-i") for a in args):
        return False
    if name == "git":
        sub, rest = git_subcommand(args)
        if sub not in _GIT_READ_ONLY:
            return False
        # branch/tag/remote/config write when given names or values; only listings are safe.
        if sub in ("branch", "tag", "remote", "config"):
            return all(a.startswith("-") and a not in ("-d", "-D", "-m", "-M") for a in rest) or (
                sub == "config" and "--get" in rest
            )
    if name == "xargs":
        prog = next((a for a in args if not a.startswith("-")), "")
        return prog in _XARGS_OK
    return not (name == "awk" and any("system(" in a or "print >" in a for a in args))


_GLOB_SPLIT = re.compile(r"[/\\*?\[\]{},=]+")


def targeted_dirs(command: str, tool_input: dict | None = None) -> frozenset[str]:
    """Directory names the command (or the tool call) asks about by name: the components
    of its path arguments and globs (``find node_modules``, ``ls dist/``, ``rg --files
    -g '**/build/**'``). A listing never folds what it was asked for."""
    names: set[str] = set()
    found = first_program(command) if command else None
    if found:
        for arg in found[1]:
            if arg.startswith("-") and "=" not in arg:
                continue
            names.update(p for p in _GLOB_SPLIT.split(arg) if p)
    for key in ("path", "pattern", "glob", "directory", "dir_path", "file_path"):
        value = (tool_input or {}).get(key)
        if isinstance(value, str):
            names.update(p for p in _GLOB_SPLIT.split(value) if p)
    return frozenset(names)
