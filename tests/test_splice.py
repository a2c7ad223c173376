"""Splicing: every byte outside the changed tool-result strings goes upstream as sent.

The check is independent of the walker: the rewritten body is cut at the replacement
strings, and the original must be those same pieces with, between them, one JSON string
each whose value is the tool output that was replaced.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.addons.providers import anthropic, openai_chat, openai_responses, splice
from trimline.addons.providers.base import ToolBlock
from trimline.addons.replay import Replay
from trimline.addons.rewrite import Rewriter
from trimline.compressors import Elision, Result

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = ROOT / "fixtures" / "sessions"
_DECODER = json.JSONDecoder()


def marker(n: int) -> str:
    return f"<<trimmed {n}>>"


class Decider:
    """Replaces every tool output of 40 characters or more by a numbered marker."""

    def __init__(self) -> None:
        self.replaced: list[str] = []
        self.seen: dict[tuple[str, str], str] = {}

    def __call__(self, block: ToolBlock) -> tuple[Result, bool] | None:
        if len(block.text) < 40:
            return None
        key = (block.tool_use_id, block.text)
        fresh = key not in self.seen
        if fresh:
            self.seen[key] = marker(len(self.seen))
        self.replaced.append(block.text)
        text = self.seen[key]
        return Result(text, "test", 10, 1, (Elision(1, 1, "test"),)), fresh


def check_spliced(raw: bytes, out: bytes, originals: dict[str, str], heads: dict[str, str]) -> int:
    """Asserts ``out`` is ``raw`` with whole JSON strings replaced, nothing else; returns
    how many were."""
    text_out = out.decode("utf-8", "surrogatepass")
    text_raw = raw.decode("utf-8", "surrogatepass")
    pos_out = pos_raw = 0
    n = 0
    while True:
        nxt = text_out.find('"', pos_out)
        found = None
        for m in originals:
            encoded = orjson.dumps(heads.get(m, "") + m).decode()
            i = text_out.find(encoded, pos_out)
            if i >= 0 and (found is None or i < found[0]):
                found = (i, encoded, m)
        if found is None:
            assert text_raw[pos_raw:] == text_out[pos_out:]
            return n
        i, encoded, m = found
        assert nxt >= 0
        gap = i - pos_out
        assert text_raw[pos_raw : pos_raw + gap] == text_out[pos_out:i]
        value, end = _DECODER.raw_decode(text_raw, pos_raw + gap)
        assert value == heads.get(m, "") + originals[m]
        pos_raw = end
        pos_out = i + len(encoded)
        n += 1


def run(rewriter: Rewriter, provider: Any, raw: bytes, decider: Decider, hint: str = ""):
    outcome = rewriter.rewrite(raw, provider, hint, decider)
    return outcome


def anthropic_session(rng: random.Random, turns: int) -> list[bytes]:
    """A Claude Code-like session: each body the last one plus a turn, the newest result
    carrying cache_control (taken off the one before, as Claude Code does)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Fix the tests."}]
    bodies = []
    for t in range(turns):
        for m in messages:
            if isinstance(m["content"], list):
                for part in m["content"]:
                    part.pop("cache_control", None)
        tid = f"toolu_{t}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": f"step {t}"},
                    {"type": "tool_use", "id": tid, "name": "Bash", "input": {"command": f"c{t}"}},
                ],
            }
        )
        output = "\n".join(f"line {t}.{i} {rng.random()}" for i in range(rng.randint(1, 30)))
        messages.append(
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": tid,
                        "content": output,
                        "cache_control": {"type": "ephemeral"},
                    }
                ],
            }
        )
        body = {
            "model": "claude-sonnet-4-5",
            "messages": messages,
            "system": [{"type": "text", "text": "You are Claude Code."}],
            "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
            "metadata": {"user_id": "u"},
            "max_tokens": 32000,
            "stream": True,
        }
        bodies.append(orjson.dumps(body))
    return bodies


def outputs_of(provider: Any, raw: bytes) -> dict[str, ToolBlock]:
    body = json.loads(raw.decode("utf-8", "surrogatepass"))
    return {b.text: b for b in provider.tool_blocks(body)}


def test_a_growing_session_is_spliced_and_replayed_identically() -> None:
    rng = random.Random(7)
    bodies = anthropic_session(rng, 40)
    replayed, fresh = Rewriter(), Rewriter(Replay(max_bytes=0))
    decider_a, decider_b = Decider(), Decider()
    for raw in bodies:
        a = replayed.rewrite(raw, anthropic, "s1", decider_a)
        b = fresh.rewrite(raw, anthropic, "s1", decider_b)
        assert a.out == b.out  # the replayed prefix is what a full walk gives
        assert (a.tokens_before, a.tokens_after) == (b.tokens_before, b.tokens_after)
        assert 0 <= a.tokens_after <= a.tokens_before
        blocks = outputs_of(anthropic, raw)
        originals = {decider_a.seen[(k.tool_use_id, k.text)]: k.text for k in blocks.values()
                     if (k.tool_use_id, k.text) in decider_a.seen}  # fmt: skip
        if a.out is not None:
            assert check_spliced(raw, a.out, originals, {}) == len(originals)
    # Later turns walk only what is new: the changed last message and the new turn.
    assert a.walked <= 3 < a.elements
    assert replayed.replay.hits >= len(bodies) - 2


