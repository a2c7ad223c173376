"""Composition through a real ``trimline serve`` with the real SDKs, on SQLite and on
PostgreSQL: a request whose blocks are known is split as they were counted independently,
tool outputs by tool and by command add up, commands rank by compounded tokens, and
/metrics and the weekly report say what the API says."""

from __future__ import annotations

import itertools
import ssl
import subprocess
import sys
from collections.abc import Iterator

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.backends import BACKENDS, fresh_store
from tests.composition_traffic import LONG_TURNS, Known, make
from tests.fake_anthropic import FakeAnthropic
from tests.fake_openai import FakeOpenAI
from tests.proxy import Proxy, trimline_serve
from tests.test_read_api import get, get_json

pytestmark = pytest.mark.integration

KINDS = ("system", "tools", "conversation", "tool_calls", "tool_outputs", "images", "documents")


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Proxy, Known, dict[str, int]]]:
    tmp = tmp_path_factory.mktemp(f"composition-{request.param}")
    with (
        fresh_store(request.param, tmp) as target,
        FakeAnthropic() as fa,
        FakeOpenAI() as fo,
        trimline_serve(
            tmp,
            "--redirect",
            f"api.anthropic.com={fa.url},api.openai.com={fo.url}",
            mode="forward",
            db=target,
        ) as p,
    ):
        http = httpx.Client(
            proxy=p.url, verify=ssl.create_default_context(cafile=p.ca_cert), timeout=30
        )
        known, produced = make(p, fa, fo, http)
        yield p, known, produced


def within(measured: int, expected: int, share: float = 0.02) -> bool:
    return abs(measured - expected) <= share * expected


def test_a_known_request_is_split_as_counted_independently(served) -> None:
    p, known, _ = served
    c = get_json(p, "/stats/composition?session=one")
    assert c["requests"] == c["requests_counted"] == 1
    for kind in KINDS:
        assert within(c["before"][kind], known.kinds[kind]), (kind, c["before"][kind])
    assert c["before"]["total"] == sum(c["before"][k] for k in KINDS)
    # The pytest log was compressed: fewer tool-output tokens went than came, the rest as is.
    assert c["after"]["tool_outputs"] < c["before"]["tool_outputs"]
    for kind in ("system", "tools", "conversation", "tool_calls", "images"):
        assert c["after"][kind] == c["before"][kind], kind
    outputs = c["tool_outputs"]
    for stage in ("tokens_before", "tokens_after"):
        total = c[stage.removeprefix("tokens_")]["tool_outputs"]
        assert sum(r[stage] for r in outputs["by_tool"]) == total, stage
        assert sum(r[stage] for r in outputs["by_command"]) == total, stage
    by_tool = {r["key"]: r["tokens_before"] for r in outputs["by_tool"]}
    by_command = {r["key"]: r["tokens_before"] for r in outputs["by_command"]}
    assert set(by_tool) == set(known.by_tool) and set(by_command) == set(known.by_command)
    for key, value in known.by_command.items():
        assert within(by_command[key], value), key
    # The billed split is the provider's own usage (the fake's default).
    assert c["billed"] == {
        "uncached_input": 1200,
        "cache_read": 9000,
        "cache_write": 300,
        "output": 42,
        "reasoning": 0,
    }


def test_openai_chat_and_responses_are_split_too(served) -> None:
    p, known, _ = served
    c = get_json(p, "/stats/composition?session=sess-openai&team=gamma")
    assert c["requests_counted"] == 2
    assert within(c["before"]["tool_outputs"], known.openai_outputs)
    commands = {r["key"] for r in c["tool_outputs"]["by_command"]}
    assert commands == {"npm test", "cargo test"}
    assert c["before"]["tool_calls"] > 0 and c["before"]["conversation"] > 0
    assert get_json(p, "/stats/composition?team=nobody")["before"]["total"] == 0


def test_commands_rank_by_compounded_tokens(served) -> None:
    p, _, produced = served
    found = get_json(p, "/stats/commands?session=long")["commands"]
    by = {r["command"]: r for r in found}
    cat, grep = by["cat"], by["grep"]
    # grep produced more, but on the last turn; cat's output was re-sent by 6 later turns.
    assert produced["grep"] > produced["cat"]
    assert within(grep["tokens_before"], produced["grep"])
    assert within(cat["tokens_before"], produced["cat"])
    assert cat["runs"] == grep["runs"] == 1 and by["ls"]["runs"] == LONG_TURNS - 3
    assert cat["compounded_after"] == cat["tokens_after"] * (LONG_TURNS - 2)
    assert grep["compounded_after"] == 0
    assert found[0]["command"] == "cat"
    assert [r["command"] for r in found].index("cat") < [r["command"] for r in found].index("grep")
    everywhere = get_json(p, "/stats/commands")["commands"]
    assert everywhere[0]["compounded_after"] >= everywhere[-1]["compounded_after"]


