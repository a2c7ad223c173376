"""Helpers shared by the benchmark sections: paths, percentiles, prices, Markdown tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "fixtures" / "corpora"  # real agent runs, copied in with their licence

# The two price points of the session cost model (genai-prices' bundled data, never fetched).
PRICE_MODELS = (("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-5"))


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil(n * q), at least 1
    return float(ordered[min(len(ordered), int(rank)) - 1])


def saved_pct(before: int | float, after: int | float) -> float:
    return round(100 * (1 - after / before), 1) if before else 0.0


def price(
    provider: str, model: str, *, total: int, cache_read: int, cache_write: int, output: int
) -> float:
    """US dollars for one call. ``total`` input tokens include the cache reads and writes.

    OpenAI has no write premium: its uncached input is billed at the input rate.
    """
    if provider == "openai":
        cache_write = 0
    usage = PriceUsage(
        input_tokens=total,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=output,
    )
    return float(calc_price(usage, model_ref=model, provider_id=provider).total_price)


def table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> str:
    """A Markdown table; ``align`` is one letter per column (l or r), default l then r."""
    header = list(header)
    align = align or "l" + "r" * (len(header) - 1)
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def money(value: float) -> str:
    return f"${value:,.4f}" if value < 10 else f"${value:,.2f}"


def facts_kept(text: str, facts: Iterable[str]) -> int:
    """Must-keep facts found in ``text`` literally."""
    return sum(1 for fact in facts if fact in text)


def unfold_paths(text: str) -> str:
    """``text`` plus the paths a directory-grouped layout implies.

    Some compressors fold path lists into ``dir/`` heading lines followed by bare
    names, or ``dir/ name name`` lines; a literal-substring fact check misses those
    paths although a reader can rebuild them. This appends the rebuilt ``dir/name``
    lines, so the same check counts them as kept ("recoverable").
    """
    rebuilt: list[str] = []
    current = ""
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0].endswith("/") and not tokens[0].startswith("["):
            if len(tokens) == 1:
                current = tokens[0]
            else:
                rebuilt.extend(tokens[0] + name for name in tokens[1:])
            continue
        if current and len(tokens) == 1:
            rebuilt.append(current + tokens[0])
    return text + "\n" + "\n".join(rebuilt) if rebuilt else text
