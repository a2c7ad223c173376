"""``trimline serve``: the proxy with the Trimline addon, after checking everything it was given.

Each file, port, URL and the database are checked before mitmproxy starts, so that a mistake
is one line naming the flag and the fix, and an unusable database stops the proxy instead of
leaving it to run unmetered.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
import sys
from pathlib import Path

import click
from trimline.cli.common import db_target
from trimline.cli.errors import UserError, db_failure, mask, one_line, os_failure
from trimline.compressors import DEFAULT_THRESHOLD
from trimline.core.paths import DEFAULT_HOSTS, data_dir

# Databases larger than this are not integrity-checked at start (it reads every page).
QUICK_CHECK_MAX_BYTES = 256 << 20


def build_options(
    *,
    mode: str,
    upstream: str | None,
    host: str,
    port: int,
    stats_port: int,
    db: str | Path,
    threshold: int,
    hosts: str,
    confdir: str | None,
    redirect: str,
    record: str = "",
    prices: str = "",
    store_originals: bool = False,
    attribution: str = "",
    budgets: str = "",
    retention_days: int | None = None,
    routing: str = "",
) -> dict[str, object]:
    """mitmproxy's and the addon's options for these flags."""
    if mode == "reverse":
        if not upstream:
            raise UserError(
                "--mode reverse needs --upstream URL, e.g. https://api.anthropic.com", 2
            )
        proxy_mode = f"reverse:{upstream}"
    elif mode == "forward":
        proxy_mode = "regular"
    else:
        raise UserError(f"--mode {mode!r}: use forward or reverse", 2)
    opts: dict[str, object] = {
        "mode": [proxy_mode],
        "listen_host": host,
        "listen_port": port,
        # Lazy: connect upstream only once the request is known (and possibly redirected).
        "connection_strategy": "lazy",
        "trimline_db": str(db),
        "trimline_stats_port": stats_port,
        "trimline_threshold": threshold,
        "trimline_hosts": hosts,
        "trimline_redirect": redirect,
        "trimline_record": record,
        "trimline_prices": prices,
        "trimline_store_originals": store_originals,
        "trimline_attribution": attribution,
        "trimline_budgets": budgets,
        "trimline_routing": routing,
    }
    if retention_days is not None:
        opts["trimline_retention_days"] = retention_days
    if confdir:
        opts["confdir"] = confdir
    return opts


def budget_file(value: str | None) -> str:
    """The budgets file to use: the one named, else ``~/.trimline/budgets.toml`` if present."""
    if value:
        return value
    default = data_dir() / "budgets.toml"
    return str(default) if default.exists() else ""


# -- checks before start ----------------------------------------------------------


def check_upstream(mode: str, upstream: str | None) -> None:
    if mode != "reverse":
        return
    if not upstream:
        raise UserError("--mode reverse needs --upstream URL, e.g. https://api.anthropic.com", 2)
    if not upstream.startswith(("http://", "https://")):
        raise UserError(
            f"--upstream {mask(upstream)}: say how to reach it, with http:// or https://"
            f" (e.g. http://{upstream.split('://')[-1]})",
            2,
        )
    if "@" in upstream.split("://", 1)[1].split("/", 1)[0]:
        # mitmproxy cannot use it, and its own error would print the password.
        raise UserError(
            f"--upstream {mask(upstream)}: leave credentials out of the URL; the agent's own "
            "API key is passed through",
            2,
        )


def check_store(target: str | Path) -> None:
    """Creates (or migrates) a SQLite store now; refuses one that is not a database."""
    if not isinstance(target, Path):
        return  # PostgreSQL: a server that is down at start is waited for, records held back
    from trimline.metering import store

    if target.is_dir():
        raise UserError(f"--db {target}: is a directory; give a file name, e.g. {target}/t.db", 2)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise os_failure(e, f"--db {target}: cannot create folder {target.parent}") from e
    try:
        conn = store.connect(target)
        try:
            if target.stat().st_size <= QUICK_CHECK_MAX_BYTES:
                (verdict,) = conn.execute("PRAGMA quick_check(1)").fetchone()
                if verdict != "ok":
                    raise sqlite3.DatabaseError(f"integrity check: {verdict}")
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as e:
        raise db_failure(target, e) from e


def _load(flag: str, path: str, loader: object) -> None:
    try:
        loader(path)  # type: ignore[operator]
    except ValueError as e:  # each loader's error names the file and the problem
        raise UserError(
            f"{flag} {path}: {one_line(str(e))}; fix the file or leave out {flag}", 2
        ) from None


def check_files(prices: str, routing: str, budgets: str, attribution: str) -> None:
    if prices:
        from trimline.metering.user_prices import load

        _load("--prices", prices, load)
    if routing:
        from trimline.addons.routing.rules import load as load_rules

        _load("--routing", routing, load_rules)
    if budgets:
        from trimline.metering.budgets import load as load_budgets

        _load("--budgets", budgets, load_budgets)
    if attribution:
        from trimline.addons.attribution import load as load_attribution

        _load("--attribution", attribution, load_attribution)


def check_dir(flag: str, path: str | None, mode: int = 0o777) -> None:
    if not path:
        return
    try:
        Path(path).mkdir(mode=mode, parents=True, exist_ok=True)
    except OSError as e:
        raise os_failure(e, f"{flag} {path}") from e


def check_port(host: str, port: int, flag: str) -> None:
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise UserError(
                    f"port {port} on {host} is in use; stop what holds it, or choose another"
                    f" with {flag} PORT",
                    2,
                ) from e
            if e.errno == errno.EACCES:
                raise UserError(
                    f"port {port} on {host}: not allowed (ports under 1024 need root);"
                    f" choose another with {flag} PORT",
                    2,
                ) from e
            raise UserError(
                f"{host}:{port}: {e.strerror or e}; check {flag} and the host", 2
            ) from e


# -- the command ---------------------------------------------------------------


@click.command(
    short_help="Run the proxy (compress and meter)",
    epilog="""\b
