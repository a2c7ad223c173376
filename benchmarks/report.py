"""Writes ``report.md`` and the PNG charts from the benchmark's results (``report.json``)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import passthrough
from benchmarks.common import PRICE_MODELS, money, table

HEADINGS = (
    "## 1. Block-level savings and fact retention",
    "## 2. Session replay: compounding and prompt-cache cost",
    "## 3. Quality with a real model",
    "## 4. Speed",
    "## 5. Generalisation: the held-out corpus, and next-action support",
)


def markdown(data: dict, charts: dict[str, str]) -> str:
    meta = data["meta"]
    out = [
        "# Trimline benchmark report",
        "",
        f"Command: `{meta['command']}`  ",
        f"HEAD {meta['commit']} (plus any uncommitted changes), {meta['date']}, {meta['machine']}; "
        f"{'quick run (small counts)' if meta['quick'] else 'full run'}, "
        f"{meta['seconds']:.0f} s.",
        "",
    ]
    out += _headline(data)
    out += _blocks(data.get("blocks"), charts)
    out += _sessions(data.get("sessions"), charts)
    out += _live(data.get("live"))
    out += _speed(data.get("speed"), charts)
    out += _generalise(data.get("generalise"))
    if "passthrough" in data:
        out += passthrough.markdown(data["passthrough"])
    return "\n".join(out) + "\n"


def _skipped(section: dict | None) -> str | None:
    if section is None:
        return "not run"
    if "error" in section:
        return f"failed: {section['error']}"
    return None


def _headline(data: dict) -> list[str]:
    rows = []
    b = data.get("blocks")
    if b and "kinds" in b:
        for k in b["kinds"]:
            t = k["trimline"]
            peers = "; ".join(
                f"{name} {p['saved_pct']}% ({p['facts_kept']}/{k['facts']})"
                for name, p in k["peers"].items()
            )
            rows.append(
                [
                    f"block savings, {k['kind']}",
                    f"{t['saved_pct']}% of {k['tokens_before']:,} tokens, facts {t['facts_kept']}/{k['facts']}",
                    peers or "—",
                ]
            )
    s = data.get("sessions")
    if s and "totals" in s:
        t = s["totals"]
        for _, model in PRICE_MODELS:
            rows.append(
                [
                    f"session cost, {model}",
                    f"{money(t['without']['cost'][model])} → {money(t['with']['cost'][model])} "
                    f"(−{t['cost_saved_pct'][model]}%) over {t['turns']} turns",
                    "",
                ]
            )
        rows.append(["cache stability", f"{s['stability']['rate_pct']}%", ""])
    sp = data.get("speed")
    if sp and "latency" in sp and sp["latency"].get("routes"):
        by = {r["route"]: r for r in sp["latency"]["routes"]}
        for key in ("trimline_cold", "trimline_warm"):
            if key in by:
                a = by[key]["added"]
                peer = []
                if "mitmdump" in by:
                    peer.append(
                        f"mitmdump {by['mitmdump']['added']['p50']}/{by['mitmdump']['added']['p95']}"
                    )
                if "litellm" in by:
                    peer.append(
                        f"LiteLLM {by['litellm']['added']['p50']}/{by['litellm']['added']['p95']}"
                    )
                rows.append(
                    [
                        f"added latency p50/p95 ms, {key.replace('_', ' ')}",
                        f"{a['p50']}/{a['p95']}",
                        ", ".join(peer),
                    ]
                )
    if not rows:
        return []
    return ["## Headline", "", table(["measure", "Trimline", "peers"], rows, "lll"), ""]


def _blocks(b: dict | None, charts: dict[str, str]) -> list[str]:
    out = [HEADINGS[0], ""]
    why = _skipped(b)
    if why:
        return [*out, f"Section {why}.", ""]
    out.append(
        "Every fixture in `fixtures/` (real outputs of real tools), compressed on its own. "
        "Tokens are cl100k_base; a fact is a must-keep string derived mechanically from the "
        "original, counted as kept when it appears literally in the output. Peers get the same "
        "blocks; their outputs are counted the same way."
    )
    out.append("")
    peers = [p for p in b["peers"] if p["available"]]
    header = ["kind", "cases", "tokens before", "Trimline after", "saved", "facts kept", "ms/MB"]
    for p in peers:
        header += [f"{p['name']} after", "saved", "facts kept", "after ×"]
    rows = []
    for k in b["kinds"]:
        t = k["trimline"]
        trim_facts = f"{t['facts_kept']}/{k['facts']}"
        if t["facts_recoverable"] != t["facts_kept"]:
            trim_facts += f" ({t['facts_recoverable']} recoverable)"
        row = [
            k["kind"],
            k["cases"],
            k["tokens_before"],
            t["tokens_after"],
            f"{t['saved_pct']}%",
            trim_facts,
            f"{t['ms_per_mb']:,.0f}",
        ]
        for p in peers:
            side = k["peers"].get(p["name"])
            if side is None:
                row += ["—"] * 4
            else:
                facts = f"{side['facts_kept']}/{k['facts']}"
                if side["facts_recoverable"] != side["facts_kept"]:
                    facts += f" ({side['facts_recoverable']} recoverable)"
                row += [
                    side["tokens_after"],
                    f"{side['saved_pct']}%",
                    facts,
                    f"{side['after_ratio']}×",
                ]
        rows.append(row)
    out += [table(header, rows), ""]
    if peers:
        out.append(
            "`after ×`: the peer's tokens after divided by Trimline's (above 1: the peer sends "
            "more). `recoverable`: facts a reader can rebuild from folded `dir/` + name listings."
        )
    missing = [c for c in b["cases"] if c.get("facts_in_original", c["facts"]) < c["facts"]]
    if missing:
        out.append(
            f"{sum(c['facts'] - c['facts_in_original'] for c in missing)} facts of "
            f"{', '.join('`' + c['case'] + '`' for c in missing)} are not in the original output "
            "(the file path, which Trimline's marker names for a re-read): an output left "
            "unchanged cannot keep them."
        )
    out.append("")
    out.append("Peers:")
    out.append("")
    for p in b["peers"]:
        if p["available"]:
            out.append(
                f"- **{p['name']}** (`{p['package']}`, version {p['version']}): {p['config']}."
            )
            for note in p["notes"]:
                out.append(f"  {note}")
            if p["errors"]:
                out.append(f"  Errors on some blocks: {'; '.join(p['errors'])}")
        else:
            out.append(f"- **{p['name']}** (`{p['package']}`): not in the table — {p['reason']}")
    out.append("")
    if "savings" in charts:
        out += [f"![savings per kind]({charts['savings']})", ""]
    out.append("<details><summary>Per case</summary>")
    out.append("")
    header = ["case", "compressor", "before", "Trimline after", "facts"]
    for p in peers:
        header += [f"{p['name']} after", "facts", "how"]
    rows = []
    for c in b["cases"]:
        row = [
            c["case"],
            c["compressor"],
            c["tokens_before"],
            c["trimline"]["tokens_after"],
            f"{c['trimline']['facts_kept']}/{c['facts']}",
        ]
        for p in peers:
            side = c["peers"].get(p["name"])
            row += (
                [side["tokens_after"], f"{side['facts_kept']}/{c['facts']}", side["method"] or ""]
                if side
                else ["—", "—", ""]
            )
        rows.append(row)
    out += [table(header, rows, "ll" + "r" * (len(header) - 2)), "", "</details>", ""]
    return out


def _sessions(s: dict | None, charts: dict[str, str]) -> list[str]:
    out = [HEADINGS[1], ""]
    why = _skipped(s)
    if why:
        return [*out, f"Section {why}.", ""]
    m1, m2 = (m for _, m in PRICE_MODELS)
    out.append(
        "Each session is replayed turn by turn through a real `trimline serve` (reverse mode) "
        "to a fake upstream, and directly to it. Measured on the bodies the fake received: "
        "input tokens per turn (cl100k_base on the JSON of each message and of the rest of the "
        "request), summed over the turns (the compounding total). Cost model: the longest run "
        "of leading messages equal to an earlier request of the session (for a linear session, "
        "the previous turn) is billed at the cache-read price, the rest at the cache-write "
        f"price (a prefix that changes pays the write again), plus {s['output_tokens_per_turn']} "
        f"output tokens per turn. Prices from genai-prices: {m1} (Anthropic: read 0.1×, write "
        f"1.25× input) and {m2} (OpenAI: cached input at the cached rate, the rest at the input "
        "rate, no write premium). Sources: `captured` = recorded from a real agent CLI "
        "(`fixtures/sessions/`); `constructed` = real tool outputs from `fixtures/` in a "
        f"realistic turn order, with a stand-in system prompt and tools of "
        f"{s['prefix_tokens']['constructed']:,} tokens; `SWE-agent` = a real SWE-agent run's "
        "observations in order (`fixtures/corpora/`), converted to Claude Code's wire format."
    )
    out.append("")
    rows = []
    for r in s["sessions"]:
        w, t = r["without"], r["with"]
        rows.append(
            [
                r["session"],
                r["source"],
                r["turns"],
                w["tokens"],
                t["tokens"],
                f"{r['saved_pct']}%",
                f"{money(w['cost'][m1])} → {money(t['cost'][m1])}",
                f"{money(w['cost'][m2])} → {money(t['cost'][m2])}",
                w["cache_write"],
                t["cache_write"],
            ]
        )
    totals = [(f"**all {src}**", t) for src, t in s.get("totals_by_source", {}).items()]
    for label, tot in [*totals, ("**all**", s["totals"])]:
        rows.append(_total_row(label, tot, m1, m2))
    header = [
        "session",
        "source",
        "turns",
        "input tokens without",
        "with Trimline",
        "saved",
        f"cost {m1} without → with",
        f"cost {m2} without → with",
        "cache writes without",
        "with",
    ]
    out += [table(header, rows, "llrrrrrrrr"), ""]
    return _sessions_tail(s, charts, out)


def _total_row(label: str, tot: dict, m1: str, m2: str) -> list:
    return [
        label,
        "",
        tot["turns"],
        tot["without"]["tokens"],
        tot["with"]["tokens"],
        f"{tot['saved_pct']}%",
        f"{money(tot['without']['cost'][m1])} → {money(tot['with']['cost'][m1])} (−{tot['cost_saved_pct'][m1]}%)",
        f"{money(tot['without']['cost'][m2])} → {money(tot['with']['cost'][m2])} (−{tot['cost_saved_pct'][m2]}%)",
        tot["without"]["cache_write"],
        tot["with"]["cache_write"],
    ]


def _sessions_tail(s: dict, charts: dict[str, str], out: list[str]) -> list[str]:
    st = s["stability"]
    out.append(
        f"**Cache stability: {st['rate_pct']}%** ({st['identical']:,} of {st['checks']:,} checks "
        "byte-identical): each turn's compressed request starts with the previous turn's "
        "compressed bytes (where the client re-sent that history unchanged); every request "
        "re-sent through the same proxy reaches the upstream byte-identical; each session's last "
        "request re-sent through a restarted proxy (same database) too."
    )
    if st["failures"]:
        out.append("")
        out.append("Failures: " + "; ".join(st["failures"][:20]))
    out.append("")
    if s.get("problems"):
        out.append("Captured files with unreadable lines: " + "; ".join(s["problems"][:10]))
        out.append("")
    if "sessions" in charts:
        out += [
            "Chart: cumulative input tokens per turn for the captured and constructed sessions "
            "and the four largest SWE-agent runs; then the cost over all sessions.",
            "",
        ]
    for key, alt in (("sessions", "compounding input tokens"), ("cost", "session cost")):
        if key in charts:
            out += [f"![{alt}]({charts[key]})", ""]
    return out


def _live(live: dict | None) -> list[str]:
    out = [HEADINGS[2], ""]
    if live is None or "kinds" not in live:
        status = (live or {}).get("status", "skipped: not requested (run with --live)")
        return [*out, f"Status: **{status}**.", ""]
    out.append(
        f"Provider `{live['provider']}`, model `{live['model']}`, {live['base_url']}. "
        f"Status: {live['status']}. Each question's answer is derived mechanically from the "
        "original block; the model is asked with the original and with Trimline's compressed "
        "block; answers graded after normalisation (every list item present; the name or "
        "number exact)."
    )
    out.append("")
    rows = [
        [
            k["kind"],
            k["questions"],
            f"{k['original_pct']}%",
            f"{k['compressed_pct']}%",
            k["retention"] if k["retention"] is not None else "—",
        ]
        for k in live["kinds"]
    ]
    out += [table(["kind", "questions", "original", "compressed", "retention"], rows), ""]
    return out


def _speed(sp: dict | None, charts: dict[str, str]) -> list[str]:
    out = [HEADINGS[3], ""]
    why = _skipped(sp)
    if why:
        return [*out, f"Section {why}.", ""]
    lat = sp.get("latency")
    if lat and "error" not in lat:
        lo, hi = lat["token_range"] or [0, 0]
        out.append(
            f"{lat['requests']} agent-like requests ({lo:,} to {hi:,} tokens; sizes "
            f"{', '.join(f'{s // 1000}k' for s in lat['sizes'])}), each sent (a) directly to a "
            "fake Messages API, (b) through plain mitmdump, (c) through trimline serve — cold "
            "(first sight, the newest block is compressed) then warm (same body again, content-"
            "hash cache) — and (d) through the LiteLLM proxy, interleaved request by request. "
            "Added = route minus direct for the same body, in ms."
        )
        out.append("")
        d = lat["direct"]
        rows = [["(a) direct", d["p50"], d["p95"], d["p99"], "", "", ""]]
        for r in lat["routes"]:
            rows.append(
                [
                    r["label"],
                    r["latency"]["p50"],
                    r["latency"]["p95"],
                    r["latency"]["p99"],
                    r["added"]["p50"],
                    r["added"]["p95"],
                    r["added"]["p99"],
                ]
            )
        out += [
            table(
                ["route", "p50 ms", "p95 ms", "p99 ms", "added p50", "added p95", "added p99"], rows
            ),
            "",
        ]
        ratios = [
            f"{k.replace('_', ' ')}: p50 {v['p50']}×, p95 {v['p95']}×, p99 {v['p99']}×"
            for k, v in lat["ratios"].items()
            if v["p50"] is not None
        ]
        if ratios:
            out.append("Ratios of added latency: " + "; ".join(ratios) + ".")
            out.append("")
        ll = lat["litellm"]
        if ll["available"]:
            out.append(
                f"LiteLLM proxy {ll['version']} (`litellm[proxy]`, own venv, `LITELLM_LOCAL_MODEL_COST_MAP=True`, pointed at the same fake)."
            )
        else:
            out.append(f"LiteLLM proxy: not measured — {ll['reason']}")
        out.append("")
        out.append(
            f"Trimline's own `x-trimline-overhead-ms`: cold p50 {lat['self_reported_cold']['p50']} ms, "
            f"p95 {lat['self_reported_cold']['p95']} ms; warm p50 {lat['self_reported_warm']['p50']} ms, "
            f"p95 {lat['self_reported_warm']['p95']} ms."
        )
        out.append("")
        header = ["size (tokens)"] + [r["label"] for r in lat["routes"]]
        rows = (
            [
                [f"{int(size):,}"] + [r["added_by_size"][size] for r in lat["routes"]]
                for size in lat["routes"][0]["added_by_size"]
            ]
            if lat["routes"]
            else []
        )
        out += ["Added p50 ms by request size:", "", table(header, rows), ""]
        if "latency" in charts:
            out += [f"![added latency]({charts['latency']})", ""]
    elif lat:
        out += [f"Latency measurement failed: {lat['error']}", ""]
    tp = sp.get("throughput")
    if tp:
        rows = [[k["kind"], k["cases"], k["mb"], k["mb_per_s"], k["max_ms"]] for k in tp["kinds"]]
        out += [
            "Compressor throughput (best of the section 1 repeats, in process):",
            "",
            table(["kind", "cases", "MB", "MB/s", "slowest block ms"], rows),
            "",
        ]
        if tp["slowest"]:
            sl = tp["slowest"]
            out.append(
                f"Slowest single block: `{sl['case']}`, {sl['ms']:.1f} ms for {sl['bytes']:,} bytes "
                f"({sl['tokens']:,} tokens)."
            )
            out.append("")
    return out


# -- charts -----------------------------------------------------------------


def charts(data: dict, out: Path) -> tuple[dict[str, str], str | None]:
    """PNG charts next to the report; ({name: file}, None) or ({}, why not)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return {}, "matplotlib is not installed"
    made: dict[str, str] = {}
    b = data.get("blocks")
    if b and "kinds" in b:
        kinds = [k for k in b["kinds"]]
        names = ["Trimline"] + [p["name"] for p in b["peers"] if p["available"]]
        fig, ax = plt.subplots(figsize=(9, 4.5))
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            values = [
                k["trimline"]["saved_pct"]
                if name == "Trimline"
                else k["peers"].get(name, {}).get("saved_pct", 0)
                for k in kinds
            ]
            xs = [j + i * width for j in range(len(kinds))]
            ax.bar(xs, values, width, label=name)
        ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(kinds))])
        ax.set_xticklabels([k["kind"] for k in kinds])
        ax.set_ylabel("% of tokens saved")
        ax.set_title("Block-level savings per kind")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "savings.png", dpi=110)
        plt.close(fig)
        made["savings"] = "savings.png"
    s = data.get("sessions")
    if s and "sessions" in s and s["sessions"]:
        # Every captured and constructed session, and the four largest SWE-agent runs.
        swe = sorted(
            (r for r in s["sessions"] if r["source"] == "SWE-agent"),
            key=lambda r: -r["without"]["tokens"],
        )[:4]
        rows = [r for r in s["sessions"] if r["source"] != "SWE-agent"] + swe
        cols = min(4, len(rows))
        nrows = -(-len(rows) // cols)
        fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3 * nrows), squeeze=False)
        for ax, r in zip([a for row in axes for a in row], rows, strict=False):
            for side, label in (("without", "without"), ("with", "with Trimline")):
                per_turn = r[side]["per_turn_tokens"]
                cumulative = [sum(per_turn[: i + 1]) for i in range(len(per_turn))]
                ax.plot(range(1, len(per_turn) + 1), cumulative, marker="o", ms=3, label=label)
            ax.set_title(f"{r['session'][:34]} ({r['source']})", fontsize=8)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("turn", fontsize=8)
            ax.tick_params(labelsize=7)
        for ax in [a for row in axes for a in row][len(rows) :]:
            ax.axis("off")
        axes[0][0].set_ylabel("cumulative input tokens", fontsize=8)
        axes[0][0].legend(fontsize=7)
        fig.suptitle("Compounding input tokens per session (cumulative over the turns)")
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        fig.savefig(out / "sessions.png", dpi=100)
        plt.close(fig)
        made["sessions"] = "sessions.png"
        models = [m for _, m in PRICE_MODELS]
        fig, ax = plt.subplots(figsize=(7, 4))
        without = [s["totals"]["without"]["cost"][m] for m in models]
        with_ = [s["totals"]["with"]["cost"][m] for m in models]
        xs = range(len(models))
        ax.bar([x - 0.2 for x in xs], without, 0.4, label="without")
        ax.bar([x + 0.2 for x in xs], with_, 0.4, label="with Trimline")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(models)
        ax.set_ylabel("US$ over all sessions (prompt-cache model)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "cost.png", dpi=110)
        plt.close(fig)
        made["cost"] = "cost.png"
    sp = data.get("speed")
    lat = sp.get("latency") if sp else None
    if lat and lat.get("routes"):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for r in lat["routes"]:
            sizes = [int(x) for x in r["added_by_size"]]
            ax.plot(sizes, list(r["added_by_size"].values()), marker="o", label=r["label"])
        ax.set_xscale("log")
        ax.set_xlabel("request size (tokens)")
        ax.set_ylabel("added latency p50 (ms)")
        ax.set_title("Added latency over a direct call")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=110)
        plt.close(fig)
        made["latency"] = "latency.png"
    return made, None


def _generalise(g: dict | None) -> list[str]:
    from benchmarks import generalise, next_action

    out = [HEADINGS[4], ""]
    why = _skipped(g)
    if why or g is None:
        return [*out, f"Section {why}.", ""]
    out += [
        "Real tools over 40 PyPI and npm packages that nobody tuned for "
        "(`fixtures/corpus`, `python -m benchmarks.generalise`): facts kept over every case, "
        "tokens saved over outputs of 500 tokens or more.",
        "",
        generalise.markdown(g),
        "",
    ]
    if "next_action" in g:
        out += [next_action.markdown(g["next_action"]), ""]
    return out
