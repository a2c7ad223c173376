"""Property tests of the request path and the compressors, in-process (no sockets).

The addon's request hook runs on mitmproxy test flows: for any bytes it never
raises, and a body it could not handle goes on byte-identical. For a valid
Anthropic, OpenAI Chat or Responses body, the forwarded body is valid JSON of
the same shape, with everything but tool result text unchanged, and each tool
result either unchanged or a faithful subset (original lines and markers).
Compressors, on adversarial text under every family's context: never raise,
never expand, deterministic.

``TRIMLINE_FUZZ_EXAMPLES`` scales the number of cases (``benchmarks/fuzz.py``
runs 100k through the same strategies).
"""

from __future__ import annotations

import asyncio
import copy
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils
from trimline.addons.trimline import Trimline
from trimline.compressors import Context, compress
from trimline.compressors.base import MARKER_PREFIX
from trimline.compressors.tokens import count_tokens

EXAMPLES = int(os.environ.get("TRIMLINE_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("TRIMLINE_FUZZ_RANDOM") is None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
# Twice the cases where a case is cheap (no compression of whole conversations).
FUZZ_CHEAP = settings(FUZZ, max_examples=2 * EXAMPLES)

# -- text: realistic lines of every family, and adversarial ones ---------------------

_word = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
_path = st.builds(
    lambda parts, ext: "/".join(parts) + ext,
    st.lists(_word, min_size=1, max_size=4),
    st.sampled_from([".py", ".ts", ".rs", ".go", ".md", ".json", ".txt", ""]),
)
_n = st.integers(0, 99999)
REALISTIC_LINE = st.one_of(
    st.builds("{}::test_{} PASSED  [{}%]".format, _path, _word, st.integers(0, 100)),
    st.builds("{}::test_{} FAILED".format, _path, _word),
    st.builds("E       AssertionError: assert {} == {}".format, _n, _n),
    st.builds("{}:{}:    {} = {}({})".format, _path, _n, _word, _word, _word),
    st.builds("{}:{}:{}: error: {}".format, _path, _n, _n, _word),
    st.builds("-rw-r--r--  1 user staff {} Jan  1 12:00 {}".format, _n, _path),
    st.builds("{}\t{}".format, _n, _path),
    st.builds("{:>6}\u2192    def {}(self, {}):".format, _n, _word, _word),
    st.builds("    return {} + {}".format, _word, _n),
    st.builds("+{}".format, st.text(max_size=40)),
    st.builds("-{}".format, st.text(max_size=40)),
    st.builds("@@ -{},{} +{},{} @@".format, _n, _n, _n, _n),
    st.builds("commit {}".format, st.text("0123456789abcdef", min_size=40, max_size=40)),
    st.builds('  "{}": {},'.format, _word, _n),
    st.builds("   Compiling {} v0.{}.{}".format, _word, _n, _n),
    st.builds("Traceback (most recent call last):".format),
    st.builds('  File "{}", line {}, in {}'.format, _path, _n, _word),
    st.builds('<div class="{}">{}</div>'.format, _word, _word),
    st.just(""),
)
_ANSI = st.sampled_from(
    ["\x1b[31m", "\x1b[0m", "\x1b[1;32m", "\x1b[2K", "\x1b[?25l", "\r", "\x1b]0;t\x07"]
)
ADVERSARIAL_LINE = st.one_of(
    st.text(max_size=200),  # any unicode, surrogates excluded by default
    st.text(st.characters(codec="utf-8"), min_size=500, max_size=5000),  # a very long line
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),  # binary noise
    st.binary(max_size=300).map(lambda b: b.decode("utf-8", "replace")),  # mixed encodings
    st.lists(st.one_of(_ANSI, _word, st.just(" ")), max_size=60).map("".join),  # ANSI soup
    st.text(" \t", max_size=3000),
    st.text("([{<>}])\"'\\", max_size=2000),
    st.builds(lambda c, n: c * n, st.sampled_from("x/:.=-#*0 "), st.integers(100, 5000)),
)
LINE = st.one_of(REALISTIC_LINE, REALISTIC_LINE, REALISTIC_LINE, ADVERSARIAL_LINE)


@st.composite
def tool_text(draw: st.DrawFn, max_lines: int = 120) -> str:
    lines = draw(st.lists(LINE, max_size=max_lines))
    if draw(st.booleans()):
        # Repetition is what compressors feed on: repeat a slice of the lines.
        lines = lines + lines[: draw(st.integers(0, len(lines)))] * draw(st.integers(1, 6))
    sep = draw(st.sampled_from(["\n", "\n", "\n", "\r\n"]))
    return sep.join(lines) + draw(st.sampled_from(["", "\n", sep]))


@st.composite
def compressible_text(draw: st.DrawFn) -> str:
    """Many lines of a few realistic shapes, with a few adversarial ones mixed in."""
    lines = draw(st.lists(REALISTIC_LINE, min_size=40, max_size=150))
    lines += draw(st.lists(ADVERSARIAL_LINE, max_size=3))
    lines = draw(st.permutations(lines)) if draw(st.booleans()) else lines
    return "\n".join(lines * draw(st.integers(1, 3)))


TOOL_TEXT = st.one_of(tool_text(), compressible_text())


# -- contexts of every family ----------------------------------------------------------

COMMANDS = [
    "pytest -v",
    "python -m pytest tests -x -q",
    "npm test",
    "cargo test",
    "go test ./...",
    "grep -rn TODO src",
    "rg -n foo",
    "ls -la",
    "find . -name '*.py'",
    "git diff",
    "git log -p",
    "git status",
    "cat data.json",
    "curl -s https://example.com",
    "make build",
    "",
]
CONTEXT = st.one_of(
    st.builds(lambda c: Context("Bash", {"command": c}), st.sampled_from(COMMANDS)),
    st.builds(
        lambda p, e: Context("Read", {"file_path": f"/repo/{p}"}, e),
        st.sampled_from(["a.py", "README.md", "package.json", "x.ts", "y.yaml", "z.html", "w"]),
        st.booleans(),
    ),
    st.builds(lambda p: Context("Grep", {"pattern": p, "output_mode": "content"}), _word),
    st.builds(lambda p: Context("Glob", {"pattern": p}), st.just("**/*.py")),
    st.builds(lambda u: Context("WebFetch", {"url": u}), st.just("https://example.com")),
    st.builds(lambda c: Context("exec_command", {"cmd": c}), st.sampled_from(COMMANDS)),
    st.builds(Context),
)


# -- request bodies per provider ---------------------------------------------------------


@st.composite
def anthropic_body(draw: st.DrawFn) -> dict:
    messages: list[dict] = [{"role": "user", "content": draw(st.text(max_size=50)) or "hi"}]
    turns = draw(st.integers(1, 3))
    for t in range(turns):
        calls = draw(st.lists(CONTEXT, min_size=1, max_size=3))
        uses = [
            {"type": "tool_use", "id": f"toolu_{t}_{i}", "name": c.tool, "input": c.tool_input}
            for i, c in enumerate(calls)
        ]
        messages.append(
            {"role": "assistant", "content": [{"type": "text", "text": "Let me check."}, *uses]}
        )
        results = []
        for i, c in enumerate(calls):
            text = draw(TOOL_TEXT)
            content: Any = text
            shape = draw(st.integers(0, 3))
            if shape == 1:
                content = [{"type": "text", "text": text}]
            elif shape == 2:
                image = {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"},
                }
                content = [{"type": "text", "text": text}, image]
            result = {"type": "tool_result", "tool_use_id": f"toolu_{t}_{i}", "content": content}
            if c.is_error:
                result["is_error"] = True
            if draw(st.booleans()):
                result["cache_control"] = {"type": "ephemeral"}
            results.append(result)
        messages.append({"role": "user", "content": results})
    body: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": messages}
    if draw(st.booleans()):
        body["system"] = [
            {
                "type": "text",
                "text": "You are a coding agent.",
                "cache_control": {"type": "ephemeral"},
            }
        ]
    if draw(st.booleans()):
        body["stream"] = True
    if draw(st.booleans()):
        body["tools"] = [{"name": "Bash", "input_schema": {"type": "object"}}]
    return body


@st.composite
def chat_body(draw: st.DrawFn) -> dict:
    messages: list[dict] = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "fix it"},
    ]
    for t in range(draw(st.integers(1, 3))):
        calls = draw(st.lists(CONTEXT, min_size=1, max_size=3))
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{t}_{i}",
                        "type": "function",
                        "function": {
                            "name": c.tool or "tool",
                            "arguments": orjson.dumps(c.tool_input).decode(),
                        },
                    }
                    for i, c in enumerate(calls)
                ],
            }
        )
        for i in range(len(calls)):
            text = draw(TOOL_TEXT)
            content: Any = [{"type": "text", "text": text}] if draw(st.booleans()) else text
            messages.append({"role": "tool", "tool_call_id": f"call_{t}_{i}", "content": content})
    body: dict[str, Any] = {"model": "gpt-5", "messages": messages}
    if draw(st.booleans()):
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return body


