"""Reads the generalisation corpus: ``fixtures/corpus/index.json`` and its gzipped outputs.

Each case is one tool output as an agent saw it, with the call that made it (tool name and
input, as the agent sent them), the package it came from, its half of the split and the
facts an independent oracle found in it. ``half_of`` is the split: a hash of the package.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from trimline.compressors import Context

ROOT = Path(__file__).resolve().parent.parent.parent
CORPUS = ROOT / "fixtures" / "corpus"
SALT = "corpus-v1"  # fixed once; changing it reshuffles the halves
HALVES = ("tune", "heldout")

# Families that issue 17 reports on their own, by the case's ``family``.
ISSUE17_GROUPS = {
    "failing test runs": ("test_run", "test_run_js"),
    "git show (typical commit)": ("git_show",),
    "large multi-file diff": ("git_diff_large",),
    "git log forms": ("git_log",),
    "big search results": ("search_big",),
}


def half_of(package: str) -> str:
    """The half a source package belongs to: deterministic, and blind to its contents."""
    digest = hashlib.sha256(f"{SALT}:{package}".encode()).digest()
    return HALVES[digest[0] % 2]


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    package: str
    half: str
    tool: str
    tool_input: dict = field(hash=False)
    is_error: bool
    facts: tuple[str, ...]
    source: str
    path: Path

    @property
    def text(self) -> str:
        # Bytes, not text mode: CRLF and lone CRs stay as the tool printed them.
        return gzip.decompress(self.path.read_bytes()).decode("utf-8", "replace")

    def context(self, keeps_original: bool = False) -> Context:
        # The default for ``trimline compress`` and the proxy is not to keep originals.
        return Context(self.tool, self.tool_input, self.is_error, keeps_original=keeps_original)


def load(half: str | None = None, root: Path = CORPUS) -> Iterator[Case]:
    """Every case of the corpus, or those of one half, in index order."""
    index = root / "index.json"
    if not index.exists():
        raise SystemExit(f"no corpus index at {index}: run python -m benchmarks.corpus.build")
    for entry in json.loads(index.read_text())["cases"]:
        if half and entry["half"] != half:
            continue
        yield Case(
            id=entry["id"],
            family=entry["family"],
            package=entry["package"],
            half=entry["half"],
            tool=entry["tool"],
            tool_input=entry["input"],
            is_error=entry.get("is_error", False),
            facts=tuple(entry["facts"]),
            source=entry.get("source", ""),
            path=root / entry["file"],
        )
