"""Defaults shared by the addon and the CLI (kept free of mitmproxy so the CLI starts fast)."""

from __future__ import annotations

import os
from pathlib import Path

# Hosts whose API calls Trimline works on in forward mode; everything else passes through.
DEFAULT_HOSTS = "api.anthropic.com,api.openai.com,chatgpt.com"


def data_dir() -> Path:
    home = os.environ.get("TRIMLINE_HOME")
    return Path(home) if home else Path.home() / ".trimline"


def default_db_path() -> Path:
    return data_dir() / "trimline.db"


def private_file(path: Path) -> None:
    """Creates a database file (and its folders) readable by its owner only, before SQLite
    opens it: it holds prompts' sizes, commands and, with --store-originals, tool outputs.
    SQLite gives its -wal and -shm files the same mode. An existing file is left as it is."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