@st.composite
def responses_body(draw: st.DrawFn) -> dict:
    items: list[dict] = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}
    ]
    for t in range(draw(st.integers(1, 3))):
        calls = draw(st.lists(CONTEXT, min_size=1, max_size=3))
        for i, c in enumerate(calls):
            items.append(
                {
                    "type": "function_call",
                    "call_id": f"call_{t}_{i}",
                    "name": c.tool or "shell",
                    "arguments": orjson.dumps(c.tool_input).decode(),
                }
            )
        for i in range(len(calls)):
            text = draw(TOOL_TEXT)
            if draw(st.booleans()):
                text = f"Chunk ID: 1\nWall time: 0.1 seconds\nProcess exited with code {draw(st.integers(0, 2))}\nOutput:\n{text}"
            items.append(
                {"type": "function_call_output", "call_id": f"call_{t}_{i}", "output": text}
            )
    return {"model": "gpt-5-codex", "instructions": "be brief", "input": items, "stream": True}


PROVIDERS = {
    "/v1/messages": anthropic_body(),
    "/v1/chat/completions": chat_body(),
    "/v1/responses": responses_body(),
}


def tool_texts(path: str, body: dict) -> list[Any]:
    """Every tool result text, in order, found independently of the code under test."""
    out: list[Any] = []
    if path == "/v1/messages":
        for m in body["messages"]:
            for item in m["content"] if isinstance(m["content"], list) else ():
                if item.get("type") == "tool_result":
                    c = item["content"]
                    out += (
                        [c] if isinstance(c, str) else [p["text"] for p in c if p["type"] == "text"]
                    )
    elif path == "/v1/chat/completions":
        for m in body["messages"]:
            if m["role"] == "tool":
                c = m["content"]
                out += [c] if isinstance(c, str) else [p["text"] for p in c]
    else:
        out = [i["output"] for i in body["input"] if i["type"] == "function_call_output"]
    return out


