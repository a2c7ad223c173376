"""One routing decision: features + rules + the session's memory -> the model to call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trimline.addons.routing.cost import Estimate, estimate
from trimline.addons.routing.features import Features
from trimline.addons.routing.memory import SessionMemory
from trimline.addons.routing.models import provider_of, smaller_model
from trimline.addons.routing.rules import RuleSet


@dataclass(slots=True)
class Decision:
    requested: str
    target: str | None  # the model to call instead, or None to stay
    rule: str | None  # the rule that matched ("sticky" for a pinned session)
    reason: str
    estimate: Estimate | None = None

    def public(self) -> dict[str, Any]:
        e = self.estimate
        return {
            "requested_model": self.requested,
            "routed_model": self.target,
            "model": self.target or self.requested,
            "rule": self.rule,
            "reason": self.reason,
            "estimate": None
            if e is None
            else {
                "requested_usd": e.requested_usd,
                "routed_usd": e.routed_usd,
                "cached_tokens_requested": e.cached_requested,
                "cached_tokens_routed": e.cached_routed,
                "output_tokens": e.output_tokens,
            },
        }


def decide(f: Features, rules: RuleSet, memory: SessionMemory, *, pinned: bool) -> Decision:
    """Stays unless a rule says route, the target is of the same provider, and (unless the
    rule waives it) the estimate says the target is cheaper by the margin."""
    s = rules.settings
    f.cached_tokens = memory.cached_tokens(f.session, f.model, f.prefix_hashes, f.prefix_tokens)
    rule = rules.first_match(f)
    target = (rule.to if rule and rule.to else None) or smaller_model(f.provider, f.model)
    est = None
    if target:
        est = estimate(
            f.provider,
            f.model,
            target,
            context=f.context_tokens,
            cached_requested=f.cached_tokens,
            cached_routed=memory.cached_tokens(f.session, target, f.prefix_hashes, f.prefix_tokens),
            output=min(s.output_tokens, f.max_tokens or s.output_tokens),
            writes_cache=f.cache_marked or f.provider != "anthropic",
        )
    name = rule.name if rule else None
    if pinned:
        return Decision(f.model, None, "sticky", "session pinned after an error streak", est)
    if rule is None:
        return Decision(f.model, None, None, "no rule matched", est)
    if rule.action == "stay":
        return Decision(f.model, None, name, "rule says stay", est)
    if not target or target == f.model:
        return Decision(f.model, None, name, "no smaller model known", est)
    if provider_of(target) != f.provider:
        return Decision(f.model, None, name, f"{target} is not a {f.provider} model", est)
    if rule.require_cheaper:
        if est is None or est.requested_usd is None or est.routed_usd is None:
            return Decision(f.model, None, name, "no price to compare", est)
        if not est.cheaper(s.margin):
            return Decision(
                f.model, None, name, f"not cheaper by {s.margin:.0%} once caching is counted", est
            )
    return Decision(f.model, target, name, "routed", est)
