"""The ``trimline`` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from trimline.metering.records import CallRecord, Usage
from trimline.metering.writer import RecordWriter

from fixtures.load import ROOT


def trimline(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "trimline.cli", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
    )


def test_compress_json_on_a_real_pytest_log() -> None:
    log = ROOT / "logs" / "pytest_verbose.txt"
    facts = json.loads(log.with_suffix(".json").read_text())["facts"]
    done = trimline(
        "compress", str(log), "--tool", "Bash", "--command", "python -m pytest -v", "--json"
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert {"kind", "tokens_before", "tokens_after", "text"} <= out.keys()
    assert out["tokens_before"] > 2 * out["tokens_after"]
    assert all(fact in out["text"] for fact in facts)


def test_compress_reads_stdin_and_prints_text() -> None:
    text = "".join(f"Downloading part {i} of 900 ...\n" for i in range(900)).encode()
    done = trimline("compress", "-", "--tool", "Bash", "--command", "./fetch.sh", stdin=text)
    assert done.returncode == 0, done.stderr
    assert b"[trimline]" in done.stdout and len(done.stdout) < len(text) / 10


def test_stats_prints_a_table(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    writer = RecordWriter(db)
    writer.submit(
        CallRecord(
            ts=1.0,
            provider="anthropic",
            endpoint="messages",
            session="sess-1",
            team="payments",
            model="claude-x",
            stream=True,
            status=200,
            usage=Usage(10, 20, 30, 4000),
            tokens_before=9000,
            tokens_after=1000,
        )
    )
    writer.close()
    done = trimline("stats", "--db", str(db))
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "sess-1" in out and "claude-x" in out and "8,000" in out and "4,000" in out
    assert "payments" in out
    as_json = json.loads(trimline("stats", "--db", str(db), "--json").stdout)
    assert as_json["totals"]["tokens_saved"] == 8000


def test_stats_without_a_database_says_so(tmp_path: Path) -> None:
    done = trimline("stats", "--db", str(tmp_path / "none.db"))
    assert done.returncode == 1 and b"no database" in done.stderr
