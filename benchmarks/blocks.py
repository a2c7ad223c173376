"""Section 1: block-level savings and fact retention per kind, Trimline beside its peers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from trimline.compressors import compress
from trimline.compressors.tokens import count_tokens

from benchmarks.common import facts_kept, saved_pct, unfold_paths
from benchmarks.peers import PeerResult, run_peers
from benchmarks.savings import measure
from fixtures.load import Fixture


def run(
    fixtures: list[Fixture],
    *,
    peer_dir: Path,
    skip_peers: bool,
    install_peers: bool,
    repeat: int,
    log: Callable[[str], None],
) -> dict:
    rows, per_case = measure(fixtures, repeat=repeat)
    by_id = {f.id: f for f in fixtures}
    cases = []
    for c in per_case:
        f = by_id[c["case"]]
        kept = int(str(c["facts_kept"]).split("/")[0])
        text = compress(f.text, f.context).text
        cases.append(
            {
                "case": f.id,
                "kind": f.kind,
                "tool": f.tool,
                "compressor": c["compressor"],
                "tokens_before": c["tokens_before"],
                "bytes": c["bytes"],
                "facts": len(f.facts),
                "facts_in_original": facts_kept(f.text, f.facts),
                "trimline": {
                    "tokens_after": c["tokens_after"],
                    "facts_kept": kept,
                    "facts_recoverable": facts_kept(unfold_paths(text), f.facts),
                    "ms": c["ms"],
                },
                "peers": {},
            }
        )

    peers = run_peers(fixtures, peer_dir, skip=skip_peers, install=install_peers, log=log)
    for peer in peers:
        if not peer.available:
            continue
        for case in cases:
            out = peer.outputs.get(case["case"])
            if out is None:
                continue
            f = by_id[case["case"]]
            case["peers"][peer.name] = {
                "tokens_after": count_tokens(out.text),
                "facts_kept": facts_kept(out.text, f.facts),
                "facts_recoverable": facts_kept(unfold_paths(out.text), f.facts),
                "ms": round(out.seconds * 1000, 3),
                "method": out.method,
                "error": out.error,
            }

    return {
        "kinds": _aggregate(cases, peers),
        "cases": cases,
        "peers": [_peer_info(p) for p in peers],
        "trimline_rows": [r.as_dict() for r in rows],
    }


def _peer_info(p: PeerResult) -> dict:
    return {
        "name": p.name,
        "package": p.package,
        "available": p.available,
        "reason": p.reason,
        "version": p.version,
        "config": p.config,
        "notes": p.notes,
        "errors": sorted({o.error for o in p.outputs.values() if o.error}),
    }


def _aggregate(cases: list[dict], peers: list[PeerResult]) -> list[dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for c in cases:
        groups[c["kind"]].append(c)
        groups["all"].append(c)
    out = []
    for kind in [*sorted(k for k in groups if k != "all"), "all"]:
        group = groups[kind]
        before = sum(c["tokens_before"] for c in group)
        nbytes = sum(c["bytes"] for c in group)
        facts = sum(c["facts"] for c in group)
        row = {
            "kind": kind,
            "cases": len(group),
            "tokens_before": before,
            "facts": facts,
            "facts_in_original": sum(c["facts_in_original"] for c in group),
            "trimline": _side(group, "trimline", before, facts, nbytes),
            "peers": {},
        }
        for p in peers:
            if p.available and all(p.name in c["peers"] for c in group):
                side = _side(group, p.name, before, facts, nbytes)
                trim_after = row["trimline"]["tokens_after"]
                side["after_ratio"] = (
                    round(side["tokens_after"] / trim_after, 2) if trim_after else None
                )
                row["peers"][p.name] = side
        out.append(row)
    return out


def _side(group: list[dict], name: str, before: int, facts: int, nbytes: int) -> dict:
    entries = [c["trimline"] if name == "trimline" else c["peers"][name] for c in group]
    after = sum(e["tokens_after"] for e in entries)
    seconds = sum(e["ms"] for e in entries) / 1000
    return {
        "tokens_after": after,
        "saved_pct": saved_pct(before, after),
        "facts_kept": sum(e["facts_kept"] for e in entries),
        "facts_recoverable": sum(e["facts_recoverable"] for e in entries),
        "facts_kept_pct": round(100 * sum(e["facts_kept"] for e in entries) / facts, 1)
        if facts
        else 100.0,
        "ms_per_mb": round(seconds * 1000 / (nbytes / 1e6), 1) if nbytes else 0.0,
    }
