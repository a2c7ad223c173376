"""Writes corpus cases: each output gzipped under ``outputs/<family>/``, one index entry each.

Facts are checked against the output before they are stored: a fact an oracle reports
but the tool did not print literally (a formatting difference between the oracle and
the tool) is dropped and counted, never kept as an impossible fact.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.corpus.load import CORPUS, half_of

MAX_BYTES = 500_000  # the largest output the corpus keeps, as the issue asks


@dataclass
class Writer:
    root: Path = CORPUS
    cases: dict[str, dict] = field(default_factory=dict)
    dropped_facts: int = 0
    skipped: list[str] = field(default_factory=list)
    owned: set[str] = field(default_factory=set)  # families this build rewrites

    def __post_init__(self) -> None:
        index = self.root / "index.json"
        if index.exists():  # a partial rebuild (--only) keeps the other families' cases
            for entry in json.loads(index.read_text())["cases"]:
                self.cases[entry["id"]] = entry

    def forget(self, families: set[str]) -> None:
        self.owned |= families
        for ident in [i for i, e in self.cases.items() if e["family"] in families]:
            (self.root / self.cases.pop(ident)["file"]).unlink(missing_ok=True)

    def add(
        self,
        family: str,
        package: str,
        name: str,
        tool: str,
        tool_input: dict,
        text: str,
        facts: list[str],
        source: str,
        is_error: bool = False,
        min_facts: int = 1,
    ) -> bool:
        """Stores one case; False (and a note in ``skipped``) when it is not worth keeping."""
        ident = f"{family}/{_slug(package)}--{_slug(name)}"
        data = text.encode("utf-8", "surrogateescape")
        if not text.strip() or len(data) > MAX_BYTES:
            self.skipped.append(f"{ident}: {len(data)} bytes")
            return False
        kept = list(dict.fromkeys(f for f in facts if f and f in text))
        self.dropped_facts += len(set(facts)) - len(kept)
        if len(kept) < min_facts:
            self.skipped.append(f"{ident}: {len(kept)} facts")
            return False
        rel = f"outputs/{family}/{_slug(package)}--{_slug(name)}.txt.gz"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        # mtime=0: the same output gzips to the same bytes on every build.
        path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        self.cases[ident] = {
            "id": ident,
            "family": family,
            "package": package,
            "half": half_of(package),
            "tool": tool,
            "input": tool_input,
            "is_error": is_error,
            "bytes": len(data),
            "lines": text.count("\n") + 1,
            "facts": kept,
            "source": source,
            "file": rel,
        }
        return True

    def save(self) -> Path:
        index = self.root / "index.json"
        # Another build may have rewritten other families meanwhile: keep its entries.
        merged = (
            {e["id"]: e for e in json.loads(index.read_text())["cases"]} if index.exists() else {}
        )
        merged = {k: e for k, e in merged.items() if e["family"] not in self.owned}
        merged.update({k: e for k, e in self.cases.items() if e["family"] in self.owned})
        cases = [merged[k] for k in sorted(merged)]
        index.write_text(
            json.dumps({"version": 1, "cases": cases}, indent=1, ensure_ascii=False) + "\n"
        )
        return index


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80]