def blank_tool_texts(path: str, body: dict) -> dict:
    body = copy.deepcopy(body)
    if path == "/v1/messages":
        for m in body["messages"]:
            for item in m["content"] if isinstance(m["content"], list) else ():
                if item.get("type") == "tool_result":
                    if isinstance(item["content"], str):
                        item["content"] = "<tool>"
                    else:
                        for p in item["content"]:
                            if p.get("type") == "text":
                                p["text"] = "<tool>"
    elif path == "/v1/chat/completions":
        for m in body["messages"]:
            if m["role"] == "tool":
                if isinstance(m["content"], str):
                    m["content"] = "<tool>"
                else:
                    for p in m["content"]:
                        p["text"] = "<tool>"
    else:
        for i in body["input"]:
            if i["type"] == "function_call_output":
                i["output"] = "<tool>"
    return body


def assert_faithful(before: str, after: str) -> None:
    """``after`` keeps lines of ``before`` in order, dropping runs behind marker lines."""
    if after == before:
        return
    assert count_tokens(after) <= count_tokens(before)
    original = before.split("\n")
    # Kept lines may have lost ANSI/carriage-return redraws in cleaning; compare loosely there.
    plain = {line for line in original}
    i = 0
    for line in after.split("\n"):
        if line.startswith(MARKER_PREFIX):
            continue
        if "\x1b" in before or "\r" in before:
            continue
        while i < len(original) and original[i] != line:
            i += 1
        assert i < len(original) or line in plain, f"line not in the original: {line[:120]!r}"
        i += 1


