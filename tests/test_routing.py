"""Routing decisions and adapted bodies on real request shapes; rules files; never across
providers; cost-aware decisions (a long cached prefix stays, a side request goes small)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.addons.providers import anthropic, openai_responses
from trimline.addons.routing.adapt import adapt
from trimline.addons.routing.decide import decide
from trimline.addons.routing.features import MAIN, SIDE, SUBAGENT, compute
from trimline.addons.routing.memory import SessionMemory
from trimline.addons.routing.models import provider_of, smaller_model
from trimline.addons.routing.rules import Rule, RulesError, RuleSet, When, load

from tests import routing_shapes as shapes

DEFAULT = load("default")


def features(body, headers=None, provider=anthropic, session="s"):
    endpoint = "responses" if provider is openai_responses else "messages"
    return compute(
        provider.name, endpoint, body, headers or {}, provider.tool_blocks(body), session
    )


def test_request_kinds_from_real_markers() -> None:
    assert features(shapes.claude_main()).kind == MAIN
    assert features(shapes.claude_subagent()).kind == SUBAGENT
    assert features(shapes.claude_title()).kind == SIDE
    body, headers = shapes.codex()
    assert features(body, headers, openai_responses).kind == MAIN
    assert (
        features(body, {**headers, "x-openai-subagent": "compact"}, openai_responses).kind == SIDE
    )
    meta = orjson.loads(headers["x-codex-turn-metadata"])
    sub = {
        **headers,
        "x-codex-turn-metadata": orjson.dumps({**meta, "thread_source": "subagent"}).decode(),
    }
    assert features(body, sub, openai_responses).kind == SUBAGENT


def test_features_of_the_captured_claude_code_turns() -> None:
    calls = [c["body"] for c in shapes.captured("claude_code_recorded")]
    f = [features(b) for b in calls]
    assert [x.last_speaker for x in f] == ["human", "tools", "tools", "tools"]
    assert [x.tools for x in f] == [[], ["Bash"], ["Read"], ["Edit"]]
    assert [x.error for x in f] == [False, True, False, False]  # pytest exited 1
    assert [x.read_only for x in f] == [False, False, True, False]
    assert [x.turn for x in f] == [0, 1, 2, 3]
    assert f[0].instruction.startswith("Run the test suite")
    assert all(x.cache_marked and x.max_tokens == 32000 for x in f)
    assert f[3].context_tokens > f[0].context_tokens > 0


def test_side_request_routes_to_haiku_because_it_is_cheaper() -> None:
    d = decide(features(shapes.claude_title()), DEFAULT, SessionMemory(), pinned=False)
    assert (d.target, d.rule) == ("claude-haiku-4-5", "side-request")
    assert d.estimate.routed_usd < d.estimate.requested_usd * 0.8


def _long_session_turn(history_tokens: int = 150_000) -> dict:
    """A main-loop Read turn after a long history (a big earlier file read)."""
    body = shapes.claude_main(2)
    filler = "x = 1  # padding line of an earlier, long tool result\n" * (history_tokens * 4 // 55)
    body["messages"][0]["content"].append({"type": "text", "text": "Context:\n" + filler})
    return body


def test_long_cached_prefix_stays_on_cost_alone() -> None:
    # Only the exploration rule: what keeps the turn on Sonnet is the estimate, not a rule.
    rules = RuleSet(rule=[Rule(name="explore", when=When(read_only=True), action="route")])
    body = _long_session_turn()
    f = features(body, session="long")
    assert f.context_tokens > 140_000 and f.read_only
    memory = SessionMemory()
    # The previous turn went to Sonnet a minute ago: all but the newest message is cached.
    memory.remember("long", f.model, f.prefix_hashes[:-1], f.prefix_tokens[:-1])
    d = decide(f, rules, memory, pinned=False)
    assert d.target is None and d.rule == "explore" and "not cheaper" in d.reason
    assert d.estimate.cached_requested > 140_000
    assert d.estimate.requested_usd < d.estimate.routed_usd
    # The same turn with a cold cache (expired TTL, or another session) goes small.
    cold = decide(features(body, session="cold"), rules, SessionMemory(), pinned=False)
    assert cold.target == "claude-haiku-4-5"


def test_default_rules_on_captured_turns() -> None:
    memory = SessionMemory()
    out = []
    for call in shapes.captured("claude_code_recorded"):
        f = features(call["body"], session="cc")
        d = decide(f, DEFAULT, memory, pinned=False)
        memory.remember("cc", d.target or f.model, f.prefix_hashes, f.prefix_tokens)
        out.append((d.rule, d.target))
    assert out[0] == ("human-turn", None)
    assert out[1] == ("after-error", None)
    assert out[2][0] == "read-only-exploration" and out[2][1] is None  # cached: not cheaper
    assert out[3] == (None, None)  # an Edit result: no rule
    memory = SessionMemory()
    routed = []
    for call in shapes.captured("codex_recorded"):
        f = features(call["body"], shapes.headers(call), openai_responses, session="cx")
        d = decide(f, DEFAULT, memory, pinned=False)
        memory.remember("cx", d.target or f.model, f.prefix_hashes, f.prefix_tokens)
        routed.append((d.rule, d.target))
    # Codex: no cache-write premium, and gpt-5-mini is a fifth of gpt-5's price.
    assert routed == [
        ("human-turn", None),
        ("after-error", None),
        ("read-only-exploration", "gpt-5-mini"),
    ]


def test_error_streak_pins_the_session() -> None:
    memory = SessionMemory()
    s = DEFAULT.settings
    for _ in range(s.error_streak):
        memory.outcome("e", failed=True, streak=s.error_streak, turns=s.sticky_turns)
    title = features(shapes.claude_title(), session="e")
    for _ in range(s.sticky_turns):
        d = decide(title, DEFAULT, memory, pinned=memory.pinned("e"))
        assert (d.target, d.rule) == (None, "sticky")
    d = decide(title, DEFAULT, memory, pinned=memory.pinned("e"))
    assert d.target == "claude-haiku-4-5"


def test_adapt_claude_code_main_loop_for_haiku() -> None:
    body = shapes.claude_main_adaptive(2)
    body["context_management"] = {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}
    notes = adapt("messages", body, "claude-haiku-4-5")
    assert body["model"] == "claude-haiku-4-5"
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 16000}
    assert "output_config" not in body  # effort was its only key
    assert body["context_management"]["edits"][0]["type"] == "clear_thinking_20251015"
    assert any("adaptive" in n for n in notes)
    # The captured shape: enabled + budget + display; display goes, the budget stays.
    body = shapes.claude_main(2)
    adapt("messages", body, "claude-haiku-4-5")
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 31999}


def test_adapt_strips_other_models_thinking_and_turns_thinking_off_mid_tool_loop() -> None:
    body = shapes.claude_main_adaptive(2)
    body["context_management"] = {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}
    body["output_config"] = {"effort": "high", "format": {"type": "json_schema", "schema": {}}}
    signed = {"type": "thinking", "thinking": "Let me read it.", "signature": "sig-of-sonnet"}
    body["messages"][1]["content"].insert(0, dict(signed))
    body["messages"][3]["content"].insert(0, dict(signed))
    notes = adapt("messages", body, "claude-haiku-4-5")
    kinds = [p["type"] for m in body["messages"] if m["role"] == "assistant" for p in m["content"]]
    assert "thinking" not in kinds
    assert "thinking" not in body and "context_management" not in body
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": {}}}
    assert any("thinking off" in n for n in notes)


def test_adapt_codex_for_its_mini() -> None:
    body, _ = shapes.codex(2)
    body["input"].insert(4, {"type": "reasoning", "summary": [], "encrypted_content": "gAAA"})
    body["reasoning"] = {"effort": "xhigh", "summary": "auto"}
    n_items = len(body["input"])
    notes = adapt("responses", body, "gpt-5-mini")
    assert body["model"] == "gpt-5-mini"
    assert len(body["input"]) == n_items - 1
    assert all(i.get("type") != "reasoning" for i in body["input"])
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert notes


MODELS = [
    "claude-opus-4-1", "claude-sonnet-4-5", "claude-3-7-sonnet-latest", "claude-haiku-4-5",
    "claude-opus-4-7-20260101", "gpt-5", "gpt-5-codex", "gpt-5.1-codex-max", "gpt-4o",
    "gpt-4.1", "gpt-5-mini", "o3", "llama-3-70b", "",
]  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(
    provider=st.sampled_from(["anthropic", "openai"]),
    model=st.one_of(st.sampled_from(MODELS), st.text(max_size=20)),
    to=st.one_of(st.none(), st.sampled_from([m for m in MODELS if provider_of(m)])),
    kind=st.sampled_from(["main", "subagent", "side"]),
    cheaper=st.booleans(),
)
def test_rules_never_route_across_providers(provider, model, to, kind, cheaper) -> None:
    small = smaller_model(provider, model)
    assert small is None or provider_of(small) == provider
    rules = RuleSet(rule=[Rule(name="r", action="route", to=to, require_cheaper=cheaper)])
    body = shapes.claude_title(model) if provider == "anthropic" else shapes.codex(2)[0]
    body["model"] = model
    f = features(body, provider=anthropic if provider == "anthropic" else openai_responses)
    f.provider, f.kind = provider, kind
    d = decide(f, rules, SessionMemory(), pinned=False)
    assert d.target is None or provider_of(d.target) == provider


def test_bad_rules_files_say_what_is_wrong(tmp_path: Path) -> None:
    cases = {
        "syntax.toml": ("[[rule]\nname = 'x'", "not valid TOML"),
        "field.toml": (
            "[[rule]]\nname = 'tiny'\naction = 'route'\nwhen = { kinds = ['side'] }",
            "rule 1 ('tiny'), when.kinds",
        ),
        "action.toml": ("[[rule]]\nname = 'a'\naction = 'teleport'", "rule 1 ('a'), action"),
        "target.toml": (
            "[[rule]]\nname = 'x'\naction = 'route'\nto = 'llama-3'",
            "not an Anthropic (claude-*) or OpenAI (gpt-*) model",
        ),
        "dupes.toml": (
            "[[rule]]\nname = 'a'\naction = 'stay'\n[[rule]]\nname = 'a'\naction = 'stay'",
            "unique: a",
        ),
        "margin.toml": ("[settings]\nmargin = 1.5", "settings.margin"),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(RulesError) as e:
            load(tmp_path / name)
        assert name in str(e.value) and expected in str(e.value), str(e.value)
    with pytest.raises(RulesError, match="cannot read"):
        load(tmp_path / "missing.toml")
    yaml = tmp_path / "r.yaml"
    yaml.write_text("rule:\n  - name: side\n    action: route\n    when: {kind: [side]}\n")
    assert load(yaml).rule[0].when.kind == ["side"]


def test_route_explain_cli(tmp_path: Path) -> None:
    request = tmp_path / "title.json"
    request.write_bytes(orjson.dumps(shapes.claude_title()))
    run = [sys.executable, "-m", "trimline.cli", "route", "--explain", str(request)]
    out = subprocess.run([*run, "--json"], capture_output=True, check=True)
    data = orjson.loads(out.stdout)
    assert data["rule"] == "side-request" and data["model"] == "claude-haiku-4-5"
    assert data["features"]["kind"] == "side"
    assert data["estimate"]["routed_usd"] < data["estimate"]["requested_usd"]
    text = subprocess.run(run, capture_output=True, check=True, text=True).stdout
    assert "rule: side-request" in text and "model: claude-haiku-4-5 (routed)" in text
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rule]]\nname='x'")
    p = subprocess.run([*run, "--rules", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and "rule 1 ('x'), action: Field required" in p.stderr


def test_routing_is_off_unless_asked_for() -> None:
    from trimline.cli.main import cli
    from trimline.cli.serve import build_options

    ctx = cli.commands["serve"].make_context("serve", [])
    assert ctx.params["routing"] is None
    opts = build_options(
        mode="forward", upstream=None, host="127.0.0.1", port=1, stats_port=2, db=Path("x"),
        threshold=300, hosts="h", confdir=None, redirect="",
    )  # fmt: skip
    assert opts["trimline_routing"] == ""
