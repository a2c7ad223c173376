"""The ``trimline`` command: serve, compress, show, purge, mcp, stats, report, budgets, alerts."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version
from pathlib import Path

import orjson
from trimline.cli import report
from trimline.cli.budgets import add_budget_commands, budget_file
from trimline.compressors import DEFAULT_THRESHOLD, Context, compress
from trimline.compressors.tokens import count_tokens
from trimline.core.paths import DEFAULT_HOSTS, default_db_path
from trimline.core.secrets import redact_url


def cmd_serve(args: argparse.Namespace) -> int:
    from trimline.metering.access import AccessError, require_safe_binding, resolve_token

    try:
        require_safe_binding(args.stats_host, resolve_token(args.stats_token))
    except AccessError as e:
        print(f"trimline serve: {e}", file=sys.stderr)
        return 2
    from trimline.cli.serve import build_options, serve
    from trimline.metering.db import redact

    opts = build_options(
        mode=args.mode,
        upstream=args.upstream,
        host=args.host,
        port=args.port,
        stats_port=args.stats_port,
        db=args.db or default_db_path(),
        threshold=args.threshold,
        hosts=args.hosts,
        confdir=args.confdir,
        redirect=args.redirect,
        record=args.record or "",
        prices=args.prices or "",
        store_originals=args.store_originals,
        attribution=args.attribution or "",
        budgets=budget_file(args.budgets),
        retention_days=args.retention_days,
        routing=args.routing or "",
    )
    opts["trimline_stats_host"] = args.stats_host
    if args.stats_token:
        opts["trimline_stats_token"] = args.stats_token
    where = (
        f"reverse proxy for {redact_url(args.upstream or '')}"
        if args.mode == "reverse"
        else "forward proxy"
    )
    print(
        f"trimline: {where} on http://{args.host}:{args.port}, "
        f"stats on http://{args.stats_host}:{args.stats_port}/, database {redact(opts['trimline_db'])}",
        file=sys.stderr,
        flush=True,
    )
    serve(opts, args.grace)
    return 0


def cmd_compress(args: argparse.Namespace) -> int:
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    text = data.decode("utf-8", "replace")
    tool_input: dict[str, object] = {}
    if args.command:
        tool_input["command"] = args.command
    if args.file_path:
        tool_input["file_path"] = args.file_path
    ctx = Context(args.tool, tool_input, args.is_error, task=args.task)
    result = compress(text, ctx, args.threshold)
    if args.json:
        # Exact counts: the compressor decided on estimates for large blocks.
        before = count_tokens(text)
        after = count_tokens(result.text) if result.changed else before
        payload = {
            "kind": result.kind,
            "tokens_before": before,
            "tokens_after": after,
            "tokens_saved": before - after,
            "elided": [{"start": e.start, "end": e.end, "what": e.what} for e in result.elided],
            "text": result.text,
        }
        sys.stdout.buffer.write(orjson.dumps(payload) + b"\n")
    else:
        sys.stdout.write(result.text)
        if not result.text.endswith("\n"):
            sys.stdout.write("\n")
    return 0


def _table(rows: list[dict[str, object]], columns: list[str]) -> str:
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append(
            "  ".join(
                v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths, strict=True)
            )
        )
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}" if value < 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(value: str) -> bool:
    return value.replace(",", "").replace(".", "").replace("-", "").isdigit()


def cmd_route(args: argparse.Namespace) -> int:
    from trimline.addons.routing.explain import main

    return main(args)


def cmd_stats(args: argparse.Namespace) -> int:
    from trimline.metering import stats, store
    from trimline.metering.db import target

    db = target(args.db) if args.db else default_db_path()
    if isinstance(db, Path) and not db.exists():
        print(
            f"trimline stats: no database at {db} yet (run `trimline serve` first)", file=sys.stderr
        )
        return 1
    conn = store.connect(db, readonly=True)
    try:
        data = stats.stats(conn)
    finally:
        conn.close()
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    usage = [
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cost_usd",
        "saved_usd",
    ]
    totals = data["totals"]
    print("Totals")
    print(_table([totals], ["requests", "tokens_before", "tokens_after", "tokens_saved", *usage]))
    print(
        f"\ncount_tokens calls: {totals['count_tokens_calls']:,}   "
        f"Trimline overhead: mean {totals['overhead_ms_mean']} ms, max {totals['overhead_ms_max']} ms"
    )
    print(
        f"routing: {totals['routed_calls']:,} call(s) to a smaller model, "
        f"saved ${totals['routing_saved_usd']:.4f}, {totals['fallbacks']:,} fallback(s)"
    )
    print("\nBy compressor kind")
    print(
        _table(
            data["by_kind"],
            ["kind", "blocks", "tokens_before", "tokens_after", "tokens_saved", "ms", "cache_hits"],
        )
    )
    print("\nBy model")
    print(
        _table(
            data["by_model"],
            [
                "provider",
                "model",
                "requests",
                "tokens_before",
                "tokens_after",
                "tokens_saved",
                *usage,
            ],
        )
    )
    print("\nBy team and project")
    print(
        _table(
            data["by_team"],
            ["team", "project", "requests", "tokens_saved", "cost_usd", "saved_usd"],
        )
    )
    print("\nBy session (most recent first)")
    print(
        _table(
            data["by_session"],
            ["session", "requests", "tokens_before", "tokens_after", "tokens_saved", *usage],
        )
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from trimline.metering.db import target

    db = target(args.db) if args.db else default_db_path()
    if isinstance(db, Path) and not db.exists():
        print(f"trimline report: no database at {db} yet", file=sys.stderr)
        return 1
    return report.run(args, db)


def _lines(value: str) -> tuple[int, int]:
    first, _, last = value.partition("-")
    try:
        return int(first), int(last or first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"want A-B, got {value!r}") from None


def cmd_show(args: argparse.Namespace) -> int:
    from trimline.metering.originals import Originals, path_for, select

    path = path_for(args.db or default_db_path())
    text = Originals(path, readonly=True).get(args.id) if path.exists() else None
    if text is None:
        print(f"trimline show: no original {args.id!r} in {path}", file=sys.stderr)
        return 1
    out = select(text, args.lines, args.grep)
    sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    from trimline.addons.attribution import fingerprint

    key = sys.stdin.readline().strip()
    if not key:
        print("trimline fingerprint: give the API key on standard input", file=sys.stderr)
        return 1
    print(fingerprint(key))
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from trimline.metering.originals import Originals, path_for

    path = path_for(args.db or default_db_path())
    if not path.exists():
        print(f"trimline purge: nothing stored ({path} does not exist)")
        return 0
    originals = Originals(path)
    try:
        removed = originals.purge(older_than_days=args.older_than)
    finally:
        originals.close()
    print(f"trimline purge: removed {removed} original(s) from {path}")
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from trimline.cli.mcp import serve_stdio

    return serve_stdio(args.db or default_db_path())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="trimline", description=__doc__)
    p.add_argument("--version", action="version", version=f"trimline {version('trimline')}")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", help="run the proxy with the Trimline addon")
    s.add_argument("--mode", choices=["forward", "reverse"], default="forward")
    s.add_argument(
        "--upstream", help="reverse mode: the API to forward to, e.g. https://api.anthropic.com"
    )
    s.add_argument("--host", default="127.0.0.1", help="address the proxy listens on")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--stats-port", type=int, default=8081)
    s.add_argument(
        "--stats-host",
        default="127.0.0.1",
        help="address of the stats API, /metrics and dashboard (beyond loopback: needs a token)",
    )
    s.add_argument(
        "--stats-token",
        help="bearer token the stats port requires (default $TRIMLINE_STATS_TOKEN)",
    )
    s.add_argument(
        "--db",
        help="SQLite database (default ~/.trimline/trimline.db, or $TRIMLINE_HOME)"
        " or a postgresql://user:password@host/database URL",
    )
    s.add_argument(
        "--threshold",
        type=int,
        default=DEFAULT_THRESHOLD,
        help="tokens under which a block is left alone",
    )
    s.add_argument(
        "--hosts", default=DEFAULT_HOSTS, help="forward mode: comma-separated API hosts to work on"
    )
    s.add_argument("--confdir", help="mitmproxy's directory (CA certificate), default ~/.mitmproxy")
    s.add_argument(
        "--record",
        metavar="DIR",
        help="save each API call, sanitised (allowed headers only, secrets masked), "
        "to DIR/<session>.jsonl for replay",
    )
    s.add_argument(
        "--prices",
        metavar="FILE",
        help="TOML of your own prices per model, for models genai-prices does not know",
    )
    s.add_argument(
        "--attribution",
        metavar="FILE",
        help="TOML mapping API-key fingerprints or working directories to team/project/... tags",
    )
    s.add_argument(
        "--store-originals",
        action="store_true",
        help="keep compressed tool outputs' originals (local, 30 days) for `trimline show`",
    )
    s.add_argument(
        "--grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="on SIGTERM/Ctrl-C, how long calls in flight may take to finish (default 30)",
    )
    s.add_argument(
        "--budgets",
        metavar="FILE",
        help="TOML of budgets and alert rules (default ~/.trimline/budgets.toml if present)",
    )
    s.add_argument(
        "--retention-days",
        type=int,
        help="days raw per-call rows are kept before they are rolled up by day"
        " (default 90; 0: forever)",
    )
    s.add_argument(
        "--routing",
        metavar="FILE",
        help="route mechanical turns to a smaller model by these rules ('default': shipped rules)",
    )
    s.add_argument("--redirect", default="", help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_serve)

    c = sub.add_parser("compress", help="compress one tool output the way the proxy would")
    c.add_argument("file", help="a file with the tool output, or - for standard input")
    c.add_argument("--tool", default="", help="the tool that produced it: Bash, Read, Grep, ...")
    c.add_argument("--command", help="the shell command (for Bash-like tools)")
    c.add_argument("--file-path", help="the file read (for Read)")
    c.add_argument("--is-error", action="store_true", help="the tool reported an error")
    c.add_argument(
        "--task",
        default="",
        help="what the session is about (the user's request, the agent's last words): a large "
        "read keeps whole the definitions it names, as the proxy does with the request's text",
    )
    c.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD)
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=cmd_compress)

    sh = sub.add_parser("show", help="print the original of a compressed tool output")
    sh.add_argument("id", help="the id in a [trimline] marker")
    sh.add_argument(
        "--lines", type=_lines, help="only lines A-B (positions in the original output)"
    )
    sh.add_argument(
        "--grep", help="only lines matching this regular expression, with their positions"
    )
    sh.add_argument("--db", help="the proxy's database (default ~/.trimline/trimline.db)")
    sh.set_defaults(func=cmd_show)

    fp = sub.add_parser(
        "fingerprint",
        help="print an API key's fingerprint (key on stdin) for an --attribution file",
    )
    fp.set_defaults(func=cmd_fingerprint)

    pu = sub.add_parser("purge", help="delete stored originals (all, or older than N days)")
    pu.add_argument(
        "--older-than", type=float, metavar="DAYS", help="only originals older than this"
    )
    pu.add_argument("--db", help="the proxy's database (default ~/.trimline/trimline.db)")
    pu.set_defaults(func=cmd_purge)

    m = sub.add_parser("mcp", help="an MCP server (stdio) with an expand tool for elided output")
    m.add_argument("--db", help="the proxy's database (default ~/.trimline/trimline.db)")
    m.set_defaults(func=cmd_mcp)

    r = sub.add_parser("route", help="explain the routing decision for a captured request")
    r.add_argument(
        "--explain",
        metavar="REQUEST.json",
        required=True,
        help="a request body, or a recorded call (JSON or JSONL)",
    )
    r.add_argument("--rules", default="default", help="rules file (default: the shipped rules)")
    r.add_argument("--line", type=int, help="JSONL: explain this line (1-based; default the last)")
    r.add_argument("--cold", action="store_true", help="assume nothing is in the prompt cache")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=cmd_route)

    st = sub.add_parser("stats", help="what was sent, billed and saved")
    st.add_argument(
        "--db", help="SQLite database (default ~/.trimline/trimline.db) or postgresql:// URL"
    )
    st.add_argument("--json", action="store_true", help="print the /stats JSON")
    st.set_defaults(func=cmd_stats)

    report.add_parser(
        sub, "SQLite database (default ~/.trimline/trimline.db) or postgresql:// URL"
    ).set_defaults(func=cmd_report)
    add_budget_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
