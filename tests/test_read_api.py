"""The read side over real HTTP: calls made with the anthropic and openai SDKs through a real
``trimline serve``, then the stats API, its OpenAPI document, /metrics and ``trimline
report`` checked against sums worked out independently from the calls made."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote

import orjson
import pytest
from jsonschema import Draft202012Validator
from prometheus_client.parser import text_string_to_metric_families

from tests.backends import BACKENDS, fresh_store
from tests.fake_anthropic import FakeAnthropic
from tests.fake_openai import FakeOpenAI
from tests.proxy import Proxy, trimline_serve
from tests.readside_traffic import XSS_TEAM, Expected, make_traffic

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Proxy, Expected]]:
    """The same calls on SQLite and on PostgreSQL: the queries are shared."""
    tmp = tmp_path_factory.mktemp(f"readside-{request.param}")
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
        yield p, make_traffic(p, fa, fo)


def get(p: Proxy, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{p.stats_port}{path}", headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def get_json(p: Proxy, path: str) -> dict | list:
    status, body, _ = get(p, path)
    assert status == 200, (path, body)
    return orjson.loads(body)


def test_totals_and_breakdowns_match_the_calls_made(served: tuple[Proxy, Expected]) -> None:
    p, exp = served
    t = get_json(p, "/stats/totals?since=1h")
    assert t["requests"] == len(exp.calls)
    assert t["input_tokens"] == sum(c.input for c in exp.calls)
    assert t["output_tokens"] == sum(c.output for c in exp.calls)
    assert t["cache_creation_input_tokens"] == sum(c.cache_write for c in exp.calls)
    assert t["cache_read_input_tokens"] == sum(c.cache_read for c in exp.calls)
    assert t["cost_usd"] == pytest.approx(sum(c.cost for c in exp.calls), abs=1e-6)
    assert t["tokens_saved"] > 0 and t["saved_usd"] > 0  # the pytest log was compressed
    # Nothing before the calls were made.
    assert get_json(p, "/stats/totals?until=2020-01-01")["requests"] == 0

    teams = {r["key"]: r for r in get_json(p, "/stats/by/team")["rows"]}
    assert set(teams) == {"alpha", "beta", "gamma", XSS_TEAM}
    for team, row in teams.items():
        assert row["requests"] == len(exp.where(team=team))
        assert row["cost_usd"] == pytest.approx(exp.cost(team=team), abs=1e-6)
    projects = {r["key"]: r["requests"] for r in get_json(p, "/stats/by/project")["rows"]}
    assert projects["p1"] == 3
    models = {r["key"]: r for r in get_json(p, "/stats/by/model")["rows"]}
    for model in ("claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5"):
        assert models[model]["cost_usd"] == pytest.approx(exp.cost(model=model), abs=1e-6)
    (day,) = get_json(p, "/stats/by/day")["rows"]
    assert day["requests"] == len(exp.calls)
    hours = get_json(p, "/stats/by/hour")["rows"]
    assert sum(h["requests"] for h in hours) == len(exp.calls)
    assert hours[0]["key"].endswith(":00Z")
    kinds = get_json(p, "/stats/by/kind")["rows"]
    assert sum(k["tokens_saved"] for k in kinds) == t["tokens_saved"]
    assert sum(k["saved_usd"] for k in kinds) == pytest.approx(t["saved_usd"], abs=1e-5)


def test_top_calls_are_the_most_expensive(served: tuple[Proxy, Expected]) -> None:
    p, exp = served
    top = get_json(p, "/stats/top?n=2")["calls"]
    expected = sorted((c.cost for c in exp.calls), reverse=True)[:2]
    assert [c["cost_usd"] for c in top] == pytest.approx(expected, abs=1e-6)
    assert len(get_json(p, "/stats/top")["calls"]) == min(10, len(exp.calls))


def test_sessions_have_turns_context_growth_and_savings(served: tuple[Proxy, Expected]) -> None:
    p, exp = served
    sessions = {s["session"]: s for s in get_json(p, "/stats/sessions")["sessions"]}
    assert set(sessions) == {"sess-a", "sess-b", "sess-x", "sess-o"}
    a = sessions["sess-a"]
    contexts = [c.context for c in exp.where(session="sess-a")]
    assert a["turns"] == 3 and a["team"] == "alpha" and a["project"] == "p1"
    assert (a["context_first"], a["context_last"], a["context_max"]) == (3000, 5500, 5500)
    assert a["context_growth_per_turn"] == (contexts[-1] - contexts[0]) / 2 == 1250
    assert a["tokens_saved"] > 0 and a["saved_usd"] > 0

    detail = get_json(p, "/stats/sessions/sess-a")
    assert [t["turn"] for t in detail["per_turn"]] == [1, 2, 3]
    assert [t["context_tokens"] for t in detail["per_turn"]] == contexts
    assert [t["context_added"] for t in detail["per_turn"]] == [0, 1700, 800]
    assert detail["per_turn"][0]["tokens_saved"] > 0  # the first turn carried the long log
    assert sum(t["cost_usd"] for t in detail["per_turn"]) == pytest.approx(
        exp.cost(session="sess-a"), abs=1e-6
    )
    # A session id is a path segment: anything is quoted, an unknown one is a 404.
    status, body, _ = get(p, "/stats/sessions/" + quote("no/such session", safe=""))
    assert status == 404 and b"no/such session" in body


def test_bad_parameters_are_400_and_unknown_paths_404(served: tuple[Proxy, Expected]) -> None:
    p, _ = served
    for path in ("/stats/by/colour", "/stats/top?n=lots", "/stats/totals?since=yesterdayish"):
        status, body, _ = get(p, path)
        assert status == 400, path
        assert orjson.loads(body)["error"]
    status, _, _ = get(p, "/stats/nope")
    assert status == 404


def test_spend_forecast_and_placeholders(served: tuple[Proxy, Expected]) -> None:
    p, exp = served
    spend = get_json(p, "/stats/spend?days=7")
    assert len(spend["days"]) == 7
    assert spend["days"][-1]["cost_usd"] == pytest.approx(exp.cost(), abs=1e-6)
    assert spend["month_to_date_usd"] == pytest.approx(exp.cost(), abs=1e-6)
    avg = exp.cost() / 7
    assert spend["avg_daily_7d_usd"] == pytest.approx(avg, abs=1e-6)
    assert spend["forecast_month_end_usd"] == pytest.approx(
        exp.cost() + avg * spend["days_left_in_month"], abs=1e-5
    )
    # No budgets or alerts tables yet: empty lists, not errors.
    assert get_json(p, "/stats/budgets") == []
    assert get_json(p, "/stats/alerts") == []
    assert spend["month_budget_usd"] is None


def _validator(spec: dict, schema: dict) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": spec["components"]})


def test_every_endpoint_is_documented_and_answers_as_documented(
    served: tuple[Proxy, Expected],
) -> None:
    p, _ = served
    spec = get_json(p, "/openapi.json")
    assert spec["openapi"].startswith("3.1")
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    # What the server says it answers is exactly what the document lists.
    status, body, _ = get(p, "/no/such/endpoint")
    assert status == 404
    assert set(orjson.loads(body)["endpoints"]) == set(spec["paths"])
    assert {"/", "/metrics", "/openapi.json", "/stats"} <= set(spec["paths"])

    checked = 0
    for template, item in spec["paths"].items():
        op = item["get"]
        paths = [template]
        for param in op["parameters"]:
            if param["in"] == "path" and param["name"] == "dimension":
                paths = [template.replace("{dimension}", v) for v in param["schema"]["enum"]]
            elif param["in"] == "path":
                paths = [template.replace("{" + param["name"] + "}", "sess-a")]
        for path in paths:
            status, body, headers = get(p, path)
            assert status == 200, path
            ((media, content),) = op["responses"]["200"]["content"].items()
            assert headers["Content-Type"].split(";")[0] == media.split(";")[0], path
            if media == "application/json":
                errors = list(_validator(spec, content["schema"]).iter_errors(orjson.loads(body)))
                assert not errors, (path, [e.message for e in errors[:3]])
                checked += 1
        # Errors are documented too.
        query = [prm["name"] for prm in op["parameters"] if prm["in"] == "query"]
        if query and "{" not in template:
            status, body, _ = get(p, f"{template}?{query[0]}=never")
            assert status == 400, template
            schema = op["responses"]["400"]["content"]["application/json"]["schema"]
            assert not list(_validator(spec, schema).iter_errors(orjson.loads(body)))
    assert checked >= 20


def _samples(p: Proxy) -> dict[tuple[str, frozenset], float]:
    _, body, headers = get(p, "/metrics")
    assert headers["Content-Type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def _sum(samples: dict, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def test_metrics_are_fed_live_and_agree_with_the_calls(served: tuple[Proxy, Expected]) -> None:
    p, exp = served
    m = _samples(p)
    assert _sum(m, "trimline_requests_total") == len(exp.calls)
    assert _sum(m, "trimline_requests_total", team="alpha", model="claude-sonnet-4-5") == 3
    assert _sum(m, "trimline_count_tokens_requests_total") == exp.count_tokens_calls
    for kind, field in (
        ("input", "input"),
        ("output", "output"),
        ("cache_read", "cache_read"),
        ("cache_write", "cache_write"),
    ):
        assert _sum(m, "trimline_tokens_total", kind=kind) == sum(
            getattr(c, field) for c in exp.calls
        ), kind
    assert _sum(m, "trimline_cost_usd_total") == pytest.approx(exp.cost(), abs=1e-6)
    assert _sum(m, "trimline_cost_usd_total", team="gamma") == pytest.approx(
        exp.cost(team="gamma"), abs=1e-6
    )
    totals = get_json(p, "/stats")["totals"]
    assert _sum(m, "trimline_saved_tokens_total") == totals["tokens_saved"] > 0
    assert _sum(m, "trimline_saved_usd_total") == pytest.approx(totals["saved_usd"], abs=1e-6)
    n = len(exp.calls)
    assert _sum(m, "trimline_overhead_seconds_count") == n
    assert _sum(m, "trimline_upstream_latency_seconds_count") == n
    assert _sum(m, "trimline_upstream_first_byte_seconds_count") == n
    assert _sum(m, "trimline_compression_seconds_count") >= 1
    assert _sum(m, "trimline_records_written_total") >= n
    assert _sum(m, "trimline_records_dropped_total") == 0


def run_cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "trimline.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        # Wide enough for every column: tables fit the terminal, and pytest's is 80.
        env={**os.environ, "COLUMNS": "250"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_report_views_add_up(served: tuple[Proxy, Expected]) -> None:
    p, exp = served
    db = str(p.db)
    for by in ("team", "model", "session", "day", "block"):
        data = orjson.loads(run_cli("report", "--by", by, "--db", db, "--format", "json"))
        assert data["totals"]["requests"] == len(exp.calls), by
        assert data["totals"]["cost_usd"] == pytest.approx(exp.cost(), abs=1e-5), by
        assert data["totals"]["total_tokens"] == sum(c.context + c.output for c in exp.calls), by
        assert data["totals"]["tokens_saved"] > 0
    teams = orjson.loads(run_cli("report", "--by", "team", "--db", db, "--format", "json"))
    gamma = next(r for r in teams["rows"] if r["team"] == "gamma")
    assert gamma["models"] == ["gpt-5"] and gamma["requests"] == 3
    (block,) = orjson.loads(run_cli("report", "--by", "block", "--db", db, "--format", "json"))[
        "rows"
    ]
    assert block["status"] == "ACTIVE"
    table = run_cli("report", "--by", "day", "--since", "7d", "--db", db)
    assert "Saved (USD)" in table and "Cache Read" in table and "│ Total" in table
    csv_out = run_cli("report", "--by", "model", "--db", db, "--format", "csv").splitlines()
    assert csv_out[0].startswith("model,requests,input_tokens")
    assert len(csv_out) == 1 + 3
    assert (
        orjson.loads(
            run_cli(
                "report",
                "--by",
                "day",
                "--since",
                "20200101",
                "--until",
                "2020-02-01",
                "--db",
                db,
                "--format",
                "json",
            )
        )["rows"]
        == []
    )
