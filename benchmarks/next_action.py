"""Next-action support on real agent runs: ``python -m benchmarks.next_action [--json]``.

For each tool output of a real run, the distinctive strings that the agent used in its
next turns (its thoughts and actions over the next ``HORIZON`` steps) and that appear in
the output must survive compression. Distinctive: a path (``a/b.py``, ``name.ext``), an
identifier of 4 characters or more, or a number of 4 digits or more; identifiers that are
the agent's own vocabulary (any word of its system prompt) or common English are left out.

Runs: the SWE-agent trajectories in ``fixtures/corpora/swe-agent-trajectories`` (MIT,
copied with their licence). No other public trajectories ship in a PyPI or npm package
that we found (mini-swe-agent's sdist has none), so these are all.

Baseline: head+tail truncation of the same output to the same token count as Trimline's
result (whole lines, as many from the head as from the tail). Reported over all outputs
and over the outputs Trimline compressed (elsewhere the two are the same text).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import re
import sys
from pathlib import Path

from trimline.compressors import Context, compress
from trimline.compressors.tokens import count_tokens

from benchmarks.common import CORPORA

TRAJECTORIES = CORPORA / "swe-agent-trajectories"
HORIZON = 3  # steps after the output whose words count as "used next"
PATH = re.compile(
    r"(?:[\w.-]+/)+[\w.-]+|\b[\w-]+\.(?:py|js|ts|java|c|h|go|rs|rb|txt|md|json|ya?ml|toml|cfg|ini|sh|csv)\b"
)
IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{3,}\b")
NUMBER = re.compile(r"\b\d{4,}\b")
# Common English words of 4+ letters that agents write in their thoughts; with the system
# prompt's own words, they are not evidence that an output was used.
ENGLISH = set(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "another",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "call",
        "called",
        "calls",
        "change",
        "changes",
        "check",
        "code",
        "could",
        "does",
        "doing",
        "done",
        "down",
        "each",
        "edit",
        "error",
        "even",
        "every",
        "file",
        "first",
        "found",
        "from",
        "function",
        "have",
        "here",
        "into",
        "issue",
        "just",
        "last",
        "like",
        "line",
        "lines",
        "look",
        "looks",
        "make",
        "more",
        "most",
        "much",
        "need",
        "next",
        "only",
        "open",
        "other",
        "output",
        "over",
        "problem",
        "reproduce",
        "right",
        "same",
        "script",
        "seems",
        "should",
        "show",
        "since",
        "some",
        "still",
        "such",
        "sure",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "true",
        "false",
        "none",
        "null",
        "under",
        "until",
        "very",
        "want",
        "well",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
        "test",
        "tests",
        "correct",
        "correctly",
        "expected",
        "value",
        "values",
        "instead",
        "method",
        "class",
        "let's",
        "looking",
        "see",
        "now",
        "it's",
        "we'll",
        "i'll",
        "next",
        "step",
        "run",
    ]
)


def distinctive(text: str, stop: set[str]) -> set[str]:
    found = set(PATH.findall(text)) | set(NUMBER.findall(text))
    found |= {w for w in IDENT.findall(text) if w.lower() not in stop}
    return {s for s in found if len(s) >= 4}


def head_tail(text: str, budget: int) -> str:
    """The longest head+tail cut of whole lines within ``budget`` tokens."""
    lines = text.split("\n")
    lo, hi = 0, (len(lines) + 1) // 2
    best = ""
    while lo <= hi:
        k = (lo + hi) // 2
        cut = "\n".join([*lines[:k], "…", *lines[len(lines) - k :]]) if 2 * k < len(lines) else text
        if count_tokens(cut) <= budget:
            best, lo = cut, k + 1
        else:
            hi = k - 1
    return best


def outputs(root: Path = TRAJECTORIES) -> list[dict]:
    """Each distinct (output, next turns) of every run, with the strings the agent used."""
    paths = sorted(glob.glob(str(root / "*.traj")))
    if not paths:
        raise SystemExit(f"no SWE-agent runs under {root}: is this a full clone?")
    seen: set[str] = set()
    found = []
    for path in paths:
        data = json.loads(Path(path).read_text())
        steps = [s for s in data.get("trajectory", []) if s.get("action") is not None]
        system = next(
            (m.get("content") for m in data.get("history", []) if m.get("role") == "system"), ""
        )
        stop = ENGLISH | {w.lower() for w in IDENT.findall(str(system))}
        for i, step in enumerate(steps[:-1]):
            observation = str(step.get("observation") or "")
            later = " ".join(
                str(s.get("thought") or "") + "\n" + str(s.get("action") or "")
                for s in steps[i + 1 : i + 1 + HORIZON]
            )
            used = {s for s in distinctive(later, stop) if s in observation}
            key = hashlib.sha1(
                f"{observation}\0{sorted(used)}".encode(), usedforsecurity=False
            ).hexdigest()
            if not observation.strip() or key in seen:
                continue
            seen.add(key)
            found.append(
                {
                    "run": Path(path).name,
                    "step": i,
                    "action": str(step["action"]).strip(),
                    "text": observation,
                    "used": sorted(used),
                }
            )
    return found


def measure() -> dict:
    rows = []
    for o in outputs():
        result = compress(
            o["text"], Context("bash", {"command": o["action"]}, keeps_original=False)
        )
        out = result.text if result.changed else o["text"]
        after = count_tokens(out)
        cut = head_tail(o["text"], after) if result.changed else o["text"]
        rows.append(
            {
                "compressed": result.changed,
                "kind": result.kind,
                "tokens_before": count_tokens(o["text"]),
                "tokens_after": after,
                "used": len(o["used"]),
                "trimline": sum(1 for s in o["used"] if s in out),
                "head_tail": sum(1 for s in o["used"] if s in cut),
            }
        )

    def agg(group: list[dict]) -> dict:
        used = sum(r["used"] for r in group)
        before = sum(r["tokens_before"] for r in group)
        after = sum(r["tokens_after"] for r in group)
        return {
            "outputs": len(group),
            "with_used_strings": sum(1 for r in group if r["used"]),
            "used_strings": used,
            "trimline_pct": round(100 * sum(r["trimline"] for r in group) / used, 2)
            if used
            else 100.0,
            "head_tail_pct": round(100 * sum(r["head_tail"] for r in group) / used, 2)
            if used
            else 100.0,
            "tokens_saved_pct": round(100 * (1 - after / before), 1) if before else 0.0,
        }

    return {
        "runs": "SWE-agent trajectories (fixtures/corpora/swe-agent-trajectories)",
        "horizon": HORIZON,
        "all": agg(rows),
        "compressed": agg([r for r in rows if r["compressed"]]),
    }


def markdown(data: dict) -> str:
    head = [
        "outputs",
        "n",
        "with used strings",
        "used strings",
        "kept: Trimline",
        "kept: head+tail, same size",
        "tokens saved",
    ]
    rows = []
    for name in ("all", "compressed"):
        d = data[name]
        rows.append(
            [
                name,
                d["outputs"],
                d["with_used_strings"],
                d["used_strings"],
                f"{d['trimline_pct']}%",
                f"{d['head_tail_pct']}%",
                f"{d['tokens_saved_pct']}%",
            ]
        )
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return f"Next-action support on {data['runs']}, next {data['horizon']} steps:\n\n" + "\n".join(
        lines
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.next_action", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    data = measure()
    print(json.dumps(data, indent=2) if args.json else markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