# -- the addon, in-process ---------------------------------------------------------------


@pytest.fixture(scope="module")
def addon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trimline]:
    trimline = Trimline()
    db = tmp_path_factory.mktemp("fuzz") / "t.db"
    with taddons.context(trimline) as tctx:
        # A low threshold: small generated outputs reach the compressors too.
        tctx.configure(
            trimline,
            trimline_db=str(db),
            trimline_threshold=40,
            trimline_hosts="api.anthropic.com,api.openai.com",
        )
        yield trimline
        trimline.done()


def make_flow(path: str, raw: bytes, encoding: str = "") -> http.HTTPFlow:
    headers = http.Headers(content_type="application/json")
    if encoding:
        headers["content-encoding"] = encoding
    req = tutils.treq(
        method=b"POST",
        host="api.anthropic.com" if path == "/v1/messages" else "api.openai.com",
        port=443,
        scheme=b"https",
        authority=b"",
        path=path.encode(),
        headers=headers,
        content=b"",
    )
    req.raw_content = raw
    return tflow.tflow(req=req)


def rewrite(addon: Trimline, path: str, raw: bytes) -> tuple[bytes, Any]:
    """The request hook's work on one body: the forwarded bytes, and the call record."""
    flow = make_flow(path, raw)
    match = addon._provider(flow)
    assert match is not None
    state = addon._start(*match, {})
    addon._rewrite(flow, state)
    return flow.request.raw_content, state.record


def check_valid_body(addon: Trimline, path: str, body: dict) -> None:
    raw = orjson.dumps(body)
    sent, record = rewrite(addon, path, raw)
    assert record.error is None
    if sent == raw:
        return
    forwarded = orjson.loads(sent)
    assert blank_tool_texts(path, forwarded) == blank_tool_texts(path, body)
    old, new = tool_texts(path, body), tool_texts(path, forwarded)
    assert len(old) == len(new)
    for a, b in zip(old, new, strict=True):
        assert isinstance(b, str)
        assert_faithful(a, b)
    assert any(a != b for a, b in zip(old, new, strict=True))


@pytest.mark.parametrize("path", list(PROVIDERS))
def test_valid_bodies_stay_valid_and_only_tool_text_changes(addon: Trimline, path: str) -> None:
    @FUZZ
    @given(PROVIDERS[path])
    def run(body: dict) -> None:
        check_valid_body(addon, path, body)

    run()


def test_replayed_history_is_byte_stable(addon: Trimline) -> None:
    """A turn re-sent with one more turn after it forwards its tool results as before."""

    @FUZZ
    @given(anthropic_body(), st.data())
    def run(body: dict, data: st.DataObject) -> None:
        first, _ = rewrite(addon, "/v1/messages", orjson.dumps(body))
        later = copy.deepcopy(body)
        later["messages"] += [
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "next", "name": "Bash", "input": {"command": "ls"}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "next",
                        "content": data.draw(tool_text()),
                    }
                ],
            },
        ]
        second, _ = rewrite(addon, "/v1/messages", orjson.dumps(later))
        assert (
            orjson.loads(second)["messages"][: len(body["messages"])]
            == orjson.loads(first)["messages"]
        )

    run()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
KEYS = [
    "messages",
    "input",
    "content",
    "role",
    "type",
    "tool_use_id",
    "tool_call_id",
    "call_id",
    "output",
    "text",
    "tool_calls",
    "function",
    "name",
    "arguments",
    "id",
    "model",
    "stream",
    "metadata",
    "user_id",
]
TYPES = [
    "tool_use",
    "tool_result",
    "text",
    "image",
    "function_call",
    "function_call_output",
    "custom_tool_call_output",
    "local_shell_call_output",
    "input_text",
]
PROVIDERISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(TYPES)
    | st.sampled_from(["user", "assistant", "tool", "function"])
    | tool_text(max_lines=10),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=6)
    ),
    max_leaves=40,
)


