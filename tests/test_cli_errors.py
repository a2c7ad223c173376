"""Every failure a user can cause, through the real ``trimline`` command: one line on stderr
naming the thing and the fix, a non-zero exit, no traceback (``--debug`` shows one)."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from trimline.metering.records import CallRecord, Usage
from trimline.metering.writer import RecordWriter

from tests.proxy import _wait_port, free_port


def trimline(
    *args: str, tmp: Path | None = None, stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if tmp is not None:
        env["TRIMLINE_HOME"] = str(tmp / "home")
    env.pop("TRIMLINE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "trimline.cli", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def serve(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``trimline serve`` on free ports, with everything it writes under ``tmp``."""
    given = set(args)
    extra = []
    if "--port" not in given:
        extra += ["--port", str(free_port())]
    if "--stats-port" not in given:
        extra += ["--stats-port", str(free_port())]
    if "--db" not in given:
        extra += ["--db", str(tmp / "t.db")]
    return trimline(
        "serve", *args, *extra, "--confdir", str(tmp / "mitmproxy"), tmp=tmp, timeout=90
    )


def one_line(done: subprocess.CompletedProcess[str], *names: str) -> str:
    """The single stderr line of a failed command, which names each of ``names``."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


def a_database(path: Path, calls: int = 3) -> Path:
    writer = RecordWriter(path)
    for i in range(calls):
        writer.submit(
            CallRecord(
                ts=time.time(),
                provider="anthropic",
                endpoint="messages",
                session=f"s{i}",
                model="claude-sonnet-4-5",
                stream=False,
                status=200,
                usage=Usage(10, 20, 0, 0),
                tokens_before=900,
                tokens_after=100,
            )
        )
    writer.close()
    return path


def not_sqlite(tmp: Path) -> Path:
    bad = tmp / "notes.db"
    bad.write_text("these are my notes, not a database\n" * 50)
    return bad


def corrupt(tmp: Path) -> Path:
    """A real Trimline database with pages overwritten in the middle."""
    db = a_database(tmp / "corrupt.db", calls=300)
    data = bytearray(db.read_bytes())
    page = 4096
    for n in range(1, len(data) // page):
        data[n * page + 8 : n * page + 200] = b"\xff" * 192
    db.write_bytes(bytes(data))
    return db


# -- files given to serve ---------------------------------------------------------


@pytest.mark.parametrize("flag", ["--prices", "--routing", "--budgets", "--attribution"])
def test_serve_names_a_missing_file(tmp_path: Path, flag: str) -> None:
    missing = tmp_path / "nope.toml"
    line = one_line(serve(tmp_path, flag, str(missing)), flag, str(missing))
    assert "No such file" in line or "cannot read" in line


@pytest.mark.parametrize(
    ("flag", "text", "problem"),
    [
        ("--prices", '[models."m"]\ninput = "cheap"\noutput = 1\n', "input"),
        ("--routing", "[[rule]]\nname = 'x'\n", "action"),
        ("--budgets", '[[budget]]\nname = "x"\nwindow = "fortnight"\nusd = 5\n', "fortnight"),
        ("--attribution", "[[match]]\nteam = 'a'\n", "key_fingerprint or cwd"),
        ("--prices", "this is = = not toml", "price file"),
    ],
)
def test_serve_names_a_bad_file(tmp_path: Path, flag: str, text: str, problem: str) -> None:
    path = tmp_path / "file.toml"
    path.write_text(text)
    one_line(serve(tmp_path, flag, str(path)), flag, str(path), problem)


def test_serve_routing_default_starts(tmp_path: Path) -> None:
    """The shipped rules are package data, read through importlib.resources: the proxy
    listens (a rules file it could not read would have stopped it)."""
    port, stats_port = free_port(), free_port()
    env = dict(os.environ, TRIMLINE_HOME=str(tmp_path / "home"))
    args = ["serve", "--routing", "default", "--port", str(port), "--stats-port", str(stats_port)]
    args += ["--db", str(tmp_path / "t.db"), "--confdir", str(tmp_path / "c")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "trimline.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        _wait_port(stats_port, proc)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "Traceback" not in out


# -- the database -----------------------------------------------------------------


def test_serve_db_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker / "sub" / "t.db"
    one_line(serve(tmp_path, "--db", str(target)), str(target))


@pytest.mark.parametrize("make", [not_sqlite, corrupt])
def test_serve_stops_on_an_unusable_database(tmp_path: Path, make) -> None:
    bad = make(tmp_path)
    line = one_line(serve(tmp_path, "--db", str(bad)), str(bad))
    assert "not a SQLite database, or corrupt" in line and "--db" in line


@pytest.mark.parametrize("command", ["stats", "report", "alerts", "backup"])
@pytest.mark.parametrize("make", [not_sqlite, corrupt])
def test_read_commands_on_an_unusable_database(tmp_path: Path, command: str, make) -> None:
    bad = make(tmp_path)
    args = [command, "--db", str(bad)]
    if command == "backup":
        args.insert(1, str(tmp_path / "copy.db"))
    line = one_line(trimline(*args, tmp=tmp_path), str(bad))
    assert "corrupt" in line


def test_unknown_db_scheme_is_refused_and_the_password_masked(tmp_path: Path) -> None:
    for args in (["serve"], ["stats"], ["report"]):
        done = (
            serve(tmp_path, "--db", "mysql://u:hunter2@h/db")
            if args == ["serve"]
            else trimline(*args, "--db", "mysql://u:hunter2@h/db", tmp=tmp_path)
        )
        one_line(done, "mysql://u:***@h/db", "postgresql://")
        assert "hunter2" not in done.stderr + done.stdout
    assert not list(tmp_path.glob("mysql*"))


@pytest.mark.parametrize("command", ["stats", "report", "budgets", "alerts"])
def test_unreachable_postgresql(tmp_path: Path, command: str) -> None:
    url = f"postgresql://trimline:hunter2@127.0.0.1:{free_port()}/trimline"
    args = [command, "--db", url]
    if command == "budgets":
        budgets = tmp_path / "b.toml"
        budgets.write_text('[[budget]]\nname = "x"\nteam = "t"\nwindow = "day"\nusd = 5\n')
        args += ["--budgets", str(budgets)]
    done = trimline(*args, tmp=tmp_path)
    line = one_line(done, "PostgreSQL", "127.0.0.1")
    assert "hunter2" not in done.stderr and "trimline:***@" in line


def test_serve_never_prints_the_password_of_its_database(tmp_path: Path) -> None:
    """A server that is down at start is waited for; the start-up line masks the URL."""
    url = f"postgresql://trimline:hunter2@127.0.0.1:{free_port()}/trimline"
    env = dict(os.environ, TRIMLINE_HOME=str(tmp_path / "home"))
    args = ["serve", "--db", url, "--port", str(free_port()), "--stats-port", str(free_port())]
    proc = subprocess.Popen(
        [sys.executable, "-m", "trimline.cli", *args, "--confdir", str(tmp_path / "c")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
    assert "trimline:***@127.0.0.1" in first, first
    assert "hunter2" not in first + out


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="mounts a tmpfs")
def test_serve_on_a_full_disk(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(disk)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (disk / "filler").write_bytes(b"\0" * 12_000)
        target = disk / "t.db"
        line = one_line(serve(tmp_path, "--db", str(target)), str(target))
        assert "full" in line
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# -- ports and URLs -----------------------------------------------------------------


@contextmanager
def held_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.mark.parametrize("flag", ["--port", "--stats-port"])
def test_port_in_use(tmp_path: Path, flag: str) -> None:
    with held_port() as port:
        done = serve(tmp_path, flag, str(port))
    line = one_line(done, str(port), flag)
    assert "in use" in line and "--mode" not in line and "reverse:" not in line


def test_upstream_without_a_scheme(tmp_path: Path) -> None:
    done = serve(tmp_path, "--mode", "reverse", "--upstream", "127.0.0.1:9999")
    one_line(done, "--upstream", "127.0.0.1:9999", "http://", "https://")


def test_upstream_with_credentials_is_refused_without_printing_them(tmp_path: Path) -> None:
    done = serve(tmp_path, "--mode", "reverse", "--upstream", "http://bob:s3cretpw@127.0.0.1:9")
    line = one_line(done, "--upstream", "credentials")
    assert "s3cretpw" not in done.stdout + done.stderr and "bob:***@" in line


# -- compress and show --------------------------------------------------------------


def test_compress_failures(tmp_path: Path) -> None:
    one_line(trimline("compress", str(tmp_path / "missing.log")), "missing.log", "No such file")
    one_line(trimline("compress", str(tmp_path)), str(tmp_path), "directory")
    binary = tmp_path / "a.bin"
    binary.write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    one_line(trimline("compress", str(binary)), "a.bin", "binary")
    empty = tmp_path / "empty.log"
    empty.write_text("")
    one_line(trimline("compress", str(empty)), "empty.log", "empty")
    one_line(trimline("compress", "-", stdin=b""), "standard input", "empty")
    one_line(trimline("compress", str(empty), "--bogus"), "--bogus", "--help")
    one_line(trimline("compress", str(empty), "--threshold", "many"), "--threshold", "many")


def test_show_with_a_bad_regular_expression(tmp_path: Path) -> None:
    one_line(trimline("show", "abc", "--grep", "(", tmp=tmp_path), "--grep", "'('")


def test_unknown_command() -> None:
    one_line(trimline("stast"), "stast")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = not_sqlite(tmp_path)
    done = trimline("stats", "--db", str(bad), "--debug")
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "DatabaseError" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("trimline stats: database")


def test_the_corrupt_database_is_one_sqlite_refuses(tmp_path: Path) -> None:
    conn = sqlite3.connect(corrupt(tmp_path))
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError:
        verdict = [("refused",)]
    finally:
        conn.close()
    assert verdict != [("ok",)]


def test_error_lines_for_what_a_test_cannot_cause_as_root() -> None:
    """Unreadable files and a full disk, as the messages name them (root reads anything, and
    a full disk needs a mount: the tmpfs test above does it for real where it can)."""
    import errno

    from trimline.cli.errors import db_failure, os_failure

    full = str(os_failure(OSError(errno.ENOSPC, "No space left on device", "/data/t.db")))
    assert full.startswith("/data/t.db: No space left on device") and "disk is full" in full
    denied = str(os_failure(PermissionError(errno.EACCES, "Permission denied", "log.txt")))
    assert denied == "log.txt: Permission denied; check its permissions"
    line = str(db_failure("/data/t.db", sqlite3.OperationalError("database or disk is full")))
    assert "/data/t.db" in line and "full" in line and "--db" in line
    line = str(db_failure("postgresql://u:pw@h/db", sqlite3.DatabaseError("x")))
    assert "pw" not in line and "u:***@h" in line
