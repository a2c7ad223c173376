"""Make a request body fit the model it is routed to.

What real agents send and a smaller model may refuse: Claude Code's adaptive thinking
(Haiku 4.5 knows only ``enabled`` with a budget), ``output_config.effort``, thinking
``display``, thinking blocks whose signatures another model made; Codex's encrypted
reasoning items and effort levels a mini does not have. Each is translated when the
target has an equivalent, dropped when not; every change is listed in the notes. The
body is changed in place (the caller kept the original bytes for a fallback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Caps:
    """What a target model accepts, as far as routing needs to know."""

    thinking: bool = True  # Anthropic extended thinking (enabled + budget_tokens)
    adaptive: bool = False  # thinking type "adaptive"
    effort: bool = False  # Anthropic output_config.effort
    max_output: int = 64000
    reasoning: bool = True  # OpenAI reasoning (effort, summary)
    efforts: tuple[str, ...] = ("minimal", "low", "medium", "high")
    verbosity: bool = True


_CAPS: dict[str, Caps] = {
    "claude-haiku-4-5": Caps(),
    "claude-3-5-haiku-latest": Caps(thinking=False, max_output=8192),
    "claude-3-haiku-20240307": Caps(thinking=False, max_output=4096),
    "gpt-5-mini": Caps(),
    "gpt-5.1-codex-mini": Caps(efforts=("low", "medium", "high")),
    "gpt-5.4-mini": Caps(efforts=("none", "low", "medium", "high", "xhigh")),
    "gpt-4.1-mini": Caps(reasoning=False, verbosity=False),
    "gpt-4o-mini": Caps(reasoning=False, verbosity=False),
}
_EFFORT_DOWN = {"xhigh": "high", "none": "minimal", "minimal": "low"}


def caps(model: str) -> Caps:
    return _CAPS.get(model, Caps())


def adapt(endpoint: str, body: dict[str, Any], target: str) -> list[str]:
    """Rewrites ``body`` for ``target`` (model included); returns what was changed."""
    notes: list[str] = []
    body["model"] = target
    c = caps(target)
    if endpoint in ("messages", "count_tokens"):
        _anthropic(body, c, notes)
    elif endpoint == "responses":
        _responses(body, c, notes)
    elif endpoint == "chat_completions":
        _chat(body, c, notes)
    return notes


def _anthropic(body: dict[str, Any], c: Caps, notes: list[str]) -> None:
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and max_tokens > c.max_output:
        body["max_tokens"] = max_tokens = c.max_output
        notes.append(f"max_tokens capped at {c.max_output}")
    thinking = body.get("thinking")
    on = isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    if _strip_thinking_blocks(body, notes) and on:
        # A tool-use turn with thinking on must start with a thinking block; there is none
        # left that the target could verify, so this turn runs without thinking.
        on = False
        notes.append("thinking off: the last assistant turn's thinking was another model's")
    if on and not c.thinking:
        on = False
        notes.append("thinking off: the target has no extended thinking")
    if isinstance(thinking, dict) and not on:
        if thinking.get("type") != "disabled":
            body.pop("thinking", None)
    elif on:
        assert isinstance(thinking, dict)
        new = dict(thinking)
        if thinking.get("type") == "adaptive" and not c.adaptive:
            budget = max(1024, (max_tokens or 16000) // 2)
            new = {"type": "enabled", "budget_tokens": budget}
            notes.append(f"thinking adaptive -> enabled, budget_tokens {budget}")
        for key in [k for k in new if k not in ("type", "budget_tokens")]:
            new.pop(key)
            notes.append(f"thinking.{key} dropped")
        budget = new.get("budget_tokens")
        if isinstance(budget, int) and isinstance(max_tokens, int) and budget >= max_tokens:
            new["budget_tokens"] = max(1024, max_tokens - 1024)
            notes.append(f"thinking.budget_tokens lowered to {new['budget_tokens']}")
        body["thinking"] = new
    output_config = body.get("output_config")
    if isinstance(output_config, dict) and "effort" in output_config and not c.effort:
        output_config = {k: v for k, v in output_config.items() if k != "effort"}
        notes.append("output_config.effort dropped")
        if output_config:
            body["output_config"] = output_config
        else:
            body.pop("output_config")
    management = body.get("context_management")
    if isinstance(management, dict) and not on:
        edits = management.get("edits")
        if isinstance(edits, list):
            kept = [
                e
                for e in edits
                if not (isinstance(e, dict) and str(e.get("type", "")).startswith("clear_thinking"))
            ]
            if len(kept) != len(edits):
                notes.append("context_management: clear_thinking edit dropped (thinking off)")
                if kept:
                    body["context_management"] = {**management, "edits": kept}
                else:
                    body.pop("context_management")


def _strip_thinking_blocks(body: dict[str, Any], notes: list[str]) -> bool:
    """Removes thinking blocks from history; True if the last assistant turn had some."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return False
    last_assistant = max(
        (i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"),
        default=-1,
    )
    removed = 0
    in_last = False
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") != "assistant":
            continue
        content = m.get("content")
        if not isinstance(content, list):
            continue
        kept = [
            p
            for p in content
            if not (isinstance(p, dict) and p.get("type") in ("thinking", "redacted_thinking"))
        ]
        if len(kept) == len(content):
            continue
        removed += len(content) - len(kept)
        in_last = in_last or i == last_assistant
        m["content"] = kept or [{"type": "text", "text": "(thinking omitted)"}]
    if removed:
        notes.append(f"{removed} thinking block(s) removed from history")
    # Only a trailing tool-use turn needs its thinking; a finished turn before a human
    # message does not.
    trailing = last_assistant == len(messages) - 2
    return in_last and trailing


def _effort(effort: Any, c: Caps, notes: list[str], where: str) -> Any:
    seen = set()
    while isinstance(effort, str) and effort not in c.efforts and effort not in seen:
        seen.add(effort)
        lower = _EFFORT_DOWN.get(effort)
        if lower is None:
            break
        notes.append(f"{where} {effort} -> {lower}")
        effort = lower
    return effort


def _responses(body: dict[str, Any], c: Caps, notes: list[str]) -> None:
    items = body.get("input")
    if isinstance(items, list):
        kept = [i for i in items if not (isinstance(i, dict) and i.get("type") == "reasoning")]
        if len(kept) != len(items):
            notes.append(f"{len(items) - len(kept)} reasoning item(s) of another model removed")
            body["input"] = kept
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict):
        if not c.reasoning:
            body.pop("reasoning")
            notes.append("reasoning dropped (the target does not reason)")
            include = body.get("include")
            if isinstance(include, list) and "reasoning.encrypted_content" in include:
                body["include"] = [x for x in include if x != "reasoning.encrypted_content"]
        elif "effort" in reasoning:
            body["reasoning"] = {
                **reasoning,
                "effort": _effort(reasoning["effort"], c, notes, "reasoning.effort"),
            }
    text = body.get("text")
    if isinstance(text, dict) and "verbosity" in text and not c.verbosity:
        body["text"] = {k: v for k, v in text.items() if k != "verbosity"}
        notes.append("text.verbosity dropped")


def _chat(body: dict[str, Any], c: Caps, notes: list[str]) -> None:
    if "reasoning_effort" in body:
        if not c.reasoning:
            body.pop("reasoning_effort")
            notes.append("reasoning_effort dropped (the target does not reason)")
        else:
            body["reasoning_effort"] = _effort(
                body["reasoning_effort"], c, notes, "reasoning_effort"
            )
    if "verbosity" in body and not c.verbosity:
        body.pop("verbosity")
        notes.append("verbosity dropped")
