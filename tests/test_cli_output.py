"""What the ``trimline`` command prints: --version, --help, --json on every read command,
tables that fit 80 columns; and what ``serve`` leaves on disk: only the files asked for, a
.db that holds everything after SIGTERM, and ``trimline backup``'s consistent copy."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import httpx
import orjson
import pytest
from trimline.metering.originals import Originals
from trimline.metering.records import CallRecord, Usage
from trimline.metering.writer import RecordWriter

from tests import routing_shapes as shapes
from tests.fake_anthropic import FakeAnthropic
from tests.proxy import trimline_serve
from tests.samples import pytest_log


def trimline(
    *args: str, columns: int | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = str(columns)
    done = subprocess.run(
        [sys.executable, "-m", "trimline.cli", *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def busy_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with long model names, long session ids, big numbers, teams and originals."""
    db = tmp_path_factory.mktemp("busy") / "t.db"
    writer = RecordWriter(db)
    now = time.time()
    for i in range(40):
        writer.submit(
            CallRecord(
                ts=now - i * 600,
                provider="anthropic" if i % 2 else "openai",
                endpoint="messages" if i % 2 else "chat_completions",
                session=f"0b7d2c1e-5a4f-4e0b-9d1c-{i:012d}",
                model="claude-sonnet-4-5-20250929" if i % 2 else "gpt-5-codex-mini-2025-11-01",
                stream=True,
                status=200,
                team=f"platform-infrastructure-{i % 3}",
                project=f"checkout-service-{i % 4}",
                usage=Usage(123_456, 45_678, 1_234_567, 98_765_432),
                tokens_before=12_345_678,
                tokens_after=2_345_678,
            )
        )
    writer.close()
    originals = Originals(db.with_name("originals.db"))
    originals.put_many([("abc123", "line one\nline two\nFAILED three\n")])
    originals.close()
    return db


def test_version() -> None:
    out = trimline("--version").stdout
    assert out.strip() == f"trimline {metadata.version('trimline')}"


def test_help_has_defaults_and_examples() -> None:
    out = trimline("serve", "--help", columns=100).stdout
    assert "[default: 8080]" in out and "[default: 8081]" in out and "Examples:" in out
    for command in ("stats", "report", "compress", "show", "backup", "budgets", "alerts", "route"):
        assert "Examples:" in trimline(command, "--help").stdout, command


def test_json_on_every_read_command(busy_db: Path, tmp_path: Path) -> None:
    db = str(busy_db)
    stats = json.loads(trimline("stats", "--db", db, "--json").stdout)
    assert stats["totals"]["requests"] == 40
    for by in ("team", "model", "session", "day", "block"):
        report = json.loads(trimline("report", "--by", by, "--db", db, "--json").stdout)
        assert report["totals"]["requests"] == 40, by
    budgets = tmp_path / "b.toml"
    budgets.write_text(
        '[[budget]]\nname = "x"\nteam = "platform-infrastructure-1"\nwindow = "month"\nusd = 5\n'
    )
    rows = json.loads(trimline("budgets", "--budgets", str(budgets), "--db", db, "--json").stdout)
    assert rows[0]["name"] == "x"
    table = trimline("budgets", "--budgets", str(budgets), "--db", db, columns=80).stdout
    assert "platform-infrastructure-1" in table
    assert max(len(line) for line in table.splitlines()) <= 80
    assert json.loads(trimline("alerts", "--db", db, "--json").stdout) == []
    shown = json.loads(trimline("show", "abc123", "--grep", "FAIL", "--db", db, "--json").stdout)
    assert shown["text"] == "3:FAILED three"
    request = tmp_path / "title.json"
    request.write_bytes(orjson.dumps(shapes.claude_title()))
    assert json.loads(trimline("route", "--explain", str(request), "--json").stdout)["rule"]
    compressed = json.loads(trimline("compress", "-", "--json", stdin=b"hello\n").stdout)
    assert compressed["text"] == "hello\n"


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["report", "--by", "session"],
        ["report", "--by", "day"],
        ["report", "--by", "team"],
        ["report", "--by", "block"],
        ["alerts"],
    ],
)
def test_tables_fit_80_columns(busy_db: Path, args: list[str]) -> None:
    out = trimline(*args, "--db", str(busy_db), columns=80).stdout
    widest = max(len(line) for line in out.splitlines())
    assert widest <= 80, out
    if args == ["stats"]:
        # Numbers and model names are never cut to fit.
        assert "claude-sonnet-4-5-20250929" in out and "3,950,617,280" in out
    wide = trimline(*args, "--db", str(busy_db), columns=400).stdout
    assert "hidden at this width" not in wide


def calls_in(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM calls").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.integration
def test_serve_files_sigterm_and_backup(tmp_path: Path) -> None:
    """--db elsewhere: nothing in TRIMLINE_HOME, no originals.db without --store-originals;
    after SIGTERM the .db alone holds every call; backup copies them while serving."""
    db = tmp_path / "elsewhere" / "t.db"
    calls = 6
    with FakeAnthropic() as fake, trimline_serve(tmp_path, upstream=fake.url, db=db) as proxy:
        for i in range(calls):
            content = [{"type": "tool_result", "tool_use_id": "t1", "content": pytest_log()}]
            r = httpx.post(
                f"{proxy.url}/v1/messages",
                json={
                    "model": "claude-sonnet-4-5",
                    "max_tokens": 10,
                    "messages": [
                        {"role": "user", "content": f"run the tests {i}"},
                        {
                            "role": "assistant",
                            "content": [
                                {
                                    "type": "tool_use",
                                    "id": "t1",
                                    "name": "Bash",
                                    "input": {"command": "pytest -v"},
                                }
                            ],
                        },
                        {"role": "user", "content": content},
                    ],
                },
                headers={"x-api-key": "sk-test", "x-trimline-session": f"s{i}"},
                timeout=30,
            )
            assert r.status_code == 200
        assert proxy.wait_for_requests(calls)["totals"]["requests"] == calls
        online = tmp_path / "online.db"
        done = trimline("backup", str(online), "--db", str(db))
        assert f"{calls:,} calls" in done.stdout
        assert calls_in(online) == calls
        process = proxy.process
    assert process is not None and process.wait(timeout=30) == 0
    # Asked for: the .db under elsewhere/. Not asked for: anything in TRIMLINE_HOME (tmp).
    assert not (tmp_path / "trimline.db").exists()
    assert not list(tmp_path.rglob("originals.db"))
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    alone = tmp_path / "alone" / "t.db"
    alone.parent.mkdir()
    shutil.copyfile(db, alone)  # the file by itself, as a naive backup copies it
    assert calls_in(alone) == calls
    # The same after the fact, and a second backup to the same place needs --force.
    again = subprocess.run(
        [sys.executable, "-m", "trimline.cli", "backup", str(online), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode != 0 and "--force" in again.stderr
    trimline("backup", str(online), "--db", str(db), "--force")
    assert calls_in(online) == calls
