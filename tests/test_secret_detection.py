"""core.secrets: what is masked in recorded bodies and stored texts, and what is left alone."""

from __future__ import annotations

import logging

import pytest
from trimline.core.secrets import MASK, MaskSecrets, contains_secret, mask, redact_url

MASKED = [
    ("AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH", "AKIAQWERTYUIOPASDFGH"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETKEY", "wJalrXUtnFEMI"),
    ("token: ghp_R4nd0mT0k3nV4lu3F0rT3st1ngAbCdEf0123", "ghp_R4nd0m"),
    ("password=Tr0ub4dor-and-3", "Tr0ub4dor"),
    ('"password": "correct-horse-battery"', "correct-horse"),
    ("x = 'sk-ant-api03-abcdefghijklmnopqrstu'", "sk-ant-api03"),
    ("Authorization: Bearer abc.def-123456789", "abc.def-123456789"),
    ("git clone https://bob:hunter2pass@git.example.com/r.git", "hunter2pass"),
    ("xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx", "abcdefghijklmnop"),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3",
    ),
    (
        '"key": "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAA\\n'
        '-----END OPENSSH PRIVATE KEY-----"',
        "b3BlbnNzaC1rZXktdjEAAAA",
    ),
]
LEFT_ALONE = [
    "commit 3f2a9c0e1b7d4a6f8e9c0d1b2a3f4e5d6c7b8a9f",
    "def get_token(self) -> str:",
    "Basic functionality of bearer authentication is described below.",
    "tests/test_auth.py::test_token_refresh PASSED",
    "sha256:4c1f0a9e2b7d3e55c0ffee00112233445566778899aabbccddeeff0011223344",
    "",
]


@pytest.mark.parametrize(("text", "secret"), MASKED)
def test_a_secret_is_masked(text: str, secret: str) -> None:
    assert contains_secret(text)
    out = mask(text)
    assert secret not in out and MASK in out


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert not contains_secret(text)
    assert mask(text) == text


def test_masking_keeps_the_name_and_the_other_lines() -> None:
    text = "cd app\nexport DB_PASSWORD=s3cr3t-value\nmake test"
    assert mask(text) == f"cd app\nexport DB_PASSWORD={MASK}\nmake test"


def test_a_url_prints_without_its_password() -> None:
    assert redact_url("https://u:pw@h:1/x") == "https://u:***@h:1/x"
    assert redact_url("https://h/x?y=1") == "https://h/x?y=1"


def test_a_log_line_shows_a_credential_masked() -> None:
    record = logging.LogRecord(
        "trimline", logging.WARNING, __file__, 1, "request: %s", ("token=ghp_" + "a1" * 18,), None
    )
    assert MaskSecrets().filter(record)
    assert record.getMessage() == f"request: token={MASK}"
