"""What a read is by its tool and file name: which tool read which file, and what
kind of file it is (source in which grammar, document, lockfile, generated, data)."""

from __future__ import annotations

import re
import shlex

from trimline.compressors.base import EDITOR_TOOLS, READ_TOOLS, Context

FULL_READ_LIMIT = 2000  # Claude Code's default limit: asking for this many is asking for it all

# SWE-agent's editor commands too: each prints a window of the open file under [File: ...].
_READ_TOOLS = READ_TOOLS | {"open", "goto", "scroll_up", "scroll_down"}
_EDITOR_TOOLS = EDITOR_TOOLS
_WINDOW_KEYS = ("offset", "limit", "view_range", "start_line", "end_line", "line_start", "line_end")

_LANGUAGES = {
    "py": "python",
    "pyi": "python",
    "pyw": "python",
    "js": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "mts": "typescript",
    "cts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "c": "c",
    "h": "cpp",
    "cc": "cpp",
    "cpp": "cpp",
    "cxx": "cpp",
    "hpp": "cpp",
    "hh": "cpp",
    "hxx": "cpp",
    "cs": "csharp",
    "rb": "ruby",
    "php": "php",
    "kt": "kotlin",
    "kts": "kotlin",
    "swift": "swift",
    "scala": "scala",
}


# Files by name: data left to others, lockfiles, minified or generated files, documents.
_DATA = frozenset(
    {"json", "jsonc", "json5", "jsonl", "ndjson", "yaml", "yml", "toml", "csv", "tsv"}
    | {"html", "htm", "xhtml", "xml", "svg", "ini", "cfg", "conf", "properties", "env"}
)
_LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "cargo.lock",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "pipfile.lock",
        "go.sum",
        "gemfile.lock",
        "composer.lock",
        "mix.lock",
        "pubspec.lock",
        "podfile.lock",
        "package.resolved",
        "flake.lock",
        "packages.lock.json",
        "gradle.lockfile",
        "deno.lock",
    }
)
_DOC_EXTENSIONS = frozenset({"md", "mdx", "markdown", "mkd", "rst", "rest"})
# Text that is a document only if it has headings.
_TEXT_EXTENSIONS = frozenset({"txt", "text"})
_DOC_NAMES = frozenset(
    {
        "readme",
        "changelog",
        "changes",
        "history",
        "news",
        "contributing",
        "authors",
        "metadata",
        "pkg-info",
        "description",
    }
)
_MINIFIED_LABELS = {
    "js": "minified JavaScript",
    "mjs": "minified JavaScript",
    "cjs": "minified JavaScript",
    "css": "minified CSS",
}
# Shells' ways to print one file: the command says which file was read.
_SHELL_TOOLS = frozenset(
    {
        "bash",
        "shell",
        "sh",
        "zsh",
        "exec_command",
        "shell_command",
        "local_shell",
        "run_shell_command",
        "execute_command",
        "run_command",
        "run_terminal_cmd",
        "terminal",
    }
)
_CAT_PROGRAMS = frozenset({"cat", "nl", "bat", "batcat", "head", "sed", "open"})
# Shell syntax a one-file print never needs (a pipe and ``cd DIR &&`` are read apart).
_SHELL_META = re.compile(r"[;<>`(){}*?\n]")
_SED_RANGE = re.compile(r"(\d+)(?:,(?:\d+|\$))?p")
# SWE-agent's editor window: a header naming the file, then ``N:line``.
SWE_FILE = re.compile(r"\[File: (.+) \(\d+ lines total\)\]\s*$")


def _tool(ctx: Context) -> str:
    return ctx.tool.strip().lower()


def _stage(words: list[str], first: int | None) -> tuple[str, int | None] | None:
    """One pipeline stage that prints or narrows a file: (file, first), where first is the
    file line number of the first printed line, 0 when the output carries its own numbers
    (``cat -n``, ``nl``, SWE-agent's ``open``). Later stages have no file (""); None if the
    stage is something else."""
    name, args = words[0].rsplit("/", 1)[-1], words[1:]
    flags = [a for a in args if a.startswith("-")]
    files = [a for a in args if not a.startswith("-")]
    if name == "sed":
        if not any(f.startswith("-n") for f in flags) or not files:
            return None
        m = _SED_RANGE.fullmatch(files[0])
        if m is None or len(files) > 2:
            return None
        start = int(m.group(1))
        if len(files) == 2:
            return (files[1], start) if first is None else None
        if first is None:
            return None
        return "", (0 if first == 0 else first + start - 1)
    if name == "head":
        files = [a for k, a in enumerate(args) if not a.startswith("-") and args[k - 1] != "-n"]
        if first is None:
            return (files[0], 1) if len(files) == 1 else None
        return ("", first) if not files else None
    if name == "tail" and first == 0 and not files:
        return "", 0  # numbered lines keep their numbers
    if name == "open":  # SWE-agent: open FILE [LINE]
        files = [f for f in files if not f.isdigit()]
    if first is not None or len(files) != 1:
        return None
    if name == "nl" or name == "open" or (name == "cat" and {"-n", "--number"} & set(flags)):
        return files[0], 0
    if name in ("cat", "bat", "batcat") and not {"-A", "-v", "-e", "-t", "-s"} & set(flags):
        return files[0], 1
    return None


