"""The routing rules file: TOML (or YAML), validated; the first rule that matches decides.

A rule has a name, conditions (``when``: all must hold; a condition left out holds)
and an action: ``route`` (to the smaller model of the same provider, or ``to`` a model
you name, of the same provider), only when the estimate says it is cheaper by the
margin unless ``require_cheaper = false``; or ``stay`` (on the model asked for). No
rule matching means stay. A bad file raises ``RulesError`` with the file, the rule and
the field at fault, so ``trimline serve --routing FILE`` stops at start-up with it.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from trimline.addons.routing.features import Features
from trimline.addons.routing.models import provider_of

# Shipped in the wheel beside this module; read as package data, never by a path guessed
# from the source tree.
DEFAULT_RULES = resources.files("trimline.addons.routing") / "default_rules.toml"


class RulesError(ValueError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class When(_Strict):
    kind: list[Literal["main", "subagent", "side"]] | None = None
    last_speaker: list[Literal["human", "tools", "other"]] | None = None
    provider: list[Literal["anthropic", "openai"]] | None = None
    model: list[str] | None = None  # glob patterns on the model asked for
    tools_any: list[str] | None = None  # a returned result came from one of these tools
    tools_only: list[str] | None = None  # every returned result came from these tools
    read_only: bool | None = None  # every returned result only looked (read/list/search)
    error: bool | None = None  # a returned result is an error
    keywords: list[str] | None = None  # words in the latest human instruction (any)
    turn_min: int | None = None
    turn_max: int | None = None
    context_tokens_min: int | None = None
    context_tokens_max: int | None = None
    result_tokens_min: int | None = None
    result_tokens_max: int | None = None
    cached_tokens_min: int | None = None
    cached_tokens_max: int | None = None
    max_tokens_min: int | None = None
    max_tokens_max: int | None = None

    def matches(self, f: Features) -> bool:
        checks = (
            self.kind is None or f.kind in self.kind,
            self.last_speaker is None or f.last_speaker in self.last_speaker,
            self.provider is None or f.provider in self.provider,
            self.model is None or any(fnmatch.fnmatchcase(f.model, p) for p in self.model),
            self.tools_any is None or any(t in self.tools_any for t in f.tools),
            self.tools_only is None or (bool(f.tools) and set(f.tools) <= set(self.tools_only)),
            self.read_only is None or f.read_only == self.read_only,
            self.error is None or f.error == self.error,
            self.keywords is None or _keywords(self.keywords, f.instruction),
            _between(f.turn, self.turn_min, self.turn_max),
            _between(f.context_tokens, self.context_tokens_min, self.context_tokens_max),
            _between(f.result_tokens, self.result_tokens_min, self.result_tokens_max),
            _between(f.cached_tokens, self.cached_tokens_min, self.cached_tokens_max),
            (self.max_tokens_min is None and self.max_tokens_max is None)
            or (
                f.max_tokens is not None
                and _between(f.max_tokens, self.max_tokens_min, self.max_tokens_max)
            ),
        )
        return all(checks)


def _between(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _keywords(words: list[str], text: str) -> bool:
    lowered = text.lower()
    return any(re.search(r"\b" + re.escape(w.lower()) + r"\b", lowered) for w in words)


class Rule(_Strict):
    name: str = Field(min_length=1)
    when: When = When()
    action: Literal["route", "stay"]
    to: str | None = None
    require_cheaper: bool = True

    @field_validator("to")
    @classmethod
    def _known_target(cls, value: str | None) -> str | None:
        if value is not None and provider_of(value) is None:
            raise ValueError(f"{value!r} is not an Anthropic (claude-*) or OpenAI (gpt-*) model")
        return value


class Settings(_Strict):
    margin: float = Field(0.2, ge=0.0, lt=1.0)  # route only if at least this much cheaper
    output_tokens: int = Field(400, ge=0)  # output assumed per turn, for the estimate
    error_streak: int = Field(2, ge=0)  # this many error turns in a row pin the session...
    sticky_turns: int = Field(5, ge=0)  # ...on the model it asked for, for this many turns
    cache_ttl_s: float = Field(300.0, gt=0)  # how long a provider keeps a prefix cached


class RuleSet(_Strict):
    settings: Settings = Settings()
    rule: list[Rule] = Field(default_factory=list)

    def first_match(self, f: Features) -> Rule | None:
        for rule in self.rule:
            if rule.when.matches(f):
                return rule
        return None


def load(path: str | Path) -> RuleSet:
    """A rules file, or ``default`` for the shipped rules; RulesError naming the problem."""
    shipped = str(path) == "default"
    path = Path("default_rules.toml") if shipped else Path(path)  # the name errors show
    try:
        text = (DEFAULT_RULES if shipped else path).read_text(encoding="utf-8")
    except OSError as e:
        raise RulesError(f"routing rules {path}: cannot read: {e.strerror or e}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            from ruamel.yaml import YAML

            data: Any = YAML(typ="safe").load(text) or {}
        else:
            data = tomllib.loads(text)
    except Exception as e:
        raise RulesError(f"routing rules {path}: not valid {_format(path)}: {e}") from None
    if not isinstance(data, dict):
        raise RulesError(f"routing rules {path}: expected a table of settings and [[rule]]s")
    try:
        rules = RuleSet.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(_problem(data, err) for err in e.errors())
        raise RulesError(f"routing rules {path}: {problems}") from None
    names = [r.name for r in rules.rule]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RulesError(f"routing rules {path}: rule names must be unique: {', '.join(dupes)}")
    return rules


def _format(path: Path) -> str:
    return "YAML" if path.suffix.lower() in (".yaml", ".yml") else "TOML"


def _problem(data: dict[str, Any], err: Any) -> str:
    loc = list(err["loc"])
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "rule" and isinstance(loc[1], int):
        rules = data.get("rule") or []
        name = rules[loc[1]].get("name") if isinstance(rules[loc[1]], dict) else None
        where = f"rule {loc[1] + 1}" + (f" ({name!r})" if name else "")
        rest = ".".join(str(p) for p in loc[2:])
        where += f", {rest}" if rest else ""
    return f"{where}: {err['msg']}"
