"""Which whole-file reads pay to outline: a session-cost model fed with measured figures.

    python -m benchmarks.read_policy [--p-reread 0.5] [--output-tokens 120]

An outline of a read of T tokens keeps a share r of it (measured on the real reads in
fixtures/code) and saves S = (1 - r) T. With prompt caching, a saved token is one the
session never writes to the cache (1.25x the input price) nor reads back on each of the
k later turns (0.1x each): the outline saves S (1.25 + 0.1 k). When the agent needs an
elided body it re-reads: a turn that re-sends the whole context C from the cache (0.1 C),
writes the new call and result (some 150 tokens, 1.25x) and generates the call (O output
tokens at 5x). With p the share of outlined reads whose dropped bodies the agent needs,
outlining pays when

    (1 - r) T (1.25 + 0.1 k)  >  p (0.1 C + 1.25 * 150 + 5 O)

C and k are measured at every tool output of the SWE-agent runs in
fixtures/corpora/swe-agent-trajectories (cl100k tokens of the history before it; turns
left after it); p is an assumption (issue 16 measured that outlines lost the identifiers
the next turns used in about a third of the worst reads; 0.5 is the cautious default).
Prints the break-even size T* at the quartiles of (C, k) and the size the read policy
uses (``KEEP_WHOLE_TOKENS`` in compressors/code/read.py).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

from trimline.compressors.base import Context, render
from trimline.compressors.code.read import KEEP_WHOLE_TOKENS, outline
from trimline.compressors.tokens import count_tokens

from fixtures.load import load_all

ROOT = Path(__file__).resolve().parents[1]
TRAJECTORIES = ROOT / "fixtures" / "corpora" / "swe-agent-trajectories"
CACHE_WRITE, CACHE_READ, OUTPUT = 1.25, 0.1, 5.0
REREAD_WRITE = 150  # tokens of the re-read call and its framing, written to the cache


def agent_floor() -> int:
    """Tokens of Claude Code's first recorded request: its system prompt and tool list."""
    path = ROOT / "fixtures" / "sessions" / "claude_code_recorded.jsonl"
    first = json.loads(path.read_text().split("\n", 1)[0])["body"]
    return count_tokens(json.dumps([first.get("system"), first.get("tools")]))


def contexts() -> list[tuple[int, int]]:
    """(context tokens before, turns left after) at each tool output of every run."""
    found: list[tuple[int, int]] = []
    for path in sorted(TRAJECTORIES.glob("*.traj")):
        history = json.loads(path.read_text())["history"]
        sizes = [count_tokens(str(m.get("content", ""))) for m in history]
        turns = [i for i, m in enumerate(history) if m.get("role") == "assistant"]
        for i, m in enumerate(history):
            if m.get("role") in ("tool", "user") and i > 2:
                left = sum(1 for t in turns if t > i)
                found.append((sum(sizes[:i]), left))
    return found


def kept_share() -> float:
    """Tokens kept / tokens read, over the whole-file source reads in fixtures/code, with
    the outline forced on (as if every read were past the policy's size)."""
    before = after = 0
    for f in load_all():
        if f.kind != "code" or f.tool_input.get("offset") or f.tool_input.get("limit"):
            continue
        plan = outline(f.text, f.context, whole_below=0)
        if plan is None:
            continue
        text, _ = render(f.text, plan, f.context)
        before += count_tokens(f.text)
        after += count_tokens(text)
    return after / before if before else 0.35


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{3,}")


def measured_p() -> tuple[int, int]:
    """(reads outlined, reads whose dropped lines the agent's next three turns used): every
    ``open``/``cat`` of a source file in the SWE-agent runs, outlined as if read whole."""
    outlined = used = 0
    for path in sorted(TRAJECTORIES.glob("*.traj")):
        steps = json.loads(path.read_text()).get("trajectory", [])
        for i, step in enumerate(steps):
            action = step.get("action", "").strip()
            if not action.startswith(("open ", "cat ")):
                continue
            text = step.get("observation", "")
            ctx = Context("Bash", {"command": action.split("\n")[0]})
            plan = outline(text, ctx, whole_below=0)
            if plan is None:
                continue
            lines = text.split("\n")
            dropped = [lines[k] for k in range(len(lines)) if k not in plan.keep]
            if not dropped:
                continue
            outlined += 1
            kept = "\n".join(lines[k] for k in sorted(plan.keep) if k < len(lines))
            lost = {w for line in dropped for w in _WORD.findall(line)}
            lost -= set(_WORD.findall(kept))
            after = " ".join(
                f"{s.get('thought', '')} {s.get('action', '')}" for s in steps[i + 1 : i + 4]
            )
            used += bool(lost & set(_WORD.findall(after)))
    return outlined, used


def break_even(c: float, k: float, r: float, p: float, out: int) -> float:
    cost = p * (CACHE_READ * c + CACHE_WRITE * REREAD_WRITE + OUTPUT * out)
    return cost / ((1 - r) * (CACHE_WRITE + CACHE_READ * k))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--p-reread", type=float, default=None, help="default: measured")
    ap.add_argument("--output-tokens", type=int, default=120)
    args = ap.parse_args(argv)
    points = contexts()
    r = kept_share()
    n, hit = measured_p()
    p = args.p_reread if args.p_reread is not None else (hit / n if n else 0.5)
    floor = agent_floor()
    cs = sorted(c for c, _ in points)
    ks = sorted(k for _, k in points)
    q = statistics.quantiles
    print(f"tool outputs measured: {len(points)} (SWE-agent runs in {TRAJECTORIES.name})")
    print(f"outline keeps r = {r:.2f} of a read (fixtures/code, outline forced)")
    print(f"reads outlined in the runs: {n}; the next three turns used a dropped line: {hit}")
    print(f"p (share of outlined reads re-read) = {p:.2f}, O = {args.output_tokens}")
    print(f"Claude Code's fixed prefix (system prompt and tools, recorded): {floor:,} tokens")
    print(f"{'agent':>12} {'quantile':>9} {'context C':>10} {'turns left':>11} {'T*':>7}")
    for agent, extra in (("SWE-agent", 0), ("Claude Code", floor)):
        for label, qc, qk in (
            ("25%", q(cs, n=4)[0], q(ks, n=4)[2]),
            ("median", statistics.median(cs), statistics.median(ks)),
            ("75%", q(cs, n=4)[2], q(ks, n=4)[0]),
        ):
            t = break_even(qc + extra, qk, r, p, args.output_tokens)
            print(f"{agent:>12} {label:>9} {qc + extra:>10,.0f} {qk:>11.0f} {t:>7,.0f}")
        per = sorted(break_even(c + extra, k, r, p, args.output_tokens) for c, k in points)
        print(
            f"{agent:>12} break-even over all outputs: median {statistics.median(per):,.0f}, "
            f"75th percentile {q(per, n=4)[2]:,.0f}, 90th {q(per, n=10)[8]:,.0f} tokens"
        )
    print(f"policy: reads under {KEEP_WHOLE_TOKENS:,} tokens stay whole")
    return 0


if __name__ == "__main__":
    sys.exit(main())
