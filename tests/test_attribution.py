"""Tags from an attribution file: key fingerprints, working directories, defaults."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import anthropic
import pytest
from trimline.addons import attribution

from tests.fake_anthropic import FakeAnthropic
from tests.proxy import free_port, trimline_serve

SESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "sessions"
KEY = "sk-ant-api03-payments-team-key"


def first_request(name: str) -> tuple[dict[str, str], bytes]:
    entry = json.loads((SESSIONS / name).read_text().split("\n", 1)[0])
    headers = {k.lower(): v for k, v in entry["headers"].items()}
    return headers, json.dumps(entry["body"]).encode()


@pytest.mark.parametrize("name", ["claude_code_e2e.jsonl", "codex_e2e.jsonl"])
def test_working_directory_of_real_agent_requests(name: str) -> None:
    _, raw = first_request(name)
    assert attribution.working_directory(raw) == "/tmp/trimline-e2e/project"


def test_working_directory_absent() -> None:
    assert (
        attribution.working_directory(b'{"messages": [{"role": "user", "content": "hi"}]}') is None
    )


def test_fingerprint_is_short_stable_and_not_the_key() -> None:
    fp = attribution.fingerprint(KEY)
    assert fp == attribution.fingerprint(KEY + "\n")
    assert fp.startswith("sha256:") and len(fp) == 23
    assert KEY not in fp and fp != attribution.fingerprint(KEY + "x")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[match]]\nteam = "a"\n', "needs key_fingerprint or cwd"),
        ('[[match]]\nkey_fingerprint = "sk-ant-xyz"\nteam = "a"\n', "16 hex digits"),
        ('[[match]]\ncwd = "/src"\n', "gives no tag"),
        ('[defaults]\ncolour = "red"\n', "colour"),
        ("[defaults\n", "attribution file"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "tags.toml"
    path.write_text(text)
    with pytest.raises(attribution.AttributionError, match=problem):
        attribution.load(path)


def test_first_fitting_match_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "tags.toml"
    path.write_text(
        '[defaults]\nteam = "unassigned"\nenvironment = "dev"\n'
        f'[[match]]\nkey_fingerprint = "{attribution.fingerprint(KEY)}"\ncwd = "/src/a"\n'
        'project = "both"\n'
        '[[match]]\ncwd = "/src/a"\nteam = "alpha"\n'
    )
    config = attribution.load(path)
    raw = b'{"system": "Primary working directory: /src/a/lib\\n"}'
    assert attribution.tags(config, {"x-api-key": KEY}, raw) == {
        "team": "unassigned",
        "environment": "dev",
        "project": "both",
    }
    assert attribution.tags(config, {"authorization": "Bearer other"}, raw) == {
        "team": "alpha",
        "environment": "dev",
    }
    # /src/ab is not under /src/a.
    other = b'{"system": "Primary working directory: /src/ab\\n"}'
    assert attribution.tags(config, {}, other) == {"team": "unassigned", "environment": "dev"}


@pytest.mark.integration
def test_serve_tags_calls_from_the_file(tmp_path: Path) -> None:
    config = tmp_path / "tags.toml"
    config.write_text(
        '[defaults]\nenvironment = "ci"\n'
        f'[[match]]\nkey_fingerprint = "{attribution.fingerprint(KEY)}"\nteam = "payments"\n'
        '[[match]]\ncwd = "/home/ada/src/checkout"\nteam = "web"\nproject = "checkout"\n'
    )
    sessions = [f"s-{uuid.uuid4()}" for _ in range(3)]
    with (
        FakeAnthropic() as fake,
        trimline_serve(tmp_path, "--attribution", str(config), upstream=fake.url) as proxy,
    ):

        def call(key: str, session: str, system: str, headers: dict[str, str]) -> None:
            anthropic.Anthropic(
                base_url=proxy.url,
                api_key=key,
                default_headers={"x-trimline-session": session, **headers},
            ).messages.create(
                model="claude-sonnet-4-5",
                max_tokens=10,
                system=system,
                messages=[{"role": "user", "content": "hi"}],
            )

        call(KEY, sessions[0], "You are Claude Code.", {})
        call("sk-other", sessions[1], "Primary working directory: /home/ada/src/checkout/api", {})
        call(KEY, sessions[2], "x", {"x-trimline-team": "override"})
        for s in sessions:
            proxy.wait_for_session(s)
    conn = sqlite3.connect(proxy.db)
    rows = [
        conn.execute(
            "SELECT team, project, environment FROM calls WHERE session = ?", (s,)
        ).fetchone()
        for s in sessions
    ]
    assert rows == [
        ("payments", None, "ci"),
        ("web", "checkout", "ci"),
        ("override", None, "ci"),  # a header wins over the file
    ]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_serve_refuses_a_bad_attribution_file(tmp_path: Path) -> None:
    config = tmp_path / "tags.toml"
    config.write_text('[[match]]\nteam = "a"\n')
    done = subprocess.run(
        [
            *(sys.executable, "-m", "trimline.cli", "serve", "--attribution", str(config)),
            *("--port", str(free_port()), "--stats-port", str(free_port())),
            *("--db", str(tmp_path / "t.db"), "--confdir", str(tmp_path / "c")),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert b"needs key_fingerprint or cwd" in done.stdout + done.stderr


def test_fingerprint_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trimline.cli", "fingerprint"],
        input=(KEY + "\n").encode(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.decode().strip() == attribution.fingerprint(KEY)
