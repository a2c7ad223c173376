"""Tags from a config file, for calls whose agent sends no ``x-trimline-*`` headers.

A call's tags come, tag by tag, from the first source that has one: request
headers, the proxy's credentials, then this file — an API key's fingerprint
(never the key), then the agent's working directory (Claude Code states it in
its system prompt, Codex in ``<cwd>``) — then the file's defaults::

    [defaults]
    environment = "dev"

    [[match]]
    key_fingerprint = "sha256:4c1f0a9e2b7d3e55"   # `trimline fingerprint` prints it
    team = "payments"

    [[match]]
    cwd = "/home/ada/src/checkout"                # this directory and everything under it
    team = "payments"
    project = "checkout"

The first ``[[match]]`` that fits gives its tags; a rule names a fingerprint or
a directory (or both, and then both must fit).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

TAGS = ("team", "project", "user", "environment", "feature")
# The working directory is stated near the start of a request: no need to scan megabytes.
CWD_SCAN_BYTES = 256 << 10
_CWD = re.compile(
    rb"(?:Primary working directory|Working directory|working directory is): ?"
    rb"([^\s\"\\]+)|<cwd>([^<\"\\]+)</cwd>"
)


class Tags(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: str | None = None
    project: str | None = None
    user: str | None = None
    environment: str | None = None
    feature: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k in TAGS if (v := getattr(self, k))}


class Match(Tags):
    key_fingerprint: str | None = None
    cwd: str | None = None

    @model_validator(mode="after")
    def _names_something(self) -> Match:
        if not self.key_fingerprint and not self.cwd:
            raise ValueError("a [[match]] needs key_fingerprint or cwd")
        if self.key_fingerprint and not re.fullmatch(r"sha256:[0-9a-f]{16}", self.key_fingerprint):
            raise ValueError(
                f"key_fingerprint {self.key_fingerprint!r} is not 'sha256:' and 16 hex digits"
                " (`trimline fingerprint` prints it)"
            )
        if not self.given():
            raise ValueError("a [[match]] gives no tag (team, project, user, environment, feature)")
        return self

    def fits(self, fingerprint: str | None, cwd: str | None) -> bool:
        if self.key_fingerprint and self.key_fingerprint != fingerprint:
            return False
        if self.cwd:
            root = self.cwd.rstrip("/")
            if cwd is None or not (cwd == root or cwd.startswith(root + "/")):
                return False
        return True


class AttributionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: Tags = Tags()
    match: list[Match] = []


class AttributionError(ValueError):
    pass


def load(path: str | Path) -> AttributionFile:
    try:
        return AttributionFile.model_validate(tomllib.loads(Path(path).read_text()))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as e:
        raise AttributionError(f"attribution file {path}: {e}") from None


def fingerprint(key: str) -> str:
    """A short, one-way name for an API key, safe to write in a config file."""
    return "sha256:" + hashlib.sha256(key.strip().encode()).hexdigest()[:16]


def api_key(headers: dict[str, str]) -> str | None:
    """The key a request carries (lower-cased header names)."""
    if key := headers.get("x-api-key"):
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def working_directory(raw: bytes) -> str | None:
    m = _CWD.search(raw, 0, CWD_SCAN_BYTES)
    if m is None:
        return None
    return (m.group(1) or m.group(2)).decode("utf-8", "replace").rstrip("/.") or "/"


def tags(config: AttributionFile, headers: dict[str, str], raw: bytes) -> dict[str, str]:
    """The file's tags for one request: the first fitting match, over the defaults."""
    out = config.defaults.given()
    if config.match:
        key = api_key(headers)
        fp = fingerprint(key) if key else None
        cwd = working_directory(raw)
        for rule in config.match:
            if rule.fits(fp, cwd):
                out.update(rule.given())
                break
    return out