@st.composite
def any_body(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        raw = draw(st.binary(max_size=2000))
    elif kind == 1:
        raw = orjson.dumps(draw(JSON))
    elif kind == 2:
        raw = orjson.dumps(draw(PROVIDERISH))
    elif kind == 3:
        raw = orjson.dumps(
            {"model": "m", "messages": draw(PROVIDERISH), "input": draw(PROVIDERISH)}
        )
    else:
        raw = orjson.dumps(draw(draw(st.sampled_from(list(PROVIDERS.values())))))
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=20)) + raw[cut + draw(st.integers(0, 20)) :]
    encoding = draw(st.sampled_from(["", "", "", "gzip", "br", "zstd", "identity", "bogus"]))
    return raw, encoding


def test_any_body_never_raises_and_a_failure_forwards_it_unchanged(addon: Trimline) -> None:
    loop = asyncio.new_event_loop()

    @FUZZ_CHEAP
    @given(any_body(), st.sampled_from(list(PROVIDERS)))
    def run(case: tuple[bytes, str], path: str) -> None:
        raw, encoding = case
        flow = make_flow(path, raw, encoding)
        loop.run_until_complete(addon.request(flow))
        state = flow.metadata["trimline"]
        if state.record.error is not None:
            assert flow.request.raw_content == raw
        elif flow.request.raw_content != raw:
            # Changed: still valid JSON (the encoding is re-applied by mitmproxy).
            orjson.loads(flow.request.get_content())

    try:
        run()
    finally:
        loop.close()


@st.composite
def sse_stream(draw: st.DrawFn) -> list[bytes]:
    events = draw(
        st.lists(
            st.one_of(
                st.builds(
                    lambda n, d: f"event: {n}\ndata: {d}\n\n".encode(),
                    st.sampled_from(
                        ["message_start", "message_delta", "response.completed", "message", "x"]
                    ),
                    st.one_of(JSON.map(lambda v: orjson.dumps(v).decode()), st.text(max_size=50)),
                ),
                st.binary(max_size=100),
                st.just(b"data: [DONE]\n\n"),
                st.just(
                    b'data: {"usage": {"prompt_tokens": -3, "completion_tokens": "x"}}\r\n\r\n'
                ),
            ),
            max_size=20,
        )
    )
    blob = b"".join(events)
    cuts = sorted(draw(st.lists(st.integers(0, len(blob)), max_size=8)))
    return [blob[a:b] for a, b in zip([0, *cuts], [*cuts, len(blob)], strict=True)]


def test_any_response_stream_passes_through_untouched(addon: Trimline) -> None:
    @FUZZ_CHEAP
    @given(sse_stream(), st.sampled_from(list(PROVIDERS)), st.sampled_from(["", "gzip", "bogus"]))
    def run(chunks: list[bytes], path: str, encoding: str) -> None:
        flow = make_flow(path, b"{}")
        match = addon._provider(flow)
        flow.metadata["trimline"] = addon._start(*match, {})
        headers = {"content-type": "text/event-stream"}
        if encoding:
            headers["content-encoding"] = encoding
        flow.response = tutils.tresp(headers=http.Headers(**headers), content=b"")
        addon.responseheaders(flow)
        assert callable(flow.response.stream)
        assert [flow.response.stream(c) for c in chunks] == chunks
        addon.response(flow)

    run()


def test_any_json_response_is_read_without_raising(addon: Trimline) -> None:
    @FUZZ_CHEAP
    @given(
        st.one_of(JSON.map(orjson.dumps), st.binary(max_size=200)), st.sampled_from(list(PROVIDERS))
    )
    def run(content: bytes, path: str) -> None:
        flow = make_flow(path, b"{}")
        match = addon._provider(flow)
        flow.metadata["trimline"] = addon._start(*match, {})
        flow.response = tutils.tresp(content=content)
        addon.responseheaders(flow)
        addon.response(flow)

    run()


# -- compressors on adversarial text ---------------------------------------------------


@FUZZ_CHEAP
@given(tool_text(max_lines=300), CONTEXT, st.sampled_from([0, 50, 300]))
def test_compressors_never_fail_never_expand_and_are_deterministic(
    text: str, context: Context, threshold: int
) -> None:
    t0 = time.process_time()
    result = compress(text, context, threshold)
    assert time.process_time() - t0 < 2.0, f"{len(text)} chars took over 2 s under {context}"
    assert result.kind != "error", f"a compressor raised on this input under {context}"
    assert result.tokens_after <= result.tokens_before
    if result.changed:
        assert count_tokens(result.text) < count_tokens(text)
    else:
        assert result.text == text
    assert compress(text, context, threshold) == result