Examples:
  trimline serve --mode reverse --upstream https://api.anthropic.com
      then: ANTHROPIC_BASE_URL=http://127.0.0.1:8080 claude
  trimline serve
      then: HTTPS_PROXY=http://127.0.0.1:8080 (trust ~/.mitmproxy's CA)
  trimline serve --db postgresql://trimline:PASSWORD@db.internal/trimline --routing default""",
)
@click.option(
    "--mode",
    type=click.Choice(["forward", "reverse"]),
    default="forward",
    help="forward: an HTTPS proxy; reverse: a base URL in front of one API",
)
@click.option(
    "--upstream",
    metavar="URL",
    help="reverse mode: the API to forward to, e.g. https://api.anthropic.com",
)
@click.option("--host", default="127.0.0.1", metavar="ADDRESS", help="address the proxy listens on")
@click.option("--port", type=int, default=8080, metavar="PORT", help="port the proxy listens on")
@click.option(
    "--stats-port",
    type=int,
    default=8081,
    metavar="PORT",
    help="port of the stats API, /metrics and dashboard",
)
@click.option(
    "--stats-host",
    default="127.0.0.1",
    metavar="ADDRESS",
    help="address of the stats API (beyond loopback: needs a token)",
)
@click.option(
    "--stats-token",
    metavar="TOKEN",
    help="bearer token the stats port requires (default $TRIMLINE_STATS_TOKEN)",
)
@click.option(
    "--db",
    metavar="PATH|URL",
    help="SQLite database (default ~/.trimline/trimline.db, or under $TRIMLINE_HOME)"
    " or a postgresql://user:password@host/database URL",
)
@click.option(
    "--threshold",
    type=int,
    default=DEFAULT_THRESHOLD,
    metavar="TOKENS",
    help="tokens under which a block is left alone",
)
@click.option(
    "--hosts",
    default=DEFAULT_HOSTS,
    metavar="H1,H2",
    help="forward mode: comma-separated API hosts to work on",
)
@click.option(
    "--confdir",
    metavar="DIR",
    help="mitmproxy's directory (CA certificate) [default: ~/.mitmproxy]",
)
@click.option(
    "--record",
    metavar="DIR",
    help="save each API call, sanitised (no keys), to DIR/<session>.jsonl for replay",
)
@click.option(
    "--prices",
    metavar="FILE",
    help="TOML of your own prices per model, for models genai-prices does not know",
)
@click.option(
    "--attribution",
    metavar="FILE",
    help="TOML mapping API-key fingerprints or working directories to team/project/... tags",
)
@click.option(
    "--store-originals",
    is_flag=True,
    help="keep compressed tool outputs' originals (local, 30 days) for `trimline show`",
)
@click.option(
    "--grace",
    type=float,
    default=30.0,
    metavar="SECONDS",
    help="on SIGTERM/Ctrl-C, how long calls in flight may take to finish",
)
@click.option(
    "--budgets",
    metavar="FILE",
    help="TOML of budgets and alert rules [default: ~/.trimline/budgets.toml if present]",
)
@click.option(
    "--retention-days",
    type=int,
    metavar="DAYS",
    help="days raw per-call rows are kept before they are rolled up by day [default: 90; 0: forever]",
)
@click.option(
    "--routing",
    metavar="FILE",
    help="route mechanical turns to a smaller model by these rules ('default': the shipped rules)",
)
@click.option("--redirect", default="", hidden=True)
def serve(**a: object) -> int:
    """Run the proxy: compress tool outputs on their way to the model, meter every call."""
    from trimline.metering.access import AccessError, require_safe_binding, resolve_token

    mode = str(a["mode"])
    check_upstream(mode, a["upstream"])  # type: ignore[arg-type]
    target = db_target(a["db"])  # type: ignore[arg-type]
    try:
        require_safe_binding(a["stats_host"], resolve_token(a["stats_token"]))  # type: ignore[arg-type]
    except AccessError as e:
        raise UserError(str(e), 2) from None
    if a["port"] == a["stats_port"] and a["port"]:
        raise UserError(
            f"--port and --stats-port are both {a['port']}; give them different ports", 2
        )
    budgets = budget_file(a["budgets"])  # type: ignore[arg-type]
    check_files(
        str(a["prices"] or ""), str(a["routing"] or ""), budgets, str(a["attribution"] or "")
    )
    # Recorded calls hold prompts and tool outputs: readable by their owner only.
    check_dir("--record", a["record"], mode=0o700)  # type: ignore[arg-type]
    check_dir("--confdir", a["confdir"])  # type: ignore[arg-type]
    check_port(str(a["host"]), int(a["port"]), "--port")  # type: ignore[arg-type]
    check_port(str(a["stats_host"]), int(a["stats_port"]), "--stats-port")  # type: ignore[arg-type]
    check_store(target)
    opts = build_options(
        mode=mode,
        upstream=a["upstream"],  # type: ignore[arg-type]
        host=str(a["host"]),
        port=int(a["port"]),  # type: ignore[arg-type]
        stats_port=int(a["stats_port"]),  # type: ignore[arg-type]
        db=target,
        threshold=int(a["threshold"]),  # type: ignore[arg-type]
        hosts=str(a["hosts"]),
        confdir=a["confdir"],  # type: ignore[arg-type]
        redirect=str(a["redirect"]),
        record=str(a["record"] or ""),
        prices=str(a["prices"] or ""),
        store_originals=bool(a["store_originals"]),
        attribution=str(a["attribution"] or ""),
        budgets=budgets,
        retention_days=a["retention_days"],  # type: ignore[arg-type]
        routing=str(a["routing"] or ""),
    )
    opts["trimline_stats_host"] = a["stats_host"]
    if a["stats_token"]:
        opts["trimline_stats_token"] = a["stats_token"]
    upstream = mask(str(a["upstream"]))
    where = f"reverse proxy for {upstream}" if mode == "reverse" else "forward proxy"
    print(
        f"trimline: {where} on http://{a['host']}:{a['port']}, "
        f"stats on http://{a['stats_host']}:{a['stats_port']}/, database {mask(str(target))}",
        file=sys.stderr,
        flush=True,
    )
    from mitmproxy.exceptions import OptionsError
    from trimline.cli.proxy import serve as run_proxy

    try:
        run_proxy(opts, float(a["grace"]))  # type: ignore[arg-type]
    except OptionsError as e:  # what the addon refused in its configure hook
        raise UserError(one_line(str(e)), 2) from None
    return 0


COMMANDS = [serve]
