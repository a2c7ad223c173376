"""The budgets file: spending limits per team, project or user, alert levels, anomaly rules.

TOML, validated with pydantic; a bad file stops ``trimline serve --budgets FILE`` with a
message naming the problem. See the README's "Budgets and alerts" section for an example.

Windows are calendar windows in UTC: a day from midnight, a week from Monday midnight, a
month from the first. A token budget counts every billed token (input, cache writes,
cache reads, output).
"""

from __future__ import annotations

import calendar
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Window = Literal["day", "week", "month"]
Action = Literal["notify", "downgrade", "block"]
DEFAULT_LEVELS = (70.0, 90.0, 100.0)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _levels(levels: list[float] | None) -> list[float] | None:
    if levels is None:
        return None
    if not levels or any(not 0 < x <= 1000 for x in levels):
        raise ValueError("alert levels are percentages of the limit, each in (0, 1000]")
    return sorted(set(levels))


class Budget(Strict):
    name: str = Field(min_length=1)
    # Which calls count: all of the given tags must match (none given: every call).
    team: str | None = None
    project: str | None = None
    user: str | None = None
    window: Window
    usd: float | None = Field(default=None, gt=0)
    tokens: int | None = Field(default=None, gt=0)
    action: Action = "notify"
    # For ``downgrade``: the model to use instead (default: a smaller one of the same provider).
    downgrade_to: str | None = None
    alert_levels: list[float] | None = None

    _check_levels = field_validator("alert_levels")(_levels)

    @model_validator(mode="after")
    def _one_limit(self) -> Budget:
        if (self.usd is None) == (self.tokens is None):
            raise ValueError(f"budget {self.name!r}: set exactly one of usd or tokens")
        if self.downgrade_to and self.action != "downgrade":
            raise ValueError(f"budget {self.name!r}: downgrade_to needs action = 'downgrade'")
        return self

    @property
    def unit(self) -> str:
        return "usd" if self.usd is not None else "tokens"

    @property
    def limit(self) -> float:
        return float(self.usd if self.usd is not None else self.tokens or 0)

    @property
    def scope(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (("team", self.team), ("project", self.project), ("user", self.user))
            if v is not None
        }

    def amount(self, value: float) -> str:
        """A spend in this budget's unit, for messages."""
        if self.unit == "tokens":
            return f"{value:,.0f} tokens"
        return f"${value:,.2f}" if value >= 1 else f"${value:.4g}"

    def applies(self, tags: dict[str, str | None]) -> bool:
        return all(tags.get(k) == v for k, v in self.scope.items())


class Anomalies(Strict):
    enabled: bool = True
    # Hourly spend over this many times its 7-day moving average (and at least spike_min_usd).
    hourly_spike_factor: float = Field(default=3.0, gt=1)
    spike_min_usd: float = Field(default=1.0, ge=0)
    # A call over this many times the median call cost (of the last 1,000 priced calls).
    call_outlier_factor: float = Field(default=10.0, gt=1)
    min_calls: int = Field(default=20, ge=1)
    # A session over this many times its team's average session (last 7 days).
    session_factor: float = Field(default=3.0, gt=1)
    min_sessions: int = Field(default=5, ge=2)
    # A retry loop: this many identical request bodies within retry_loop_seconds.
    retry_loop_count: int = Field(default=5, ge=2)
    retry_loop_seconds: float = Field(default=60.0, gt=0)
    # Answer the rest of a retry loop with the provider's own error instead of forwarding it.
    circuit_breaker: bool = False
    # Seconds between anomaly checks (they run off the request path).
    interval_s: float = Field(default=60.0, gt=0)


class BudgetFile(Strict):
    alert_levels: list[float] = Field(default_factory=lambda: list(DEFAULT_LEVELS))
    # Slack-compatible incoming webhook (JSON POST with a "text" field).
    webhook: str | None = None
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    # Output tokens reserved for a request that names no max_tokens.
    expected_output_tokens: int = Field(default=4096, ge=0)
    # A reservation never settled (its process died) stops counting after this long.
    reservation_ttl_s: float = Field(default=1800.0, gt=0)
    # A request body re-sent within this many seconds counts as a retry.
    retry_window_s: float = Field(default=60.0, gt=0)
    # Seconds between budget threshold checks.
    check_interval_s: float = Field(default=5.0, gt=0)
    budget: list[Budget] = Field(default_factory=list)
    anomalies: Anomalies = Field(default_factory=Anomalies)

    _check_levels = field_validator("alert_levels")(_levels)

    @field_validator("webhook")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("webhook must be an http:// or https:// URL")
        return url

    @model_validator(mode="after")
    def _unique(self) -> BudgetFile:
        names = [b.name for b in self.budget]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"budget names must be unique: {', '.join(dupes)}")
        return self

    def levels(self, budget: Budget) -> list[float]:
        return budget.alert_levels or self.alert_levels


class BudgetFileError(ValueError):
    pass


def load(path: str | Path | None) -> BudgetFile:
    """The file's settings (no file: no budgets, default anomaly rules)."""
    if not path:
        return BudgetFile()
    try:
        raw = tomllib.loads(Path(path).read_text())
        return BudgetFile.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as e:
        raise BudgetFileError(f"budgets file {path}: {e}") from None


def window_bounds(window: Window, now: float) -> tuple[float, float]:
    """Start and end (unix seconds) of the calendar window holding ``now``, in UTC."""
    t = datetime.fromtimestamp(now, UTC)
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if window == "day":
        start, end = day, day + timedelta(days=1)
    elif window == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = start + timedelta(days=calendar.monthrange(start.year, start.month)[1])
    return start.timestamp(), end.timestamp()
