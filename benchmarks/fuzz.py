"""The request-path fuzz at scale: ``python -m benchmarks.fuzz [--cases 100000]``.

1. The property tests of ``tests/test_fuzz.py`` (valid bodies of the three wire
   formats stay valid with only tool text changed, any bytes never raise, any
   response stream passes untouched, compressors never fail, expand or vary),
   with the number of cases split across them, random seeds.
2. Compressors on 1 MB adversarial blocks under every family's context: any
   (input, context) over 2 s is reported (a pathological regex is a bug).
3. With ``atheris`` installed (``pip install atheris``, optional), coverage-guided
   fuzzing of the request hook over raw bytes for ``--atheris-runs`` inputs.

Prints cases per second and every failure; exit status 1 on any.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Hypothesis tests in tests/test_fuzz.py; the slowness and time-limit tests are not fuzzers.
PROPERTY_TESTS = 12  # hypothesis tests in tests/test_fuzz.py, the cheap ones counting twice

ATHERIS = """
import asyncio, sys, tempfile
import atheris
with atheris.instrument_imports():
    from trimline.addons.trimline import Trimline
    from trimline.addons import streams
    from trimline.addons.providers import anthropic, openai_chat, openai_responses
from mitmproxy.test import taddons
from tests.test_fuzz import make_flow

PATHS = ["/v1/messages", "/v1/chat/completions", "/v1/responses"]
ENCODINGS = ["", "gzip", "br", "zstd", "deflate", "bogus"]
addon = Trimline()
loop = asyncio.new_event_loop()
ctx = taddons.context(addon)
ctx.__enter__()
ctx.configure(addon, trimline_db=tempfile.mkdtemp() + "/t.db", trimline_threshold=40,
              trimline_hosts="api.anthropic.com,api.openai.com")

def one(data: bytes) -> None:
    if len(data) < 2:
        return
    path, encoding, raw = PATHS[data[0] % 3], ENCODINGS[data[1] % 6], data[2:]
    flow = make_flow(path, raw, encoding)
    loop.run_until_complete(addon.request(flow))  # must never raise
    state = flow.metadata["trimline"]
    if state.record.error is not None and flow.request.raw_content != raw:
        raise AssertionError("a body that failed was changed")

atheris.Setup(sys.argv, one)
atheris.Fuzz()
"""


def property_tests(cases: int) -> tuple[bool, float]:
    per_test = max(1, cases // PROPERTY_TESTS)
    env = dict(os.environ, TRIMLINE_FUZZ_EXAMPLES=str(per_test), TRIMLINE_FUZZ_RANDOM="1")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_fuzz.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "not slowness and not time_limit",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - t0
    if proc.returncode:
        # The assertion and the falsifying example, cut short: one example can be megabytes.
        lines = proc.stdout.splitlines()
        shown = [line[:300] for line in lines if line.startswith(("E ", "FAILED"))]
        print("\n".join(shown[:80]))
    print(proc.stdout.strip().splitlines()[-1])
    return proc.returncode == 0, per_test * PROPERTY_TESTS / took


def slow_inputs(size: int, limit: float) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from trimline.compressors import compress

    from tests.test_fuzz import SLOW_CONTEXTS, adversarial_mb

    slow = []
    worst = (0.0, "")
    for name, text in adversarial_mb(size).items():
        for context in SLOW_CONTEXTS:
            t0 = time.process_time()
            result = compress(text, context)
            took = time.process_time() - t0
            where = (
                f"{name} under {context.tool or 'no tool'} {context.command or context.file_path}"
            )
            worst = max(worst, (took, where))
            if took > limit or result.kind == "error":
                slow.append(f"{took:.2f} s ({result.kind}): {where}")
    print(
        f"{len(adversarial_mb(size)) * len(SLOW_CONTEXTS)} adversarial {size >> 20} MB blocks, "
        f"slowest {worst[0]:.2f} s ({worst[1]})"
    )
    return slow


def atheris_run(runs: int) -> bool | None:
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris: not installed, skipped (pip install atheris)")
        return None
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", ATHERIS, f"-runs={runs}", "-max_len=4096", "-rss_limit_mb=4096"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - t0
    tail = [line for line in proc.stderr.splitlines() if line.startswith(("#", "Done", "==", "Un"))]
    print(f"atheris: {runs} runs in {took:.0f} s ({runs / took:.0f}/s); {tail[-1] if tail else ''}")
    if proc.returncode:
        print(proc.stderr[-4000:])
    return proc.returncode == 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--atheris-runs", type=int, default=100_000)
    p.add_argument("--block-mb", type=int, default=1)
    args = p.parse_args(argv)
    ok, rate = property_tests(args.cases)
    print(f"property tests: {args.cases} cases, {rate:.0f} cases/s, {'ok' if ok else 'FAILED'}")
    slow = slow_inputs(args.block_mb << 20, 2.0)
    for line in slow:
        print(f"  over 2 s or failed: {line}")
    fuzzed = atheris_run(args.atheris_runs) if args.atheris_runs else None
    return 0 if ok and not slow and fuzzed is not False else 1


if __name__ == "__main__":
    sys.exit(main())
