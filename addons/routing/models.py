"""Which smaller model of the same provider a request could go to.

``smaller_model`` is the one place that knows model families: the router and the
budgets' ``downgrade`` action both call it, so neither can pick a model of another
provider. Anthropic: Opus and Sonnet go to the Haiku of their generation. OpenAI: a
large GPT goes to its mini. Anything else (already small, unknown, another vendor's
name behind an OpenAI-compatible server) gets None: no routing.
"""

from __future__ import annotations

import re

ANTHROPIC = "anthropic"
OPENAI = "openai"

# A dated snapshot (-20250929) or -latest says nothing about the family.
_DATE = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$")
_CLAUDE = re.compile(
    r"^claude-(?:(?P<old>\d(?:-\d)?)-(?P<f1>opus|sonnet|haiku)|(?P<f2>opus|sonnet|haiku)-\d)"
)
_GPT = re.compile(r"^gpt-(?P<ver>\d+(?:\.\d+)?)(?P<rest>(?:-[a-z]+)*)$")
_SMALL_WORDS = ("mini", "nano", "haiku")


def provider_of(model: str) -> str | None:
    """The provider whose API serves this model name, from the name alone."""
    name = model.lower()
    if name.startswith("claude-"):
        return ANTHROPIC
    if name.startswith(("gpt-", "o1", "o3", "o4", "codex-")):
        return OPENAI
    return None


def smaller_model(provider: str, model: str) -> str | None:
    """The smaller model of ``provider`` for ``model``, or None when there is none."""
    name = _DATE.sub("", (model or "").strip().lower())
    if not name or any(w in name.split("-") for w in _SMALL_WORDS):
        return None
    if provider == ANTHROPIC:
        return _anthropic(name)
    if provider == OPENAI:
        return _openai(name)
    return None


def _anthropic(name: str) -> str | None:
    m = _CLAUDE.match(name)
    if m is None:
        return None
    family = m.group("f1") or m.group("f2")
    if family == "haiku":
        return None
    if m.group("old"):  # claude-3-opus, claude-3-5-sonnet, claude-3-7-sonnet
        return "claude-3-haiku-20240307" if m.group("old") == "3" else "claude-3-5-haiku-latest"
    return "claude-haiku-4-5"  # every 4.x and later Opus or Sonnet


def _openai(name: str) -> str | None:
    if name == "gpt-4o" or name.startswith("gpt-4o-"):
        return "gpt-4o-mini"
    m = _GPT.match(name)
    if m is None:
        return None
    version, rest = m.group("ver"), m.group("rest")
    major, _, minor = version.partition(".")
    if major == "4":
        return {"4.1": "gpt-4.1-mini"}.get(version)
    if major != "5":
        return None
    if "codex" in rest:
        # The codex minis genai-prices knows; gpt-5-codex is a GPT-5, so it gets GPT-5's mini.
        return "gpt-5.1-codex-mini" if minor else "gpt-5-mini"
    if minor and int(minor.split(".")[0]) >= 4:
        return "gpt-5.4-mini"
    return "gpt-5-mini"