def test_breakdowns_add_up_to_the_totals(served) -> None:
    p, _, _ = served
    total = get_json(p, "/stats/composition")
    for dimension in ("session", "team", "model", "day"):
        found = get_json(p, f"/stats/composition/by/{dimension}")["rows"]
        for kind in (*KINDS, "total"):
            assert sum(r["after"][kind] for r in found) == total["after"][kind], dimension
    (day,) = get_json(p, "/stats/composition/by/day")["rows"]
    assert day["requests"] == total["requests_counted"] == 1 + LONG_TURNS + 2
    status, body, _ = get(p, "/stats/composition/by/colour")
    assert status == 400 and b"colour" in body


def test_session_turns_show_what_each_turn_added(served) -> None:
    p, _, produced = served
    turns = get_json(p, "/stats/sessions/long/composition")["turns"]
    assert [t["turn"] for t in turns] == list(range(1, LONG_TURNS + 1))
    # Each turn's context is the last one's plus what it added (the history is re-sent).
    for before, turn in itertools.pairwise(turns):
        for kind in ("tool_outputs", "tool_calls", "total"):
            assert turn["context"][kind] == before["context"][kind] + turn["added"][kind], kind
    assert within(turns[1]["added"]["tool_outputs"], produced["cat"], 0.6)
    detail = get_json(p, "/stats/sessions/long")
    assert [t["cost_usd"] for t in turns] == [t["cost_usd"] for t in detail["per_turn"]]
    status, _, _ = get(p, "/stats/sessions/nope/composition")
    assert status == 404


def _metric(p: Proxy, name: str, **labels: str) -> float:
    _, body, _ = get(p, "/metrics")
    total = 0.0
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            if s.name == name and set(labels.items()) <= set(s.labels.items()):
                total += s.value
    return total


def test_metrics_carry_the_composition(served) -> None:
    p, _, _ = served
    total = get_json(p, "/stats/composition")
    for kind in KINDS:
        for stage in ("before", "after"):
            assert (
                _metric(p, "trimline_context_tokens_total", kind=kind, stage=stage)
                == total[stage][kind]
            ), (kind, stage)
    commands = get_json(p, "/stats/commands")["commands"]
    cat = next(c for c in commands if c["command"] == "cat")
    assert (
        _metric(p, "trimline_tool_output_tokens_total", command="cat", stage="after")
        == cat["tokens_after"]
    )


def run_cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "trimline.cli", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_weekly_report_says_what_the_api_says(served, tmp_path) -> None:
    p, _, _ = served
    budgets = tmp_path / "budgets.toml"
    budgets.write_text(
        '[[budget]]\nname = "alpha-month"\nteam = "alpha"\nwindow = "month"\nusd = 0.01\n'
    )
    md = run_cli("report", "--weekly", "--db", str(p.db), "--budgets", str(budgets))
    (status,) = orjson.loads(
        run_cli("budgets", "--budgets", str(budgets), "--db", str(p.db), "--format", "json")
    )
    alpha = next(r for r in get_json(p, "/stats/by/team?since=7d")["rows"] if r["key"] == "alpha")
    row = next(line for line in md.splitlines() if line.startswith("| alpha |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == f"${alpha['cost_usd']:,.4f}" and cells[4] == "$0.0100"
    # The forecast moves with the clock between the two commands: a second is ~1e-7 dollars.
    forecast, variance = (float(c.lstrip("$").replace(",", "")) for c in cells[5:7])
    assert forecast == pytest.approx(status["forecast"], abs=2e-4)
    assert variance == pytest.approx(status["forecast"] - status["limit"], abs=2e-4)
    assert variance > 0  # alpha spent more than its $0.01 this month
    teams = get_json(p, "/stats/by/team?since=7d")["rows"]
    for team in teams:
        assert f"| {team['key']} | ${team['cost_usd']:,.4f} |" in md, team["key"]
    commands = get_json(p, "/stats/commands?since=7d")["commands"]
    assert f"| cat | Bash | 1 | {commands[0]['tokens_after']:,} |" in md
    assert f"{commands[0]['compounded_after']:,}" in md
    totals = get_json(p, "/stats/totals?since=7d")
    assert f"${totals['saved_usd']:,.4f}" in md
    html = run_cli("report", "--weekly", "--format", "html", "--db", str(p.db))
    assert html.startswith("<!doctype html>") and "<h1>Trimline weekly review" in html
    assert f"${totals['cost_usd']:,.4f}" in html
    done = subprocess.run(
        [sys.executable, "-m", "trimline.cli", "report", "--format", "md", "--db", str(p.db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--weekly" in done.stderr and "Traceback" not in done.stderr