RED_TEAM = [
    # An integer above 2**64 in a tool input, and floats that do not round-trip.
    b'{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1",'
    b'"name":"Bash","input":{"command":"ls","n":123456789012345678901234567890,"f":1.10}}]},'
    b'{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"'
    + b"x" * 60
    + b'"}]}],"stream":true,"max_tokens":100000000000000000000000}',
    # Escapes the agent chose (\\/ and \\u00e9) outside and inside the tool output.
    b'{"model":"m","messages":[{"role":"user","content":"caf\\u00e9 a\\/b"},'
    b'{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read","input":{}}]},'
    b'{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"'
    + b'caf\\u00e9 \\/ \\"quoted\\" ' * 5
    + b'"}]}]}',
    # Duplicate keys: the parse takes the last "content"; so must the splice.
    b'{"model":"m","model":"m2","messages":[{"role":"assistant","content":[{"type":"tool_use",'
    b'"id":"t1","name":"Bash","input":{}}]},{"role":"user","content":[{"type":"tool_result",'
    b'"tool_use_id":"t1","content":"ignored, the first of two","content":"' + b"y" * 80 + b'"}]}]}',
    # A lone surrogate in history, and pretty-printed whitespace.
    b'{ "model" : "m",\n  "messages" : [ {"role":"user","content":"bad \\ud800 here"} ,\n'
    b'  {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{}}]}'
    b' , {"role":"user","content":[ {"type":"tool_result","tool_use_id":"t1","content":[{"type":'
    b'"text","text":"' + b"z" * 50 + b'"}]} ]} ] ,\n "stream" : false }',
]


@pytest.mark.parametrize("raw", RED_TEAM, ids=["big-int", "escapes", "duplicates", "surrogate"])
def test_bytes_outside_changed_outputs_are_untouched(raw: bytes) -> None:
    decider = Decider()
    outcome = Rewriter().rewrite(raw, anthropic, "", decider)
    assert outcome.out is not None and decider.replaced
    originals = {marker(i): text for i, text in enumerate(dict.fromkeys(decider.replaced))}
    assert check_spliced(raw, outcome.out, originals, {}) == len(decider.replaced)
    parsed = json.loads(outcome.out.decode("utf-8", "surrogatepass"))
    assert [b.text for b in anthropic.tool_blocks(parsed)][-1] == marker(0)


@pytest.mark.parametrize("path", sorted(SESSIONS.glob("*.jsonl")), ids=lambda p: p.stem)
def test_recorded_sessions_splice_only_tool_outputs(path: Path) -> None:
    rewriter = Rewriter()
    decider = Decider()
    for line in path.read_bytes().splitlines():
        request = orjson.loads(line)
        body = request["body"]
        raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
        provider = openai_responses if "/responses" in request["path"] else anthropic
        decider.replaced.clear()
        outcome = rewriter.rewrite(raw, provider, "", decider)
        if outcome.out is None:
            continue
        blocks = {(b.tool_use_id, b.text): b for b in provider.tool_blocks(orjson.loads(raw))}
        originals = {m: k[1] for k, m in decider.seen.items() if k in blocks}
        heads = {m: blocks[k].head for k, m in decider.seen.items() if k in blocks}
        assert check_spliced(raw, outcome.out, originals, heads) >= 1


def test_openai_chat_results_are_spliced() -> None:
    body = {
        "model": "gpt-5",
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c1", "function": {"name": "sh", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "o" * 100},
        ],
    }
    raw = orjson.dumps(body, option=orjson.OPT_INDENT_2)
    decider = Decider()
    outcome = Rewriter().rewrite(raw, openai_chat, "", decider)
    assert outcome.out is not None
    assert check_spliced(raw, outcome.out, {marker(0): "o" * 100}, {}) == 1


def test_a_body_that_is_not_json_is_refused_whole() -> None:
    with pytest.raises(ValueError):
        Rewriter().rewrite(b'{"model":"m","messages":[{"role":"user"', anthropic, "", Decider())


def test_the_caches_bound_what_they_hold_in_bytes() -> None:
    """Their own byte counts are within reach of what tracemalloc measures, and stay
    under the bound however many sessions come by."""
    import tracemalloc

    from trimline.addons.decisions import Decisions

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        rewriter = Rewriter(Replay(max_bytes=8 << 20))
        rng = random.Random(3)
        for s in range(60):
            for raw in anthropic_session(rng, 12)[-2:]:
                rewriter.rewrite(raw, anthropic, f"s{s}", Decider())
        held = tracemalloc.get_traced_memory()[0] - base
        assert rewriter.replay.bytes <= 8 << 20
        assert held < 3 * (8 << 20)  # the count is of the right order, not a tenth of it
    finally:
        tracemalloc.stop()

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        decisions = Decisions(Path("/nonexistent/d.db"), lambda d: None, max_bytes=4 << 20)
        for i in range(2000):
            text = f"{i} " + "é" * 5000  # two bytes a character in Python's own storage
            decisions.put(i.to_bytes(4, "big"), Result(text, "t", 1, 1, (Elision(1, 1, "x"),)))
        held = tracemalloc.get_traced_memory()[0] - base
        assert decisions.bytes <= 4 << 20
        assert held < 2 * (4 << 20)
    finally:
        tracemalloc.stop()


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(value=st.lists(_JSON, max_size=6), indent=st.booleans())
def test_the_walk_finds_what_the_parser_finds(value: list, indent: bool) -> None:
    raw = json.dumps(value, indent=2 if indent else None, ensure_ascii=False).encode()
    spans = list(splice.elements(raw, splice.ws(raw, 0)))
    assert [json.loads(raw[s:e]) for s, e in spans] == value
    for (s, e), element in zip(spans, value, strict=True):
        assert splice.value_end(raw, s) == e
        if isinstance(element, dict):
            found = {name: json.loads(raw[a:b]) for name, a, b in splice.members(raw, s)}
            assert found == element
            for name in element:
                a, b = splice.locate(raw, s, (name,))
                assert json.loads(raw[a:b]) == element[name]
