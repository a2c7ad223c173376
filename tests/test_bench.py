"""The benchmark harness (``python -m benchmarks.run``): its report, cost model and live plumbing.

The quality section is exercised here against a local fake upstream only — no real model
is ever asked in CI — so these tests check the plumbing (requests, grading, the report),
not any model's accuracy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from benchmarks import live, sessions
from benchmarks.report import HEADINGS
from fixtures.load import Fixture
from tests.fake_anthropic import FakeAnthropic

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.integration
def test_quick_run_writes_a_complete_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    p = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--skip-peers", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    md = (out / "report.md").read_text()
    data = json.loads((out / "report.json").read_text())
    for heading in HEADINGS:
        assert heading in md
    assert data["meta"]["quick"] is True

    blocks = data["blocks"]
    assert blocks["kinds"] and blocks["cases"]
    assert all(
        not peer["available"] and "--skip-peers" in peer["reason"] for peer in blocks["peers"]
    )

    s = data["sessions"]
    assert s["sessions"], "no session was replayed"
    assert {r["source"] for r in s["sessions"]} >= {"constructed"}
    assert s["stability"]["checks"] > 0
    assert s["stability"]["rate_pct"] == 100.0, s["stability"]["failures"]
    assert "Cache stability: 100.0%" in md
    for row in s["sessions"]:
        assert row["with"]["tokens"] <= row["without"]["tokens"], row["session"]
        assert row["with"]["cache_write"] <= row["without"]["cache_write"], row["session"]
        for model, cost in row["with"]["cost"].items():
            assert cost <= row["without"]["cost"][model] + 1e-12, (row["session"], model)

    assert data["live"]["status"].startswith("skipped")
    latency = data["speed"]["latency"]
    assert {r["route"] for r in latency["routes"]} >= {"mitmdump", "trimline_cold", "trimline_warm"}
    assert "skipped (--skip-peers)" in latency["litellm"]["reason"]
    assert data["speed"]["throughput"]["slowest"]["ms"] > 0


def _body(messages: list[dict]) -> bytes:
    return orjson.dumps({"model": "m", "system": "s", "messages": messages})


def test_cost_model_reads_the_shared_prefix_and_writes_the_rest() -> None:
    first = [{"role": "user", "content": "task " * 50}]
    second = [
        *first,
        {"role": "assistant", "content": "ok " * 40},
        {"role": "user", "content": "more " * 30},
    ]
    changed = [{"role": "user", "content": "other " * 50}, *second[1:]]
    count = sessions._Counter()
    result = sessions.cost([_body(first), _body(second), _body(changed)], count)
    segs1, segs2 = sessions.segments(_body(first)), sessions.segments(_body(second))
    assert result["turns"] == 3
    # Turn 1 writes everything; turn 2 reads turn 1's whole request and writes the new messages.
    assert result["per_turn_tokens"][0] == sum(count(s) for s in segs1)
    shared = sum(count(s) for s in segs1)
    new = sum(count(s) for s in segs2[len(segs1) :])
    # Turn 3 changed its first message: only the head (system, model) is read from the cache.
    head = count(segs1[0])
    assert result["cache_read"] == shared + head
    assert result["cache_write"] == result["tokens"] - shared - head
    assert result["per_turn_tokens"][1] == shared + new
    assert set(result["cost"]) == {"claude-sonnet-4-5", "gpt-5"}
    assert all(v > 0 for v in result["cost"].values())


def test_segments_ignore_cache_control() -> None:
    marked = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}],
        }
    ]
    plain = [{"role": "user", "content": [{"type": "text", "text": "x"}]}]
    assert sessions.segments(_body(marked)) == sessions.segments(_body(plain))


def _pytest_fixture() -> Fixture:
    passing = "".join(
        f"tests/test_calc.py::test_adds_{i} PASSED{' ' * 20}[{i // 3:3d}%]\n" for i in range(300)
    )
    failing = (
        "tests/test_calc.py::test_divides_by_zero FAILED                 [ 99%]\n"
        "tests/test_calc.py::test_rounds_half_even FAILED                [100%]\n"
    )
    summary = (
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_calc.py::test_divides_by_zero - ZeroDivisionError\n"
        "FAILED tests/test_calc.py::test_rounds_half_even - assert 2 == 3\n"
        "======================== 2 failed, 300 passed in 0.52s =========================\n"
    )
    return Fixture(
        kind="logs",
        name="synthetic_pytest",
        text="Exit code 1\n" + passing + failing + summary,
        tool="Bash",
        tool_input={"command": "python -m pytest -v"},
        is_error=True,
        facts=(),
        source="tests/test_bench.py",
    )


def test_live_plumbing_against_a_fake_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    fixture = _pytest_fixture()
    (question,) = live.questions(fixture)
    assert question.answer == ["test_divides_by_zero", "test_rounds_half_even"]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.delenv("TRIMLINE_BENCH_API_KEY", raising=False)
    # The fake always answers with this text: right for this question, whatever it is shown.
    with FakeAnthropic(text="`test_divides_by_zero`, test_rounds_half_even") as fake:
        result = live.run(
            [fixture],
            provider="anthropic",
            base_url=fake.url,
            model="claude-sonnet-4-5",
            limit=None,
            log=lambda _: None,
        )
        received = [r.json() for r in fake.messages()]
    assert result["status"] == "ran"
    assert len(received) == 2
    shown = [r["messages"][0]["content"] for r in received]
    assert fixture.text in shown[0]  # the original block
    assert "[trimline]" in shown[1] and len(shown[1]) < len(shown[0]) // 2  # the compressed one
    assert all(r["model"] == "claude-sonnet-4-5" and r["system"] == live.SYSTEM for r in received)
    (row,) = result["questions"]
    assert row["original"]["correct"] and row["compressed"]["correct"]
    total = next(k for k in result["kinds"] if k["kind"] == "all")
    assert total == {
        "kind": "all",
        "questions": 1,
        "original_pct": 100.0,
        "compressed_pct": 100.0,
        "retention": 1.0,
    }


def test_live_is_skipped_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "TRIMLINE_BENCH_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for provider in ("anthropic", "openai", "openai-compatible"):
        result = live.run(
            [_pytest_fixture()],
            provider=provider,
            base_url=None,
            model="m",
            limit=None,
            log=lambda _: None,
        )
        assert result["status"].startswith("skipped: no credentials")


@pytest.mark.parametrize(
    ("grade", "expected", "answer", "ok"),
    [
        ("set", ["a.py", "b.py"], "`b.py`, a.py.", True),
        ("set", ["a.py", "b.py"], "a.py", False),
        ("number", "29", "There are 29 files.", True),
        ("number", "29", "129", False),
        ("name", "parse_args", "`parse_args`", True),
        ("name", "parse", "parse_args", False),
    ],
)
def test_grading_normalises(grade: str, expected, answer: str, ok: bool) -> None:
    q = live.Question("c", "k", "q?", expected, grade)
    assert live.grade(q, answer) is ok
