"""trimline serve --record: each call of a session saved, sanitised, in the replay format."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import pytest

from tests.fake_anthropic import FakeAnthropic
from tests.proxy import trimline_serve
from tests.samples import pytest_log
from tests.test_proxy import MODEL, conversation

pytestmark = pytest.mark.integration


def test_a_session_is_recorded_as_the_agent_sent_it_without_secrets(tmp_path: Path) -> None:
    out = tmp_path / "recorded"
    messages = conversation(pytest_log())
    with (
        FakeAnthropic() as fake,
        trimline_serve(tmp_path, "--record", str(out), upstream=fake.url) as proxy,
    ):
        c = anthropic.Anthropic(
            base_url=proxy.url,
            api_key="sk-ant-very-secret",
            max_retries=0,
            default_headers={"x-trimline-session": "rec/1", "Cookie": "sid=also-secret"},
        )
        c.messages.create(model=MODEL, max_tokens=10, messages=messages)
        with c.messages.stream(model=MODEL, max_tokens=10, messages=messages) as stream:
            stream.get_final_message()
        proxy.wait_for_session("rec/1", n=2)
        sent_upstream = fake.messages()[0].json()
    (path,) = out.iterdir()
    assert path.name == "rec_1.jsonl"
    raw = path.read_bytes()
    assert b"sk-ant-very-secret" not in raw and b"also-secret" not in raw
    plain, streamed = (json.loads(line) for line in raw.splitlines())
    # The body as the agent sent it, before compression.
    assert plain["body"]["messages"] == messages
    assert "[trimline]" in json.dumps(sent_upstream)
    assert plain["path"] == "/v1/messages" and plain["method"] == "POST"
    assert plain["response"]["status"] == 200
    assert plain["response"]["body"]["usage"]["output_tokens"] == fake.usage.output_tokens
    assert "event: message_delta" in streamed["response"]["body"]
    assert not {k.lower() for k in plain["headers"]} & {"x-api-key", "authorization", "cookie"}
