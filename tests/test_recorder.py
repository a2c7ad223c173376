"""trimline serve --record: each call of a session saved, sanitised, in the replay format."""

from __future__ import annotations

import json
import time
from pathlib import Path

import anthropic
import httpx
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


# Secrets of every kind a call can carry; none may reach a file under DIR.
AWS_KEY = "AKIAQWERTYUIOPASDFGH"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETKEY"
GITHUB_TOKEN = "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngAbCdEf0123"
PRIVATE_KEY_BODY = "MIIEowIBAAKCAQEA7rEcOrdedTestKeyMaterialXyZ0123456789abcdefgh"
PASSWORD = "Tr0ub4dor-and-3-horses"
HEADER_SECRETS = {
    "x-api-key": "sk-ant-api03-headerkeyheaderkeyheaderkey",
    "authorization": "Bearer bearer-secret-0123456789",
    "x-goog-api-key": "AIzaSyGoogKeyGoogKeyGoogKey0123456789",
    "x-auth-token": "auth-token-secret-value-1",
    "x-litellm-api-key": "litellm-secret-value-2",
    "x-portkey-api-key": "portkey-secret-value-3",
    "helicone-auth": "Bearer helicone-secret-value-4",
    "cf-aig-authorization": "Bearer cf-aig-secret-value-5",
    "cookie": "sid=cookie-secret-value-6",
    "x-custom-secret": "custom-secret-value-7",
    "x-db-password": "db-password-value-8",
}
QUERY_SECRETS = {
    "key": "query-key-secret-9",
    "api_key": "query-apikey-secret-10",
    "token": "query-token-secret-11",
    "access_token": "query-access-secret-12",
    "sig": "query-sig-secret-13",
}
KEPT_HEADERS = {
    "anthropic-beta": "context-management-2025-06-27",
    "x-claude-code-session-id": "0b5e-session",
    "x-app": "cli",
    "user-agent": "claude-cli/2.1.197 (external, sdk-cli)",
}


def test_no_credential_of_any_kind_reaches_a_recorded_file(tmp_path: Path) -> None:
    out = tmp_path / "recorded"
    tool_output = "\n".join(
        [
            "$ cat .env deploy.pem",
            f"AWS_ACCESS_KEY_ID={AWS_KEY}",
            f"aws_secret_access_key = {AWS_SECRET}",
            f"GITHUB_TOKEN={GITHUB_TOKEN}",
            f"password={PASSWORD}",
            "-----BEGIN RSA PRIVATE KEY-----",
            PRIVATE_KEY_BODY,
            "-----END RSA PRIVATE KEY-----",
            "def test_ok(): assert compute(1) == 2",
        ]
    )
    messages = conversation(tool_output)
    with (
        FakeAnthropic(text=f"Your token is {GITHUB_TOKEN}.") as fake,
        trimline_serve(tmp_path, "--record", str(out), upstream=fake.url) as proxy,
    ):
        c = anthropic.Anthropic(
            base_url=proxy.url,
            api_key=HEADER_SECRETS["x-api-key"],
            max_retries=0,
            default_headers={
                **{k: v for k, v in HEADER_SECRETS.items() if k != "x-api-key"},
                **KEPT_HEADERS,
                "x-trimline-session": "secrets",
            },
            default_query={**QUERY_SECRETS, "beta": "true"},
        )
        c.messages.create(model=MODEL, max_tokens=10, messages=messages)
        with c.messages.stream(model=MODEL, max_tokens=10, messages=messages) as stream:
            stream.get_final_message()
        proxy.wait_for_session("secrets", n=2)
        recorded = out / "secrets.jsonl"
        deadline = time.monotonic() + 10  # records are written off the event loop
        while time.monotonic() < deadline and (
            not recorded.exists() or recorded.read_bytes().count(b"\n") < 2
        ):
            time.sleep(0.05)
    secrets = [
        AWS_KEY,
        AWS_SECRET,
        GITHUB_TOKEN,
        PRIVATE_KEY_BODY,
        PASSWORD,
        *(v.removeprefix("Bearer ").removeprefix("sid=") for v in HEADER_SECRETS.values()),
        *QUERY_SECRETS.values(),
    ]
    files = [p for p in tmp_path.rglob("*") if p.is_file() and out in p.parents]
    assert files
    assert all(p.stat().st_mode & 0o077 == 0 for p in [out, *files])  # the owner's only
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret} in {path}"
    plain, streamed = (
        json.loads(line) for line in (out / "secrets.jsonl").read_bytes().splitlines()
    )
    # Still replayable: the path, the headers a provider needs, the body's shape.
    assert plain["path"] == "/v1/messages?beta=true"
    headers = {k.lower(): v for k, v in plain["headers"].items()}
    for name, value in KEPT_HEADERS.items():
        assert value in headers[name]
    assert headers["anthropic-version"] and headers["content-type"] == "application/json"
    assert any(k.startswith("x-stainless-") for k in headers)
    assert not set(headers) & {*HEADER_SECRETS, "x-trimline-session"}
    recorded_output = plain["body"]["messages"][2]["content"][0]["content"]
    assert "[secret masked]" in recorded_output
    assert "def test_ok(): assert compute(1) == 2" in recorded_output  # the rest as sent
    assert [m["role"] for m in plain["body"]["messages"]] == [m["role"] for m in messages]
    assert "[secret masked]" in plain["response"]["body"]["content"][0]["text"]
    assert "event: message_delta" in streamed["response"]["body"]
    with FakeAnthropic() as again:
        replay = httpx.post(again.url + plain["path"], headers=plain["headers"], json=plain["body"])
        assert replay.status_code == 200
        assert again.messages()[0].json()["messages"][0] == messages[0]