def test_a_block_the_token_estimate_misjudges_never_grows() -> None:
    """Found by the 100k-case run: lines of slashes are a few cl100k tokens each, but by byte
    classes they look like thousands; markers in their place cost more than they saved."""
    text = "\n".join(["Traceback (most recent call last):", "x" * 118, "/" * 2747] * 7)
    result = compress(text, Context("Bash", {"command": "pytest -v"}), 0)
    assert count_tokens(result.text) <= count_tokens(text)
    assert result.tokens_after <= result.tokens_before


def adversarial_mb(size: int) -> dict[str, str]:
    """Inputs shaped to trip backtracking regexes and quadratic loops."""
    return {
        "one long line": "x" * size,
        "long line of words": "ab " * (size // 3),
        "tabs": "\t" * size,
        "whitespace lines": (" " * 5000 + "\n") * (size // 5001),
        "brackets": "(" * (size // 2) + ")" * (size // 2),
        "colons": "a:" * (size // 2),
        "slashes": "/a" * (size // 2),
        "quotes": '"' * size,
        "ansi": "\x1b[31mE\x1b[0m \r" * (size // 12),
        "crlf": "FAILED x.py::t - AssertionError\r\n" * (size // 33),
        "digits": "1234567890" * (size // 10),
        "json-ish": '{"a": [' * (size // 16) + "]}" * (size // 16),
    }


SLOW_CONTEXTS = [
    Context("Bash", {"command": "pytest -v"}),
    Context("Bash", {"command": "grep -rn x ."}),
    Context("Bash", {"command": "ls -la"}),
    Context("Bash", {"command": "git diff"}),
    Context("Bash", {"command": "git log"}),
    Context("Read", {"file_path": "a.py"}),
    Context("Read", {"file_path": "a.json"}),
    Context("Read", {"file_path": "a.md"}),
    Context("Grep", {"pattern": "x"}),
    Context("Glob", {"pattern": "*"}),
    Context(),
]


@pytest.mark.parametrize(
    "context", SLOW_CONTEXTS, ids=lambda c: f"{c.tool}:{c.command or c.file_path}"
)
def test_no_pathological_slowness_on_large_adversarial_blocks(context: Context) -> None:
    # 256 KB here; benchmarks/fuzz.py runs 1 MB and reports anything over 2 s.
    for name, text in adversarial_mb(256 << 10).items():
        t0 = time.process_time()
        result = compress(text, context)
        took = time.process_time() - t0
        assert took < 2.0, f"{name}: {took:.2f} s on 256 KB"
        assert result.kind != "error", name
        assert count_tokens(result.text) <= count_tokens(text)


# -- the per-block time limit ------------------------------------------------------------


def test_a_compressor_over_its_time_limit_leaves_the_block_alone(
    addon: Trimline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = []

    def spin(text: str, context: Context, threshold: int):  # a pathological regex, in effect
        calls.append(text)
        deadline = time.process_time() + 3
        while time.process_time() < deadline:
            pass
        raise AssertionError("should have been abandoned")

    monkeypatch.setattr("trimline.addons.bounded.compress", spin)
    log = "\n".join(f"tests/test_{i}.py::test_{i} PASSED" for i in range(400))
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 5,
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t", "name": "Bash", "input": {"command": "pytest"}}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t", "content": log}],
            },
        ],
    }
    raw = orjson.dumps(body)
    from mitmproxy import ctx

    ctx.options.update(trimline_compress_limit_ms=200)
    try:
        t0 = time.monotonic()
        sent, record = rewrite(addon, "/v1/messages", raw)
        assert time.monotonic() - t0 < 1.5
        assert sent == raw
        assert [b.kind for b in record.blocks] == ["timeout"]
        # Decided once: the same block is never tried again (nor recorded again: one block
        # row per decision).
        sent, record = rewrite(addon, "/v1/messages", raw)
        assert sent == raw and record.blocks == [] and len(calls) == 1
    finally:
        ctx.options.update(trimline_compress_limit_ms=1000)
