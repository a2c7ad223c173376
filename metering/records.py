"""What is recorded per call and per compressed block.

Plain dataclasses: they are built on the proxy's hot path. Token estimates for
a whole request are filled in off that path, by the writer thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Usage:
    """Billed usage, in one meaning for every provider. None where the provider did not say.

    ``input_tokens`` are the tokens billed at the plain input rate: cache reads
    and writes are apart (Anthropic reports it so; for OpenAI, whose
    ``prompt_tokens`` include ``cached_tokens``, the provider module subtracts).
    ``reasoning_tokens`` are part of ``output_tokens``, as both providers bill them.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    reasoning_tokens: int | None = None

    def merge(self, other: Usage) -> None:
        """Fold in a later report (a stream's message_delta is cumulative)."""
        for name in self.__slots__:
            value = getattr(other, name)
            if value is not None:
                setattr(self, name, value)


@dataclass(slots=True)
class BlockRecord:
    tool: str
    kind: str
    tokens_before: int
    tokens_after: int
    ms: float
    cached: bool
    # The texts behind the counts, which the request path only estimated: the writer counts
    # them exactly (``metering.block_tokens``) and drops them. text_after None: unchanged.
    text_before: str | None = None
    text_after: str | None = None
    # The tokenizer of the counts: "cl100k" once counted, "estimate" if they could not be.
    tokens_method: str = "estimate"
    decision: bytes | None = None  # the decision's key (``addons.decisions``)


@dataclass(slots=True)
class CallRecord:
    ts: float
    provider: str
    endpoint: str
    session: str
    model: str
    stream: bool
    status: int = 0
    team: str | None = None
    project: str | None = None
    user: str | None = None
    environment: str | None = None
    feature: str | None = None
    usage: Usage = field(default_factory=Usage)
    ttfb_ms: float | None = None
    latency_ms: float | None = None
    overhead_ms: float = 0.0
    error: str | None = None
    # True when the provider reported no output usage and it was counted from the text.
    usage_estimated: bool = False
    cost_usd: float | None = None
    saved_usd: float | None = None
    output_text: str | None = None
    blocks: list[BlockRecord] = field(default_factory=list)
    # The request as the agent sent it, decoded; the writer estimates its size.
    request_json: bytes | None = None
    tokens_before: int | None = None
    tokens_after: int | None = None
    # How tokens_before/after were made ("estimate": ``compressors.tokens.estimate_json``,
    # the same whatever the load), blocks sent changed on an earlier decision (history
    # replayed), and the part of the saving made by decisions taken on this call.
    tokens_method: str | None = None
    replayed_blocks: int = 0
    saved_new: int = 0
    # Budgets (``addons.guard``): the open reservation this call settles, the same body seen
    # again within the retry window, the model the agent asked for when a budget changed it.
    reservation: str | None = None
    retry: bool = False
    requested_model: str | None = None
    # Routing (addons/routing): the model asked for, the smaller one called instead (None:
    # not routed), the rule that decided, both estimates, and what the call would have cost
    # on the model asked for. ``fallback``: the routed call was refused and retried on it.
    routed_model: str | None = None
    route_rule: str | None = None
    route_est_requested_usd: float | None = None
    route_est_routed_usd: float | None = None
    route_cached_share: float = (
        0.0  # of the prompt, likely cached on the model asked for (not stored)
    )
    counterfactual_usd: float | None = None
    fallback: bool = False
    # Composition (``metering.composition``): the provider's part-naming function, the body
    # as it went upstream when Trimline changed it, and the counts the writer makes of both.
    composer: Callable[[dict[str, Any]], list[Any]] | None = None
    sent_json: bytes | None = None
    composition: list[Any] = field(default_factory=list)

    @property
    def tokens_saved_by_blocks(self) -> int:
        """Tokens the call's rewritten tool outputs saved, in the call's own measure."""
        if self.tokens_before is not None and self.tokens_after is not None:
            return self.tokens_before - self.tokens_after
        return sum(b.tokens_before - b.tokens_after for b in self.blocks)

    def tokens_saved_split(self) -> tuple[int, int]:
        """Tokens saved on blocks decided on this call, and on blocks re-sent from history."""
        total = self.tokens_saved_by_blocks
        if self.tokens_method is not None:
            new = min(max(0, self.saved_new), max(0, total))
        else:
            new = sum(b.tokens_before - b.tokens_after for b in self.blocks if not b.cached)
        return new, total - new


@dataclass(slots=True)
class Decision:
    """What was sent for one tool output (see ``addons.decisions``), encoded."""

    key: bytes
    result: bytes
    # The text sent, for the writer's secret check only (a decision whose text holds a
    # credential is kept in memory, not in the store); never written.
    text: str = ""


@dataclass(slots=True)
class Original:
    """A tool output as the agent produced it, kept so its elisions can be undone."""

    id: str
    text: str
