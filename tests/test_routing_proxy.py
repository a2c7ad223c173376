"""Routing through a real ``trimline serve``: routed calls stream and are metered apart, and
a routed call the smaller model refuses is retried on the model asked for — the agent (a
real SDK client) gets the original model's success, streamed or not, both providers, in
reverse and forward mode."""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from benchmarks.sessions import FakeBoth
from tests import routing_shapes as shapes
from tests.fake_anthropic import FakeAnthropic
from tests.fake_upstream import Reply
from tests.proxy import Proxy, trimline_serve

pytestmark = pytest.mark.integration
SONNET, HAIKU = "claude-sonnet-4-5", "claude-haiku-4-5"


class Refusing:
    """Mixin: a 400 for the models in ``refuse``, as the API answers an unsupported one."""

    refuse: frozenset[str] | set[str] = frozenset()

    def answer(self, path: str, request: dict) -> Reply:
        if request.get("model") in self.refuse:
            error = {"type": "invalid_request_error", "message": "thinking: not supported"}
            return Reply({"type": "error", "error": error}, status=400)
        return super().answer(path, request)  # type: ignore[misc]


class RefusingAnthropic(Refusing, FakeAnthropic):
    pass


class RefusingBoth(Refusing, FakeBoth):
    """Both providers' wire formats on one port, so one proxy serves every test here."""

    def messages(self):
        return self.bodies("/v1/messages")


@pytest.fixture(scope="module")
def fake():
    with RefusingBoth() as fake:
        yield fake


@pytest.fixture(scope="module")
def proxy(fake, tmp_path_factory):
    with trimline_serve(
        tmp_path_factory.mktemp("routing"), "--routing", "default", upstream=fake.url
    ) as proxy:
        yield proxy


def _title_call(client: anthropic.Anthropic, stream: bool) -> str:
    body = shapes.claude_title()
    kwargs = {
        "model": body["model"],
        "max_tokens": 1024,
        "system": body["system"],
        "messages": body["messages"],
        "extra_body": {"thinking": body["thinking"], "output_config": body["output_config"]},
    }
    if stream:
        with client.messages.stream(**kwargs) as s:
            return "".join(s.text_stream)
    return client.messages.create(**kwargs).content[0].text


def _anthropic(proxy: Proxy, session: str, **kw) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-test",
        base_url=kw.pop("base_url", proxy.url),
        max_retries=0,
        default_headers={"x-trimline-session": session},
        **kw,
    )


def _session_rows(proxy: Proxy, session: str) -> dict:
    proxy.wait_for_session(session)
    return proxy.stats()


@pytest.mark.parametrize("stream", [False, True])
def test_side_request_is_routed_streams_and_is_metered_apart(fake, proxy, stream) -> None:
    fake.refuse = set()
    session = f"route-{uuid.uuid4()}"
    before = proxy.stats()["totals"]
    fake.received.clear()
    assert _title_call(_anthropic(proxy, session), stream) == fake.anthropic.text
    (got,) = fake.messages()
    assert got.json()["model"] == HAIKU
    assert got.json()["thinking"] == {"type": "disabled"}
    assert got.json()["output_config"]["format"]["type"] == "json_schema"
    totals = _session_rows(proxy, session)["totals"]
    assert totals["routed_calls"] == before["routed_calls"] + 1
    assert totals["fallbacks"] == before["fallbacks"]
    assert totals["routing_saved_usd"] > before["routing_saved_usd"]
    models = {r["model"] for r in proxy.stats()["by_model"]}
    assert HAIKU in models


@pytest.mark.parametrize("stream", [False, True])
def test_refused_routed_call_falls_back_to_the_model_asked_for(fake, proxy, stream) -> None:
    fake.refuse = {HAIKU}
    session = f"fallback-{uuid.uuid4()}"
    before = proxy.stats()["totals"]
    fake.received.clear()
    try:
        assert _title_call(_anthropic(proxy, session), stream) == fake.anthropic.text
    finally:
        fake.refuse = set()
    first, second = fake.messages()
    assert first.json()["model"] == HAIKU
    assert second.json() == {**first.json(), "model": SONNET}  # the original body
    totals = _session_rows(proxy, session)["totals"]
    assert totals["fallbacks"] == before["fallbacks"] + 1
    assert totals["routed_calls"] == before["routed_calls"] + 1
    assert totals["routing_saved_usd"] == pytest.approx(before["routing_saved_usd"])
    row = next(r for r in proxy.stats()["by_session"] if r["session"] == session)
    assert row["errors"] == 0 and row["output_tokens"] == fake.anthropic.usage.output_tokens


def _codex_call(client: openai.OpenAI, stream: bool, headers: dict[str, str]) -> str:
    body, _ = shapes.codex(0)
    kwargs = {
        "model": body["model"],
        "input": body["input"],
        "reasoning": body["reasoning"],
        "store": False,
        "extra_headers": headers,
    }
    if stream:
        events = list(client.responses.create(stream=True, **kwargs))
        assert events[-1].type == "response.completed"
        return "".join(e.delta for e in events if e.type == "response.output_text.delta")
    return client.responses.create(**kwargs).output_text


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("refuse", [False, True])
def test_codex_compaction_routes_and_falls_back(fake, proxy, stream, refuse) -> None:
    fake.refuse = {"gpt-5-mini"} if refuse else set()
    session = f"codex-{uuid.uuid4()}"
    before = proxy.stats()["totals"]
    fake.received.clear()
    client = openai.OpenAI(api_key="sk-test", base_url=proxy.url + "/v1", max_retries=0)
    headers = {"x-openai-subagent": "compact", "x-trimline-session": session}
    try:
        assert _codex_call(client, stream, headers) == fake.openai.text
    finally:
        fake.refuse = set()
    models = [r.json()["model"] for r in fake.bodies("/responses")]
    assert models == (["gpt-5-mini", "gpt-5-codex"] if refuse else ["gpt-5-mini"])
    totals = _session_rows(proxy, session)["totals"]
    assert totals["routed_calls"] == before["routed_calls"] + 1
    assert totals["fallbacks"] == before["fallbacks"] + int(refuse)
    row = next(r for r in proxy.stats()["by_session"] if r["session"] == session)
    assert row["errors"] == 0 and row["output_tokens"] == fake.openai.usage.output_tokens


def test_fallback_in_forward_mode(tmp_path: Path) -> None:
    with RefusingAnthropic() as fake:
        fake.refuse = {HAIKU}
        with trimline_serve(
            tmp_path, "--routing", "default", "--redirect", f"api.anthropic.com={fake.url}",
            mode="forward",
        ) as proxy:  # fmt: skip
            http_client = httpx.Client(
                proxy=proxy.url, verify=ssl.create_default_context(cafile=proxy.ca_cert)
            )
            client = _anthropic(
                proxy, "fwd", base_url="https://api.anthropic.com", http_client=http_client
            )
            assert _title_call(client, stream=True) == fake.text
            assert [r.json()["model"] for r in fake.messages()] == [HAIKU, SONNET]
            assert _session_rows(proxy, "fwd")["totals"]["fallbacks"] == 1


def test_a_bad_rules_file_stops_serve_with_the_problem(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rule]]\nname = 'x'\naction = 'route'\nwhen = { kind = ['sidequest'] }\n")
    with (
        pytest.raises(RuntimeError, match="exited"),
        trimline_serve(tmp_path, "--routing", str(rules), upstream="http://127.0.0.1:9"),
    ):
        pass
    log = (tmp_path / "serve.log").read_text()
    assert "rules.toml" in log and "rule 1 ('x'), when.kind.0" in log
