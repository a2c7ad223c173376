"""Which cheaper model of the same provider can stand in for a model.

A minimal version for budgets' ``downgrade`` action; the routing work owns this module.
"""

from __future__ import annotations

import re

ANTHROPIC_SMALL = "claude-haiku-4-5"
# A dated release: gpt-5-2025-08-07, gpt-4o-2024-08-06.
_DATE = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def smaller_model(provider: str, model: str) -> str | None:
    """A cheaper model of the same provider, or None when there is none to go to."""
    name = model.lower()
    if provider == "anthropic":
        if "haiku" in name:
            return None
        return ANTHROPIC_SMALL if ("opus" in name or "sonnet" in name) else None
    if provider == "openai":
        if not name.startswith("gpt-") or name.endswith(("-mini", "-nano")) or "-mini-" in name:
            return None
        return _DATE.sub("", model) + "-mini"
    return None
