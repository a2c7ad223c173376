"""The whole benchmark in one command: ``python -m benchmarks.run [--quick] [--skip-peers] [--out DIR]``.

Offline (only the on-demand installs of peers and matplotlib reach a package registry),
on loopback, and writes ``report.md``, ``report.json`` and PNG charts to ``--out``
(default ``bench-report/``):

1. block-level savings and fact retention per kind, beside peer compressors
   (headroom-ai, rtk, python-token-killer), each installed into its own venv on demand;
2. session replay through a real ``trimline serve``: compounding input tokens, cost under
   a prompt-cache model for an Anthropic and an OpenAI model, and cache stability;
3. quality with a real model (``--live``; skipped without credentials);
4. speed: added latency beside plain mitmdump and the LiteLLM proxy, and compressor
   throughput.

``--quick`` uses small counts (for CI) and installs nothing; peers already installed
still run unless ``--skip-peers``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import orjson

from benchmarks import blocks, generalise, live, next_action, passthrough, report, sessions, speed
from benchmarks.common import ROOT
from fixtures.load import load_all

SECTIONS = ("blocks", "generalise", "sessions", "live", "speed", "passthrough")
QUICK_SESSIONS = {"python-fix-tests", "rust-build-and-test"}


def _log_factory(t0: float):
    def log(message: str) -> None:
        print(f"[bench {time.monotonic() - t0:6.1f}s] {message}", file=sys.stderr, flush=True)

    return log


def _commit() -> str:
    try:
        p = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return p.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _ensure_matplotlib(log) -> str | None:
    """Installs matplotlib into this interpreter's environment; None on success."""
    try:
        import matplotlib  # noqa: F401

        return None
    except ImportError:
        pass
    log("installing matplotlib for the charts ...")
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "matplotlib",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if p.returncode != 0:
        return "pip install matplotlib failed: " + p.stderr.strip()[-300:]
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--quick", action="store_true", help="small counts, no installs (for CI)")
    p.add_argument("--skip-peers", action="store_true", help="no peer compressors or LiteLLM")
    p.add_argument("--out", type=Path, default=ROOT / "bench-report", help="report folder")
    p.add_argument(
        "--peer-dir",
        type=Path,
        default=ROOT / "bench-report" / ".peer-venv",
        help="where the peers' virtualenvs live (kept between runs)",
    )
    p.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)}",
    )
    p.add_argument("--no-charts", action="store_true", help="do not draw (or install) charts")
    live_group = p.add_argument_group("quality with a real model (section 3)")
    live_group.add_argument("--live", action="store_true", help="ask a real model")
    live_group.add_argument("--provider", choices=sorted(live.KEY_ENV), default="anthropic")
    live_group.add_argument("--base-url", help="API base URL (default: the provider's)")
    live_group.add_argument("--model", help="model name, e.g. claude-sonnet-4-5")
    live_group.add_argument("--live-limit", type=int, help="ask about the first N fixtures only")
    args = p.parse_args(argv)
    wanted = {s.strip() for s in args.sections.split(",") if s.strip()}
    unknown = wanted - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections: {', '.join(sorted(unknown))}")

    t0 = time.monotonic()
    log = _log_factory(t0)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    fixtures = list(load_all())
    install = not args.quick
    data: dict = {
        "meta": {
            "command": " ".join(
                ["python -m benchmarks.run"]
                + [shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])]
            ),
            "commit": _commit(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}",
            "quick": args.quick,
            "fixtures": len(fixtures),
        }
    }
    failed = []

    def section(name: str, fn) -> None:
        if name not in wanted:
            return
        log(f"section {name} ...")
        try:
            data[name] = fn()
        except Exception as e:
            traceback.print_exc()
            data[name] = {"error": f"{type(e).__name__}: {e}"}
            failed.append(name)

    section(
        "blocks",
        lambda: blocks.run(
            fixtures,
            peer_dir=args.peer_dir,
            skip_peers=args.skip_peers,
            install_peers=install,
            repeat=1 if args.quick else 3,
            log=log,
        ),
    )

    def run_generalise() -> dict:
        # The held-out half of fixtures/corpus, peers beside, and next-action support.
        result = generalise.measure(
            "heldout",
            peer_dir=args.peer_dir,
            skip_peers=args.skip_peers,
            install_peers=install,
            log=log,
            sample=8 if args.quick else 1,
        )
        result["next_action"] = next_action.measure()
        return result

    section("generalise", run_generalise)

    def run_sessions() -> dict:
        picked, problems = sessions.captured()
        picked += sessions.constructed(fixtures, QUICK_SESSIONS if args.quick else None)
        picked += sessions.swe_agent(limit=1 if args.quick else None)
        result = sessions.run(picked, log)
        result["problems"] = problems
        return result

    section("sessions", run_sessions)
    if "live" in wanted:
        if args.live:
            section(
                "live",
                lambda: live.run(
                    fixtures,
                    provider=args.provider,
                    base_url=args.base_url,
                    model=args.model,
                    limit=args.live_limit,
                    log=log,
                ),
            )
        else:
            data["live"] = {"status": "skipped: not requested (run with --live)"}
        log(f"section live: {data['live'].get('status')}")

    def run_speed() -> dict:
        result: dict = {}
        try:
            result["latency"] = speed.latency(
                fixtures,
                sizes=speed.QUICK_SIZES if args.quick else speed.FULL_SIZES,
                reps=3 if args.quick else 20,
                peer_dir=args.peer_dir,
                skip_peers=args.skip_peers,
                install_peers=install,
                log=log,
            )
        except Exception as e:
            traceback.print_exc()
            result["latency"] = {"error": f"{type(e).__name__}: {e}"}
            failed.append("speed")
        if isinstance(data.get("blocks"), dict) and "cases" in data["blocks"]:
            result["throughput"] = speed.throughput(data["blocks"]["cases"])
        return result

    section("speed", run_speed)
    section("passthrough", lambda: passthrough.run(quick=args.quick, log=log))

    chart_files: dict[str, str] = {}
    if not args.no_charts:
        why = None if not install else _ensure_matplotlib(log)
        if why is None:
            chart_files, why = report.charts(data, out)
        if why:
            data["meta"]["charts"] = f"none: {why}" + (
                " (a full run installs it)" if args.quick else ""
            )
    data["meta"]["seconds"] = time.monotonic() - t0
    (out / "report.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    text = report.markdown(data, chart_files)
    (out / "report.md").write_text(text)
    log(f"wrote {out / 'report.md'} and report.json ({data['meta']['seconds']:.0f} s)")
    head = text.split("## 1.")[0]
    print(head.rstrip())
    stability = (data.get("sessions") or {}).get("stability", {}).get("rate_pct")
    if stability is not None and stability < 100:
        log(f"cache stability is {stability}%, not 100%")
        return 1
    if failed:
        log(f"sections that failed: {', '.join(sorted(set(failed)))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
