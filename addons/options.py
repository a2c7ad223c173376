"""The addon's options (``--set trimline_*``; ``trimline serve`` maps its flags onto them)."""

from __future__ import annotations

from typing import Any

from trimline.compressors import DEFAULT_THRESHOLD
from trimline.core.paths import DEFAULT_HOSTS
from trimline.metering import retention

# CPU time a compressor may spend on one block before the block goes as it came (and is
# left alone from then on): a pathological regex must not hold a request up.
COMPRESS_LIMIT_MS = 1000


def add_options(loader: Any) -> None:
    loader.add_option(
        "trimline_db",
        str,
        "",
        "SQLite database path (default ~/.trimline/trimline.db) or postgresql:// URL.",
    )
    loader.add_option(
        "trimline_retention_days",
        int,
        retention.DEFAULT_DAYS,
        "Days raw per-call rows are kept before they are rolled up by day (0: forever).",
    )
    loader.add_option(
        "trimline_stats_port", int, 8081, "Port of the stats endpoint (0: any free port)."
    )
    loader.add_option(
        "trimline_stats_host", str, "127.0.0.1", "Address the stats endpoint binds to."
    )
    loader.add_option(
        "trimline_stats_token",
        str,
        "",
        "Bearer token the stats endpoint requires (needed beyond loopback;"
        " default $TRIMLINE_STATS_TOKEN).",
    )
    loader.add_option(
        "trimline_threshold",
        int,
        DEFAULT_THRESHOLD,
        "Tool outputs under this many tokens are left alone.",
    )
    loader.add_option(
        "trimline_prices",
        str,
        "",
        "TOML file of your own prices per model (dollars per million tokens).",
    )
    loader.add_option(
        "trimline_attribution",
        str,
        "",
        "TOML file mapping API-key fingerprints or working directories to tags.",
    )
    loader.add_option(
        "trimline_hosts",
        str,
        DEFAULT_HOSTS,
        "Comma-separated API hosts to work on in forward mode (reverse mode: the upstream).",
    )
    loader.add_option(
        "trimline_store_originals",
        bool,
        False,
        "Keep each compressed tool output's original (zstd, local, 30-day retention) so "
        "markers can point at `trimline show`. Off: no tool content is stored.",
    )
    loader.add_option(
        "trimline_compress_limit_ms",
        int,
        COMPRESS_LIMIT_MS,
        "CPU time a compressor may spend on one block before it goes as it came (0: no limit).",
    )
    loader.add_option(
        "trimline_budgets", str, "", "TOML file of budgets, alert levels and anomaly rules."
    )
    loader.add_option(
        "trimline_exact_counts",
        bool,
        False,
        "Count each compressed block's tokens exactly (cl100k) in the metering writer, once "
        "per decision, instead of keeping the request path's estimate (costs CPU in the proxy).",
    )
