"""What the router knows about one request, computed once, before any rule looks at it.

Wire formats differ (Anthropic ``messages``, OpenAI Chat ``messages``, Responses
``input``); ``Features`` is the same for all three. Token counts here are estimates at
four bytes of JSON per token: good enough to compare sizes and shares of a prefix,
and cheap on the request path (the writer counts precisely, later).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from trimline.addons.providers.base import ToolBlock
from trimline.compressors.shellcmd import first_program, git_subcommand

BYTES_PER_TOKEN = 4
MAIN, SUBAGENT, SIDE = "main", "subagent", "side"
HUMAN, TOOLS, OTHER = "human", "tools", "other"

# Tools that only look: file reads, listings, searches (Claude Code's names, and other agents').
READ_TOOLS = frozenset(
    {"Read", "Glob", "Grep", "LS", "NotebookRead", "read_file", "list_dir", "list_files",
     "grep", "glob", "search", "find_files", "view_image", "view"}
)  # fmt: skip
# Shell programs that only look (for Bash, exec_command, shell, local_shell).
READ_PROGRAMS = frozenset(
    {"cat", "head", "tail", "less", "more", "ls", "tree", "find", "fd", "rg", "grep", "egrep",
     "ag", "ack", "wc", "pwd", "file", "stat", "du", "df", "nl", "sed", "awk", "sort", "uniq",
     "cut", "jq", "yq", "which", "whereis", "echo", "diff", "realpath", "dirname", "basename"}
)  # fmt: skip
READ_GIT = frozenset({"status", "log", "diff", "show", "blame", "branch", "ls-files", "grep"})
SHELL_TOOLS = frozenset({"Bash", "exec_command", "shell", "local_shell", "bash", "run_command"})

# Markers of requests that are not the agent's own loop (see AGENT-WIRE.md and the issues
# of proxies that tell them apart): Claude Code's sub-agents, and its side requests.
_SUBAGENT_MARKERS = ("You are an agent for Claude Code",)
_SIDE_MARKERS = (
    "security monitor for autonomous AI coding agents",  # auto-mode permission classifier
    "<policy_spec>",  # Bash command-prefix check
    "command prefix",
    "Your task is to create a detailed summary of the conversation",  # /compact
    "Summarize this coding conversation",
    "Analyze if this message indicates a new conversation topic",  # topic/title detection
    "Generate a concise, sentence-case title",
    "Write a 5-10 word title",
)
# Codex's x-openai-subagent values: compaction and memory are side work, the rest agents.
_CODEX_SIDE = frozenset({"compact", "memory_consolidation"})
_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.S)
_CACHE_CONTROL = re.compile(rb',?"cache_control":\{[^{}]*\}')


@dataclass(slots=True)
class Features:
    provider: str
    endpoint: str
    model: str
    kind: str = MAIN
    last_speaker: str = OTHER
    tools: list[str] = field(default_factory=list)  # tools whose results this request returns
    error: bool = False  # any of those results is an error
    read_only: bool = False  # every one of them only looked (read, list, search)
    turn: int = 0  # assistant turns so far
    context_tokens: int = 0
    result_tokens: int = 0  # the returned results' size
    cached_tokens: int = 0  # of the prefix, likely in the requested model's cache
    cache_marked: bool = False  # Anthropic: the request asks for caching (cache_control)
    max_tokens: int | None = None
    instruction: str = ""  # the latest human instruction (system reminders left out)
    session: str = ""
    # Cumulative fingerprints and token estimates of the prefix: head, then each message.
    prefix_hashes: tuple[bytes, ...] = ()
    prefix_tokens: tuple[int, ...] = ()

    def public(self) -> dict[str, Any]:
        """For ``route --explain`` and logs: everything but the fingerprints."""
        return {
            k: getattr(self, k)
            for k in self.__slots__
            if k not in ("prefix_hashes", "prefix_tokens")
        }


def compute(
    provider: str,
    endpoint: str,
    body: dict[str, Any],
    headers: dict[str, str],
    blocks: list[ToolBlock],
    session: str = "",
) -> Features:
    """The features of one request body (already compressed: what will be sent)."""
    f = Features(provider, endpoint, str(body.get("model") or ""), session=session)
    mt = body.get("max_tokens", body.get("max_output_tokens", body.get("max_completion_tokens")))
    f.max_tokens = mt if isinstance(mt, int) else None
    latest = [b for b in blocks if b.latest]
    f.tools = sorted({b.tool or "?" for b in latest})
    f.error = any(b.is_error for b in latest)
    f.read_only = bool(latest) and all(_read_only(b) for b in latest)
    f.result_tokens = sum(len(b.text) for b in latest) // BYTES_PER_TOKEN
    if endpoint == "responses":
        items = body.get("input")
        items = [{"role": "user", "content": items}] if isinstance(items, str) else items
        head = {k: body.get(k) for k in ("instructions", "tools")}
        _responses_turn(f, items if isinstance(items, list) else [])
        f.kind = _codex_kind(body, headers)
    else:
        items = body.get("messages") if isinstance(body.get("messages"), list) else []
        head = {k: body.get(k) for k in ("system", "tools")}
        _messages_turn(f, items, anthropic=provider == "anthropic")
        f.kind = _anthropic_kind(body) if provider == "anthropic" else _chat_kind(body, headers)
    _fingerprint(f, head, items)
    f.context_tokens = f.prefix_tokens[-1] if f.prefix_tokens else 0
    if provider == "anthropic":
        f.cache_marked = b'"cache_control"' in orjson.dumps(head) or any(
            isinstance(m, dict) and b'"cache_control"' in orjson.dumps(m) for m in items[-2:]
        )
    return f


def _read_only(block: ToolBlock) -> bool:
    if block.is_error:
        return False
    if block.tool in READ_TOOLS:
        return True
    if block.tool not in SHELL_TOOLS:
        return False
    cmd = block.tool_input.get("command") or block.tool_input.get("cmd")
    if isinstance(cmd, list):
        cmd = " ".join(str(c) for c in cmd)
    if not isinstance(cmd, str) or any(op in cmd for op in (">", "rm ", "mv ", "tee ")):
        return False
    found = first_program(cmd)
    if not found:
        return False
    program, args = found
    if program == "git":
        return git_subcommand(args)[0] in READ_GIT
    if program == "sed":
        return "-i" not in args
    return program in READ_PROGRAMS


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p["text"]
            for p in content
            if isinstance(p, dict)
            and p.get("type") in ("text", "input_text")
            and isinstance(p.get("text"), str)
        )
    return ""


def _human(text: str) -> str:
    return _REMINDER.sub("", text).strip()


def _messages_turn(f: Features, messages: list[Any], *, anthropic: bool) -> None:
    f.turn = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "assistant")
    decided = False
    for m in reversed(messages):
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        if role in ("tool", "function"):
            f.last_speaker, decided = (f.last_speaker, True) if decided else (TOOLS, True)
        elif role == "assistant":
            f.last_speaker, decided = (f.last_speaker, True) if decided else (OTHER, True)
        elif role == "user":
            content = m.get("content")
            text = _human(_text_of(content))
            results = isinstance(content, list) and any(
                isinstance(p, dict) and p.get("type") == "tool_result" for p in content
            )
            if not decided:
                f.last_speaker = HUMAN if text else TOOLS if results else OTHER
                decided = True
            if text:
                f.instruction = text[-2000:]
                return


def _responses_turn(f: Features, items: list[Any]) -> None:
    f.turn = sum(
        1
        for i in items
        if isinstance(i, dict)
        and (i.get("role") == "assistant" or i.get("type") in ("function_call", "custom_tool_call"))
    )
    decided = False
    for i in reversed(items):
        if not isinstance(i, dict):
            continue
        kind = str(i.get("type") or "")
        role = i.get("role")
        if kind.endswith("_output"):
            f.last_speaker, decided = (f.last_speaker, True) if decided else (TOOLS, True)
        elif role == "user":
            text = _human(_text_of(i.get("content")))
            if not text or text.startswith(("<environment_context>", "<user_instructions>")):
                continue
            if not decided:
                f.last_speaker, decided = HUMAN, True
            f.instruction = text[-2000:]
            return
        elif role != "developer" and not decided:
            f.last_speaker, decided = OTHER, True


def _system_text(body: dict[str, Any]) -> str:
    system = body.get("system")
    text = system if isinstance(system, str) else _text_of(system)
    # Claude Code may also put a system message in messages.
    for m in body.get("messages") or ():
        if isinstance(m, dict) and m.get("role") == "system":
            text += "\n" + _text_of(m.get("content"))
    return text[:20000]


def _anthropic_kind(body: dict[str, Any]) -> str:
    system = _system_text(body)
    output_config = body.get("output_config")
    thinking = body.get("thinking")
    no_tools = not body.get("tools")
    if any(marker in system for marker in _SIDE_MARKERS):
        return SIDE
    # The title request: no tools, thinking off, a JSON schema for its answer.
    if no_tools and isinstance(output_config, dict) and output_config.get("format"):
        return SIDE
    if no_tools and isinstance(thinking, dict) and thinking.get("type") == "disabled":
        return SIDE
    if no_tools and isinstance(body.get("max_tokens"), int) and body["max_tokens"] <= 1:
        return SIDE  # the quota probe
    if any(marker in system for marker in _SUBAGENT_MARKERS):
        return SUBAGENT
    return MAIN


def _codex_kind(body: dict[str, Any], headers: dict[str, str]) -> str:
    subagent = headers.get("x-openai-subagent", "").strip().lower()
    if subagent:
        return SIDE if subagent in _CODEX_SIDE else SUBAGENT
    meta: Any = headers.get("x-codex-turn-metadata")
    if meta:
        try:
            meta = orjson.loads(meta)
        except orjson.JSONDecodeError:
            meta = None
    if isinstance(meta, dict):
        kind = meta.get("request_kind")
        if isinstance(kind, str) and kind not in ("", "turn"):
            return SIDE
        if meta.get("thread_source") == "subagent":
            return SUBAGENT
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if not body.get("tools") and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return SIDE
    return MAIN


def _chat_kind(body: dict[str, Any], headers: dict[str, str]) -> str:
    fmt = body.get("response_format")
    if not body.get("tools") and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return SIDE
    return SUBAGENT if headers.get("x-openai-subagent") else MAIN


def _fingerprint(f: Features, head: dict[str, Any], items: list[Any]) -> None:
    """Cumulative hashes of head and messages, ``cache_control`` left out (it marks where a
    prefix may be cached; Claude Code moves it every turn)."""
    hashes: list[bytes] = []
    tokens: list[int] = []
    h = hashlib.blake2b(digest_size=16)
    total = 0
    for part in (head, *items):
        raw = _CACHE_CONTROL.sub(b"", orjson.dumps(part, option=orjson.OPT_SORT_KEYS))
        h.update(raw)
        total += len(raw) // BYTES_PER_TOKEN
        hashes.append(h.copy().digest())
        tokens.append(total)
    f.prefix_hashes = tuple(hashes)
    f.prefix_tokens = tuple(tokens)
