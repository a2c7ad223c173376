"""The dashboard's context sections and a session's page, rendered by a real headless
Chromium from a real ``trimline serve``: the numbers on the pages are the API's, every
session row links to its page, axis ticks are round, and screenshots at two widths are
kept in $TRIMLINE_ARTIFACTS (default: the test's tmp dir)."""

from __future__ import annotations

import math
import os
import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.composition_traffic import LONG_TURNS, make
from tests.fake_anthropic import FakeAnthropic
from tests.fake_openai import FakeOpenAI
from tests.proxy import Proxy, trimline_serve
from tests.test_dashboard import chromium, run_chromium
from tests.test_read_api import get_json

pytestmark = pytest.mark.integration

WIDTHS = (1400, 800)


def browse(binary: str, tmp: Path, width: int, *args: str) -> subprocess.CompletedProcess:
    return run_chromium(binary, tmp, *args, width=width, height=2400)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, str, Path]]:
    binary = chromium()
    tmp = tmp_path_factory.mktemp("composition-pages")
    with (
        FakeAnthropic() as fa,
        FakeOpenAI() as fo,
        trimline_serve(
            tmp,
            "--redirect",
            f"api.anthropic.com={fa.url},api.openai.com={fo.url}",
            mode="forward",
        ) as p,
    ):
        http = httpx.Client(
            proxy=p.url, verify=ssl.create_default_context(cafile=p.ca_cert), timeout=30
        )
        make(p, fa, fo, http)
        yield p, binary, tmp


def dom(served: tuple[Proxy, str, Path], path: str) -> str:
    p, binary, tmp = served
    done = browse(binary, tmp, 1400, "--dump-dom", f"http://127.0.0.1:{p.stats_port}{path}")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshots(served: tuple[Proxy, str, Path], path: str, name: str) -> None:
    p, binary, tmp = served
    artifacts = Path(os.environ.get("TRIMLINE_ARTIFACTS") or tmp)
    artifacts.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        shot = artifacts / f"{name}-{width}.png"
        shot.unlink(missing_ok=True)
        url = f"http://127.0.0.1:{p.stats_port}{path}"
        done = browse(binary, tmp, width, f"--screenshot={shot}", url)
        assert done.returncode == 0, done.stderr[-2000:]
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 20_000
        print(f"{name} screenshot at {width}px: {shot}")


def round_ticks(page: str, charts_at_least: int) -> None:
    """Each chart's y-axis labels are 0, s, 2s... with s 1, 2, 2.5 or 5 times a power of 10."""
    charts = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
    checked = 0
    for svg in charts:
        labels = re.findall(r'text-anchor="end">\$?([\d.,]+)([kM]?)</text>', svg)
        scale = {"": 1, "k": 1e3, "M": 1e6}
        values = [float(v.replace(",", "")) * scale[u] for v, u in labels]
        if len(values) < 2:
            continue
        step = values[1] - values[0]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 2.5, 5), (values, svg[:200])
        assert all(abs(v - i * step) < step * 1e-6 for i, v in enumerate(values)), values
        checked += 1
    assert checked >= charts_at_least


def test_dashboard_shows_composition_and_producers_as_the_api_does(served) -> None:
    p = served[0]
    page = dom(served, "/")
    for section in ("composition", "producers", "sessions"):
        assert f'id="{section}"' in page, section
    # The dashboard shows the last 14 days (UTC), today included.
    since = (int(time.time() // 86400) - 13) * 86400
    total = get_json(p, f"/stats/composition?since={since}")
    for kind in (*total["after"],):
        row = re.search(rf'<tr data-kind="{kind}">(.*?)</tr>', page, re.S)
        assert row, kind
        cells = re.findall(r"<td class=\"?n\"?>([^<]*)</td>", row.group(1))
        assert cells[:2] == [f"{total['before'][kind]:,}", f"{total['after'][kind]:,}"], kind
    for c in get_json(p, f"/stats/commands?limit=15&since={since}")["commands"]:
        row = re.search(rf'<tr data-command="{re.escape(c["command"])}">(.*?)</tr>', page, re.S)
        assert row, c["command"]
        assert f">{c['compounded_after']:,}<" in row.group(1), c["command"]
        assert f">{c['runs']:,}<" in row.group(1)
    # Every session row links to its page.
    for s in get_json(p, "/stats/sessions")["sessions"]:
        assert f'href="sessions/{s["session"]}"' in page, s["session"]
    round_ticks(page, 5)
    assert "https://" not in page
    screenshots(served, "/", "dashboard")


def test_session_page_is_the_api_turn_by_turn(served) -> None:
    p = served[0]
    page = dom(served, "/sessions/long")
    turns = get_json(p, "/stats/sessions/long/composition")["turns"]
    assert len(turns) == LONG_TURNS
    for t in turns:
        row = re.search(rf'<tr data-turn="{t["turn"]}">(.*?)</tr>', page, re.S)
        assert row, t["turn"]
        values = re.findall(r'data-value="([^"]*)"', row.group(1))
        assert values == [str(t["context"]["total"]), str(t["added"]["total"]), str(t["cost_usd"])]
    # The last turn shows grep's block compressed, with its size before and after.
    last = re.search(rf'<tr data-turn="{LONG_TURNS}">(.*?)</tr>', page, re.S).group(1)
    (block,) = turns[-1]["compressed"]
    assert f"{block['tokens_before']:,} → {block['tokens_after']:,}" in last
    summary = get_json(p, "/stats/sessions/long")
    assert f'data-value="{summary["cost_usd"]}"' in page
    assert 'href="../"' in page
    round_ticks(page, 1)
    screenshots(served, "/sessions/long", "session")
    status = httpx.get(f"http://127.0.0.1:{p.stats_port}/sessions/no-such").status_code
    assert status == 404


def test_weekly_review_page_is_linked_and_says_what_the_api_says(served) -> None:
    p = served[0]
    assert 'href="weekly"' in dom(served, "/")
    page = dom(served, "/weekly")
    assert "<h1>Trimline weekly review" in page
    for team in get_json(p, "/stats/by/team?since=7d")["rows"]:
        assert f"<td>{team['key']}</td><td>${team['cost_usd']:,.4f}</td>" in page, team["key"]
    top = get_json(p, "/stats/commands?since=7d")["commands"][0]
    assert f"<td>{top['command']}</td><td>{top['tool']}</td>" in page
    assert f"<td>{top['compounded_after']:,}</td>" in page
    screenshots(served, "/weekly", "weekly")
