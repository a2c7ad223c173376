"""Calls through a real forward-mode ``trimline serve`` for the read-side tests, with the
figures they must produce worked out independently (list prices written out here, not
taken from Trimline's price code)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import anthropic
import httpx
import openai

from tests.fake_anthropic import FakeAnthropic
from tests.fake_anthropic import Usage as AUsage
from tests.fake_openai import FakeOpenAI
from tests.proxy import Proxy
from tests.samples import pytest_log
from tests.test_proxy import conversation

# Dollars per million tokens: input, cache write (5 min), cache read, output.
SONNET = (3.0, 3.75, 0.30, 15.0)
HAIKU = (1.0, 1.25, 0.10, 5.0)
XSS_TEAM = '<script>alert("x")</script>'


@dataclass
class Call:
    team: str
    model: str
    session: str
    input: int  # billed at the plain input rate
    output: int
    cache_write: int
    cache_read: int
    cost: float

    @property
    def context(self) -> int:
        return self.input + self.cache_write + self.cache_read


@dataclass
class Expected:
    calls: list[Call] = field(default_factory=list)
    count_tokens_calls: int = 0

    def where(self, **kw: str) -> list[Call]:
        return [c for c in self.calls if all(getattr(c, k) == v for k, v in kw.items())]

    def cost(self, **kw: str) -> float:
        return sum(c.cost for c in self.where(**kw))


def _anthropic_cost(u: AUsage, rates: tuple[float, float, float, float]) -> float:
    i, w, r, o = rates
    return (
        u.input_tokens * i
        + u.cache_creation_input_tokens * w
        + u.cache_read_input_tokens * r
        + u.output_tokens * o
    ) / 1e6


def make_traffic(p: Proxy, fa: FakeAnthropic, fo: FakeOpenAI) -> Expected:
    """Four teams, five sessions, both providers, streamed and not, one count_tokens call."""
    host = p.url.removeprefix("http://")
    verify = ssl.create_default_context(cafile=p.ca_cert)
    # Team alpha, project p1 by the proxy's credentials (zero-code tagging).
    alpha_http = httpx.Client(proxy=f"http://alpha:p1@{host}", verify=verify)
    plain_http = httpx.Client(proxy=f"http://{host}", verify=verify)
    exp = Expected()

    def claude(team: str | None, session: str, http: httpx.Client) -> anthropic.Anthropic:
        headers = {"x-trimline-session": session}
        if team:
            headers["x-trimline-team"] = team
        return anthropic.Anthropic(
            api_key="sk-test", http_client=http, max_retries=0, default_headers=headers
        )

    a = claude(None, "sess-a", alpha_http)
    # Three turns whose context grows: 3,000 -> 4,700 -> 5,500 tokens.
    turns = [AUsage(1000, 40, 2000, 0), AUsage(200, 50, 1500, 3000), AUsage(300, 60, 500, 4700)]
    for n, usage in enumerate(turns):
        fa.usage = usage
        messages = conversation(pytest_log()) if n == 0 else conversation("short")
        if n == 1:
            with a.messages.stream(model="claude-sonnet-4-5", max_tokens=8, messages=messages) as s:
                "".join(s.text_stream)
        else:
            a.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=messages)
        exp.calls.append(
            Call(
                "alpha",
                "claude-sonnet-4-5",
                "sess-a",
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_creation_input_tokens,
                usage.cache_read_input_tokens,
                _anthropic_cost(usage, SONNET),
            )
        )
    a.messages.count_tokens(model="claude-sonnet-4-5", messages=conversation("short"))
    exp.count_tokens_calls += 1

    # Team beta on Haiku; then a team name that is an HTML injection attempt.
    for team, session in (("beta", "sess-b"), (XSS_TEAM, "sess-x")):
        fa.usage = AUsage(700, 30, 0, 8000)
        claude(team, session, plain_http).messages.create(
            model="claude-haiku-4-5", max_tokens=8, messages=conversation("short")
        )
        exp.calls.append(
            Call(
                team,
                "claude-haiku-4-5",
                session,
                700,
                30,
                0,
                8000,
                _anthropic_cost(fa.usage, HAIKU),
            )
        )

    # Team gamma on GPT-5: chat (plain and streamed) and responses.
    u = fo.usage
    gpt5 = (
        (u.input_tokens - u.cached_tokens) * 1.25 + u.cached_tokens * 0.125 + u.output_tokens * 10
    ) / 1e6
    o = openai.OpenAI(
        api_key="sk-test",
        http_client=plain_http,
        max_retries=0,
        default_headers={"x-trimline-team": "gamma", "x-trimline-session": "sess-o"},
    )
    msgs = [{"role": "user", "content": "hello"}]
    o.chat.completions.create(model="gpt-5", messages=msgs)
    for _ in o.chat.completions.create(
        model="gpt-5", messages=msgs, stream=True, stream_options={"include_usage": True}
    ):
        pass
    o.responses.create(model="gpt-5", input="hello")
    for _ in range(3):
        exp.calls.append(
            Call(
                "gamma",
                "gpt-5",
                "sess-o",
                u.input_tokens - u.cached_tokens,
                u.output_tokens,
                0,
                u.cached_tokens,
                gpt5,
            )
        )
    p.wait_for_requests(len(exp.calls))
    return exp
