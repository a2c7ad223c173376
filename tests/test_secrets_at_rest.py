"""No key, auth header or credential in any file Trimline writes.

A call carrying credentials everywhere a call can (headers, query string, the command of
a tool call, its output) goes through a real ``trimline serve --store-originals``; then
every byte of every file Trimline wrote (database, its WAL, originals, the console log)
is searched for each secret.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import anthropic
import pytest
import zstandard

from tests.fake_anthropic import FakeAnthropic
from tests.proxy import free_port, trimline_serve
from tests.samples import pytest_log

pytestmark = pytest.mark.integration

MODEL = "claude-sonnet-4-5"
API_KEY = "sk-ant-api03-atrestkeyatrestkeyatrestkey"
BEARER = "Bearer atrest-bearer-0123456789"
GOOG = "AIzaSyAtRestGoogleKey0123456789abcdef"
QUERY_KEY = "atrest-query-key-0123"
COMMAND_TOKEN = "ghp_AtRestCommandToken0123456789abcdefgh"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYatRESTSECRET"
PRIVATE_KEY_BODY = "MIIEpAIBAAKCAQEAatRestPrivateKeyMaterial0123456789"
SECRETS = [API_KEY, BEARER.split()[1], GOOG, QUERY_KEY, COMMAND_TOKEN, AWS_SECRET, PRIVATE_KEY_BODY]


def tool_output() -> str:
    # Secrets in the failure the compressor keeps, and in the passing run it elides.
    log = pytest_log().split("\n")
    log[5] += f"  aws_secret_access_key = {AWS_SECRET}"
    failure = log.index(">       assert parse('') == []")
    log[failure + 1 : failure + 1] = [
        "E       -----BEGIN RSA PRIVATE KEY-----",
        f"E       {PRIVATE_KEY_BODY}",
        "E       -----END RSA PRIVATE KEY-----",
    ]
    return "\n".join(log)


def readable(path: Path, scratch: Path) -> bytes:
    """A file's bytes, and for a SQLite database every value in it, zstd blobs unpacked
    (decisions and originals are stored compressed, where a byte search sees nothing)."""
    data = path.read_bytes()
    if not data.startswith(b"SQLite format 3"):
        return data
    copy = scratch / path.name
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            shutil.copy(f"{path}{suffix}", f"{copy}{suffix}")
    conn = sqlite3.connect(copy)
    parts = [data]
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        parts.append(value)
                        with contextlib.suppress(zstandard.ZstdError):
                            parts.append(zstandard.ZstdDecompressor().decompress(value))
                    elif value is not None:
                        parts.append(str(value).encode())
    finally:
        conn.close()
    return b"\n".join(parts)


def test_no_credential_reaches_any_file_trimline_writes(tmp_path: Path) -> None:
    command = f"GITHUB_TOKEN={COMMAND_TOKEN} pytest -v"
    messages = [
        {"role": "user", "content": "Run the tests."},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": command}}
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": tool_output()},
            ],
        },
    ]
    with (
        FakeAnthropic() as fake,
        trimline_serve(tmp_path, "--store-originals", upstream=fake.url) as proxy,
    ):
        c = anthropic.Anthropic(
            base_url=proxy.url,
            api_key=API_KEY,
            max_retries=0,
            default_headers={
                "authorization": BEARER,
                "x-goog-api-key": GOOG,
                "x-trimline-session": "at-rest",
            },
            default_query={"key": QUERY_KEY},
        )
        c.messages.create(model=MODEL, max_tokens=8, messages=messages)
        with c.messages.stream(model=MODEL, max_tokens=8, messages=messages) as s:
            s.get_final_message()
        proxy.wait_for_session("at-rest", n=2)
        sent = fake.messages()[0].json()["messages"][2]["content"][0]["content"]
    # The call was compressed, and what went upstream is the agent's business.
    assert "[trimline]" in sent
    assert COMMAND_TOKEN not in sent  # the marker did not copy the command
    written = [p for p in tmp_path.rglob("*") if p.is_file() and proxy.confdir not in p.parents]
    assert any(p.name == "originals.db" for p in written)
    originals = next(p for p in written if p.name == "originals.db")
    assert any(p.suffix == ".db" and p.name != "originals.db" for p in written)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert b"PASSED" in readable(originals, scratch)  # the search sees inside the store
    for path in written:
        data = readable(path, scratch)
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} in {path}"


def test_an_upstream_url_with_a_password_is_refused_masked(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trimline.cli",
            "serve",
            "--mode",
            "reverse",
            "--upstream",
            "http://alice:upstream-pw-0123@127.0.0.1:9",
            "--port",
            str(free_port()),
            "--stats-port",
            str(free_port()),
            "--db",
            str(tmp_path / "t.db"),
            "--confdir",
            str(tmp_path / "mitmproxy"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TRIMLINE_HOME": str(tmp_path)},
    )
    try:
        out, _ = proc.communicate(timeout=8)
    except subprocess.TimeoutExpired:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    # Refused before mitmproxy sees it (its own error would print the password), masked.
    assert proc.returncode == 2 and b"--upstream http://alice:***@127.0.0.1:9" in out
    assert b"upstream-pw-0123" not in out


def test_databases_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    from trimline.metering.db import connect_sqlite
    from trimline.metering.originals import Originals

    db = tmp_path / "home" / "trimline.db"
    conn = connect_sqlite(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    originals = Originals(tmp_path / "home" / "originals.db")
    originals.put_many([("ab" * 6, "text")])
    for path in [db, db.with_name("trimline.db-wal"), tmp_path / "home" / "originals.db"]:
        assert path.stat().st_mode & 0o077 == 0, path
    assert (tmp_path / "home").stat().st_mode & 0o077 == 0
