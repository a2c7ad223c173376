"""contains_credential: commands that carry a secret are never copied into a marker."""

from __future__ import annotations

import pytest
from trimline.compressors import Context, compress
from trimline.compressors.shellcmd import contains_credential

from tests.samples import pytest_log

WITH_CREDENTIALS = [
    "curl -H 'Authorization: Bearer abc123def456ghi789' https://api.example.com/v1/x",
    "curl -s -H 'x-api-key: sk-ant-api03-abcdefghijklmnop' https://api.anthropic.com/v1/models",
    'curl -H "X-Auth-Token: 5f1e2d3c4b5a69788796" https://internal/x',
    "mysql -u root --password=hunter2hunter2 app",
    "psql --password s3cr3tpass -h db",
    "GITHUB_TOKEN=gh0stT0kenValue123 gh pr list",
    "export OPENAI_API_KEY=abcd1234efgh5678",
    "git clone https://deploy:Pa55w0rdXyz@git.example.com/repo.git",
    "python run.py --key sk-proj-abcdefghijklmnopqrstuvwx",
    "echo ghp_R4nd0mT0k3nV4lu3F0rT3st1ngAbCdEf0123 | gh auth login --with-token",
    "aws s3 ls AKIAQWERTYUIOPASDFGH",
    "DB_PASSWORD='correct horse' ./migrate",
    "curl -u admin:letmein99 https://x/ -H 'Cookie: session=abcdef123456'",
]
WITHOUT = [
    "pytest -v",
    "pytest -x tests/test_auth.py -k token_refresh",
    "git log --oneline -20",
    "grep -rn 'api_key' src/",
    "ls -la ~/.ssh",
    "cat README.md | head -50",
    "npm test -- --coverage",
    "git show 3f2a9c0e1b7d4a6f8e9c0d1b2a3f4e5d6c7b8a9f",
    "",
]


@pytest.mark.parametrize("command", WITH_CREDENTIALS)
def test_a_command_with_a_credential_is_recognised(command: str) -> None:
    assert contains_credential(command)


@pytest.mark.parametrize("command", WITHOUT)
def test_an_ordinary_command_is_not(command: str) -> None:
    assert not contains_credential(command)


def _markers(command: str) -> list[str]:
    ctx = Context("Bash", {"command": command}, True, keeps_original=False)
    result = compress(pytest_log(), ctx, 300)
    assert result.changed
    return [line for line in result.text.split("\n") if line.startswith("[trimline]")]


def test_markers_quote_an_ordinary_command_for_re_running() -> None:
    # A command that only reads is re-run narrowed to the lines; the first marker says so.
    markers = _markers("cat pytest.log")
    assert markers[0].endswith("— re-run: cat pytest.log 2>&1 | sed -n '2,601p'"), markers[0]


def test_markers_never_copy_a_command_with_a_credential() -> None:
    for command, hint in [
        (
            "API_TOKEN=tok-9f8e7d6c5b4a pytest -v",
            "not kept: re-running pytest is not cheap or safe",
        ),
        ("cat pytest.log --token=tok-9f8e7d6c5b4a", "re-run your command to see them"),
    ]:
        markers = _markers(command)
        assert markers and all("tok-9f8e7d6c5b4a" not in line for line in markers)
        assert markers[0].endswith(hint), markers[0]


def test_a_search_tools_hint_never_copies_a_credential_it_searched_for() -> None:
    from trimline.compressors import search
    from trimline.compressors.base import render

    key = "sk-ant-api03-leakedleakedleakedleaked"
    text = "\n".join(
        f"src/a.py:{k}:    KEYS[{k}] = load_key({k}, other_argument)" for k in range(200)
    )
    for pattern, leaks in (("load_key", False), (key, True)):
        ctx = Context("Grep", {"pattern": pattern, "output_mode": "content"}, keeps_original=False)
        plan = search.compress(text, ctx)
        assert plan is not None
        out, _ = render(text, plan, ctx)
        markers = [line for line in out.split("\n") if line.startswith("[trimline]")]
        assert markers
        if leaks:
            assert all(
                key not in m and m.endswith("re-run the tool call to see them") for m in markers
            )
        else:
            assert "Grep pattern=load_key" in markers[0]