def shown_file(command: str) -> tuple[str, int]:
    """The one file a shell command prints and the number of its first printed line (0
    when the output is numbered): ``cat [-n] F``, ``nl -ba F``, ``sed -n 'A,Bp' F``,
    ``head -n N F``, SWE-agent's ``open F``, piped through ``sed -n``/``head``, after any
    ``cd DIR &&``. ("", 0) for anything else."""
    if not command or len(command) > 4096:
        return "", 0
    try:
        outer = shlex.split(command)
    except ValueError:
        return "", 0
    # bash -lc 'nl -ba F' (Codex): the script is the command.
    shell = len(outer) == 3 and outer[0].rsplit("/", 1)[-1] in ("bash", "sh", "zsh")
    if shell and outer[1].startswith("-") and "c" in outer[1]:
        command = outer[2]
    if _SHELL_META.search(command.strip()):
        return "", 0
    parts = command.split("&&")
    if any(not p.strip().startswith("cd ") for p in parts[:-1]) or "&" in parts[-1]:
        return "", 0
    path, first = "", None
    for stage in parts[-1].split("|"):
        try:
            words = shlex.split(stage)
        except ValueError:
            return "", 0
        if not words:
            return "", 0
        found = _stage(words, first)
        if found is None:
            return "", 0
        if found[0]:
            path = found[0]
        first = found[1]
    return (path, first or 0) if path else ("", 0)


def _cat_path(command: str) -> str:
    """The file a shell command prints whole or in part (see ``shown_file``), else ""."""
    return shown_file(command)[0]


def claims(ctx: Context) -> bool:
    tool = _tool(ctx)
    if tool in _READ_TOOLS or tool in _EDITOR_TOOLS:
        if tool in _EDITOR_TOOLS and ctx.tool_input.get("command") != "view":
            return False
        # Structured data (a package.json, a config.yaml) is a family of its own.
        return _route(ctx.file_path)[0] != "data"
    # A shell printing one file this family knows how to outline.
    if tool not in _SHELL_TOOLS:
        return False
    path = _cat_path(ctx.command)
    return bool(path) and _route(path)[0] not in ("data", "other")


def _path(ctx: Context, text: str = "") -> str:
    """The file a read shows: from the tool call, the shell command, or a header the
    reading tool printed (SWE-agent's ``[File: path (N lines total)]``)."""
    found = ctx.file_path or _cat_path(ctx.command)
    if not found and text.startswith("[File: "):
        m = SWE_FILE.match(text[: text.find("\n")] if "\n" in text else text)
        found = m.group(1) if m else ""
    return found


def _route(path: str) -> tuple[str, str]:
    """What a file is by its name: (mode, detail).

    Modes: "lock" (detail: the file name), "generated" (what it is), "data",
    "code" (the grammar), "doc" ("md" or "rst"), "text" (a document if it has
    headings) and "other" (only long lines can still make it "generated").
    """
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name in _LOCKFILES or name.endswith(".lock"):
        return "lock", name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return ("text", "") if name in _DOC_NAMES else ("other", "")
    if ext == "map":
        return "generated", "source map"
    if stem.endswith((".min", "-min")) or ext in ("min",):
        return "generated", _MINIFIED_LABELS.get(ext, "minified code")
    if ext in _DATA:
        return "data", ""
    if ext in _LANGUAGES:
        return "code", _LANGUAGES[ext]
    if ext in _DOC_EXTENSIONS:
        return "doc", "rst" if ext in ("rst", "rest") else "md"
    if ext in _TEXT_EXTENSIONS or stem in _DOC_NAMES:
        return "text", ""
    return "other", ""


def _language(path: str) -> str | None:
    mode, detail = _route(path)
    return detail if mode == "code" else None


def _windowed(ctx: Context, first_number: int) -> bool:
    """Did the agent aim the read at some lines rather than ask for the file?"""
    if first_number > 1:
        return True
    args = ctx.tool_input
    if any(
        args.get(k) not in (None, "", 0, 1) for k in _WINDOW_KEYS if k not in ("offset", "limit")
    ):
        return True
    offset, limit = args.get("offset"), args.get("limit")
    try:
        if offset is not None and int(offset) > 1:
            return True
        return limit is not None and int(limit) < FULL_READ_LIMIT
    except (TypeError, ValueError):
        return True
