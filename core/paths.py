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
