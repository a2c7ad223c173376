"""Section 2: whole sessions replayed turn by turn, with and without a real ``trimline serve``.

Sources, each marked in the report:

- ``captured``: ``fixtures/sessions/*.jsonl``, one real request per line
  (``{"path", "headers", "body"}``), replayed as recorded;
- ``constructed``: real tool outputs from ``fixtures/`` in realistic turn sequences
  (run tests, search, read, edit, run again…), in Claude Code's wire format;
- ``SWE-agent``: the real runs in ``fixtures/corpora/swe-agent-trajectories`` (real
  observations, in the order the agent made them), converted to the same format.

Every request goes to a fake upstream twice: directly, and through ``trimline serve`` in
reverse mode. The bodies the fake received are what is measured: input tokens per turn
(cl100k_base on the JSON of each message), their compounding sum, and cost under a
prompt-cache model (see ``cost``). A stability pass then re-sends every request through the
same proxy, and each session's last request through a restarted one (same database), and
checks the compressed bytes against the first pass, turn over turn too.
"""

from __future__ import annotations

import glob
import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from trimline.compressors.tokens import count_tokens

from benchmarks.common import CORPORA, PRICE_MODELS, ROOT, price, saved_pct
from fixtures.load import Fixture
from tests.fake_anthropic import FakeAnthropic
from tests.fake_openai import FakeOpenAI
from tests.fake_upstream import FakeUpstream, Reply
from tests.proxy import trimline_serve

OUTPUT_TOKENS = 150  # billed output per turn: a short thought and a tool call
CAPTURED = ROOT / "fixtures" / "sessions"
TRAJECTORIES = CORPORA / "swe-agent-trajectories"
DROP_HEADERS = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "accept-encoding",
    "content-encoding",
    "authorization",
    "x-api-key",
    "proxy-authorization",
}


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Session:
    name: str
    source: str
    requests: list[Request] = field(default_factory=list)


class FakeBoth(FakeUpstream):
    """Answers the Anthropic Messages API and OpenAI's Chat Completions and Responses."""

    def __init__(self) -> None:
        super().__init__()
        # Only their answers are used: their own servers are closed at once.
        self.anthropic = FakeAnthropic()
        self.openai = FakeOpenAI()
        self.anthropic.httpd.server_close()
        self.openai.httpd.server_close()

    def answer(self, path: str, request: dict) -> Reply:
        if "/messages" in path.split("?")[0]:
            return self.anthropic.answer(path, request)
        return self.openai.answer(path, request)


# -- constructed sessions ---------------------------------------------------

SYSTEM = (
    "You are an agent for software engineering tasks, working in the user's repository "
    "through tools. Use the tools to run commands, search the code, read files and edit "
    "them; keep going until the task is done, then report briefly what you changed. "
    "Read a file before editing it, and keep edits minimal: change only what the task "
    "needs. Prefer running the project's own test command to check your work, and quote "
    "the failures you see. Never invent file contents or test results. When a command "
    "fails, read its error output and fix the cause rather than retrying blindly. Be "
    "concise in your messages: the user sees tool calls and their results."
)

TOOLS = [
    {
        "name": "Bash",
        "description": "Runs a shell command in the repository and returns its output.",
        "input_schema": {
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The command to run."},
                "description": {"type": "string"},
                "timeout": {"type": "number"},
            },
            "required": ["command"],
        },
    },
    {
        "name": "Read",
        "description": "Reads a file; each line is prefixed with its number and a tab.",
        "input_schema": {
            "type": "object",
            "properties": {
                "file_path": {"type": "string"},
                "offset": {"type": "integer"},
                "limit": {"type": "integer"},
            },
            "required": ["file_path"],
        },
    },
    {
        "name": "Edit",
        "description": "Replaces old_string with new_string in a file.",
        "input_schema": {
            "type": "object",
            "properties": {
                "file_path": {"type": "string"},
                "old_string": {"type": "string"},
                "new_string": {"type": "string"},
            },
            "required": ["file_path", "old_string", "new_string"],
        },
    },
    {
        "name": "Grep",
        "description": "Searches file contents with a regular expression.",
        "input_schema": {
            "type": "object",
            "properties": {
                "pattern": {"type": "string"},
                "path": {"type": "string"},
                "output_mode": {"type": "string"},
                "-n": {"type": "boolean"},
                "-C": {"type": "integer"},
            },
            "required": ["pattern"],
        },
    },
    {
        "name": "Glob",
        "description": "Lists files matching a glob pattern.",
        "input_schema": {
            "type": "object",
            "properties": {"pattern": {"type": "string"}, "path": {"type": "string"}},
            "required": ["pattern"],
        },
    },
]

# (task, steps); a step is a fixture id, or ("edit", path) for an Edit and its short result.
SCRIPTS: list[tuple[str, str, list[Any]]] = [
    (
        "python-fix-tests",
        "The test suite fails. Find out why and fix it.",
        [
            "logs/pytest_verbose",
            "search/grep_tool_context_init",
            "code/py_mitmproxy_http",
            ("edit", "mitmproxy/http.py"),
            "logs/pytest_quiet_tb_short",
            "code/py_pydantic_window_old_format",
            ("edit", "src/pydantic/main.py"),
            "logs/pytest_ra_tb_line",
            "logs/unittest_verbose",
        ],
    ),
    (
        "rust-build-and-test",
        "cargo build fails on main; make it build and get the tests green.",
        [
            "logs/cargo_build_errors",
            "code/rust_anyhow_error",
            ("edit", "src/main.rs"),
            "logs/cargo_test_failures",
            "search/rg_heading_raise",
            ("edit", "src/lib.rs"),
            "logs/cargo_test_failures",
        ],
    ),
    (
        "explore-codebase",
        "Explain how flows are handled in this code base and where the entry points are.",
        [
            "search/glob_addons_all",
            "search/grep_rl_flow",
            "search/grep_rc_yield",
            "code/go_pflag_flag",
            "search/grep_rn_def_pydantic",
            "code/java_arraylist",
            "code/ts_rxjs_testscheduler",
            "search/find_js_npm",
            "code/js_tar_unpack",
        ],
    ),
    (
        "c-extension-build",
        "pip install of the C extension fails; fix the build.",
        [
            "logs/pip_install_verbose",
            "logs/pip_install_sdist_error",
            "logs/make_gcc_errors",
            "code/c_pylsqpack_binding_cat_n",
            ("edit", "src/binding.c"),
            "logs/make_gcc_errors",
        ],
    ),
    (
        "review-and-commit",
        "Review the working tree changes and write a commit message.",
        [
            "vcs/status_long",
            "vcs/diff_working_tree",
            "vcs/log_stat",
            "vcs/show_head_1",
            "vcs/status_short_uall",
        ],
    ),
    (
        "web-assets-search",
        "Find where the web UI handles websocket messages.",
        [
            "search/grep_rni_minified_web",
            "code/py_mitmproxy_http",
            ("edit", "mitmproxy/http.py"),
            "logs/pytest_ra_tb_line",
        ],
    ),
]


def _thought(step: Any, fixture: Fixture | None) -> str:
    if fixture is None:
        return "I'll make the change."
    if fixture.kind == "logs":
        return "Let me run that and look at the output."
    if fixture.kind == "search":
        return "Let me search the code."
    return "Let me read the file."


def _body(messages: list[dict]) -> bytes:
    return orjson.dumps(
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 8192,
            "stream": True,
            "system": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
            "tools": TOOLS,
            "messages": messages,
        }
    )


def constructed(fixtures: list[Fixture], names: set[str] | None = None) -> list[Session]:
    by_id = {f.id: f for f in fixtures}
    sessions = []
    for name, task, steps in SCRIPTS:
        if names is not None and name not in names:
            continue
        session = Session(name, "constructed")
        messages: list[dict] = [{"role": "user", "content": task}]
        for i, step in enumerate(steps):
            if isinstance(step, tuple):
                fixture = None
                tool, tool_input = (
                    "Edit",
                    {"file_path": step[1], "old_string": "x = 1", "new_string": "x = 2"},
                )
                text, is_error = f"The file {step[1]} has been updated successfully.", False
            elif step in by_id:
                fixture = by_id[step]
                tool, tool_input = fixture.tool, fixture.tool_input
                text, is_error = fixture.text, fixture.is_error
            else:
                continue  # the fixture set changed: leave the step out
            use_id = f"toolu_{name}_{i:02d}"
            messages.append(
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": _thought(step, fixture)},
                        {"type": "tool_use", "id": use_id, "name": tool, "input": tool_input},
                    ],
                }
            )
            result: dict[str, Any] = {"type": "tool_result", "tool_use_id": use_id, "content": text}
            if is_error:
                result["is_error"] = True
            # Claude Code marks its newest tool result as the cache breakpoint.
            for m in messages:
                for item in m["content"] if isinstance(m["content"], list) else ():
                    item.pop("cache_control", None)
            result["cache_control"] = {"type": "ephemeral"}
            messages.append({"role": "user", "content": [result]})
            session.requests.append(Request("/v1/messages?beta=true", {}, _body(messages)))
        if len(session.requests) >= 2:
            sessions.append(session)
    return sessions


def swe_agent(limit: int | None = None) -> list[Session]:
    """Real SWE-agent runs: their observations in order, as Bash tool results."""
    sessions: list[Session] = []
    seen: set[str] = set()
    paths = sorted(glob.glob(str(TRAJECTORIES / "*.traj")))
    if not paths:  # a figure silently computed on fewer sessions would be a false figure
        raise SystemExit(f"no SWE-agent runs under {TRAJECTORIES}: is this a full clone?")
    for path in paths:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            continue
        steps = [s for s in data.get("trajectory", []) if s.get("action") is not None]
        history = data.get("history", [])
        key = hashlib.sha1(
            orjson.dumps([s.get("observation") for s in steps]), usedforsecurity=False
        ).hexdigest()
        if len(steps) < 2 or key in seen:
            continue
        seen.add(key)
        system = next((m["content"] for m in history if m.get("role") == "system"), SYSTEM)
        task = next((m["content"] for m in history if m.get("role") == "user"), "Solve the task.")
        if not isinstance(system, str) or not isinstance(task, str):
            continue
        parts = [
            p
            for p in Path(path).stem.split("__")
            if p not in ("trajectories", "demonstrations", "tests", "test_data", "gpt4")
        ]
        name = parts[-1][:40]
        if parts[0] == "replay" and len(parts) > 3:
            name = f"{name}/{parts[3][:32]}"
        while any(s.name == f"swe-agent:{name}" for s in sessions):
            name += "+"
        session = Session(f"swe-agent:{name}", "SWE-agent")
        messages: list[dict] = [{"role": "user", "content": task}]
        for i, step in enumerate(steps):
            use_id = f"toolu_swe_{i:02d}"
            thought = str(step.get("thought") or "")[:2000]
            content: list[dict] = [{"type": "text", "text": thought}] if thought else []
            content.append(
                {
                    "type": "tool_use",
                    "id": use_id,
                    "name": "bash",
                    "input": {"command": str(step["action"]).strip()},
                }
            )
            messages.append({"role": "assistant", "content": content})
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": use_id,
                            "content": str(step.get("observation") or ""),
                        }
                    ],
                }
            )
            body = {
                "model": "claude-sonnet-4-5",
                "max_tokens": 4096,
                "system": system,
                "messages": messages,
            }
            session.requests.append(Request("/v1/messages", {}, orjson.dumps(body)))
        sessions.append(session)
        if limit is not None and len(sessions) >= limit:
            break
    return sessions


def captured(limit: int | None = None) -> tuple[list[Session], list[str]]:
    """Sessions recorded from real agent CLIs; problems are returned, not raised."""
    sessions, problems = [], []
    for path in sorted(CAPTURED.glob("*.jsonl")) if CAPTURED.is_dir() else []:
        session = Session(path.stem, "captured")
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                body = entry["body"]
                raw = (
                    body.encode()
                    if isinstance(body, str)
                    else orjson.dumps(body)
                    if not isinstance(body, bytes)
                    else body
                )
                req_path = str(entry.get("path") or "/v1/messages")
                if not _measured_path(req_path):
                    continue
                headers = {
                    str(k): str(v)
                    for k, v in (entry.get("headers") or {}).items()
                    if str(k).lower() not in DROP_HEADERS
                }
                session.requests.append(Request(req_path, headers, raw))
            except (ValueError, KeyError, TypeError) as e:
                problems.append(f"{path.name}:{n}: {type(e).__name__}: {e}")
        if session.requests:
            sessions.append(session)
        if limit is not None and len(sessions) >= limit:
            break
    return sessions, problems


def _measured_path(path: str) -> bool:
    p = path.split("?")[0].rstrip("/")
    return p.endswith(("/v1/messages", "/chat/completions", "/responses"))


# -- replay ---------------------------------------------------------------


def _post(client: httpx.Client, base: str, req: Request, session: str) -> None:
    headers = {"content-type": "application/json", **req.headers}
    headers["x-trimline-session"] = session
    r = client.post(base + req.path, content=req.body, headers=headers)
    r.read()
    if r.status_code != 200:
        raise RuntimeError(f"{req.path} -> {r.status_code}: {r.text[:200]}")


def _replay(
    fake: FakeUpstream, client: httpx.Client, base: str, sessions: list[Session]
) -> list[list[bytes]]:
    received = []
    for s in sessions:
        bodies = []
        for req in s.requests:
            n = len(fake.received)
            _post(client, base, req, s.name)
            bodies.append(fake.received[n].decoded())
        received.append(bodies)
    return received


def _strip_cache_control(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip_cache_control(v) for v in value]
    return value


def segments(body: bytes) -> list[bytes]:
    """A request as cacheable segments: everything but the history, then each message.

    ``cache_control`` markers are left out: they mark where a prefix may be cached, they
    are not part of it (and Claude Code moves them every turn).
    """
    data = orjson.loads(body)
    key = "messages" if "messages" in data else "input" if "input" in data else None
    items = data.pop(key) if key else []
    if not isinstance(items, list):
        items = [items]
    head = orjson.dumps(_strip_cache_control(data), option=orjson.OPT_SORT_KEYS)
    return [head, *(orjson.dumps(_strip_cache_control(m)) for m in items)]


class _Counter:
    def __init__(self) -> None:
        self.cache: dict[bytes, int] = {}

    def __call__(self, segment: bytes) -> int:
        key = hashlib.blake2b(segment, digest_size=16).digest()
        if key not in self.cache:
            self.cache[key] = count_tokens(segment.decode("utf-8", "replace"))
        return self.cache[key]


def cost(bodies: list[bytes], count: _Counter) -> dict:
    """Per-turn tokens and the cache model over one session's requests.

    A request's longest run of leading segments equal to an earlier request's in the
    session (for a linear session, the previous turn) is read from the cache; the rest is
    written to it (a changed prefix pays the write again). Output: OUTPUT_TOKENS per turn.
    """
    turns = []
    earlier: list[list[bytes]] = []
    for body in bodies:
        segs = segments(body)
        tokens = [count(s) for s in segs]
        shared = 0
        for prev in earlier:
            k = 0
            while k < min(len(prev), len(segs)) and prev[k] == segs[k]:
                k += 1
            shared = max(shared, k)
        earlier.append(segs)
        total = sum(tokens)
        read = sum(tokens[:shared])
        turns.append({"tokens": total, "cache_read": read, "cache_write": total - read})
    out: dict[str, Any] = {
        "turns": len(turns),
        "per_turn_tokens": [t["tokens"] for t in turns],
        "tokens": sum(t["tokens"] for t in turns),
        "cache_read": sum(t["cache_read"] for t in turns),
        "cache_write": sum(t["cache_write"] for t in turns),
        "cost": {},
    }
    for provider, model in PRICE_MODELS:
        out["cost"][model] = sum(
            price(
                provider,
                model,
                total=t["tokens"],
                cache_read=t["cache_read"],
                cache_write=t["cache_write"],
                output=OUTPUT_TOKENS,
            )
            for t in turns
        )
    return out


def _prefix_checks(direct: list[bytes], through: list[bytes]) -> tuple[int, int, list[str]]:
    """Turn over turn: where the client re-sent the previous turn's history unchanged,
    the compressed request must start with the previous compressed request's bytes."""
    checks = same = 0
    failures = []
    for i in range(1, len(direct)):
        d_prev, d_cur = segments(direct[i - 1]), segments(direct[i])
        if d_cur[: len(d_prev)] != d_prev:
            continue  # not a continuation (a side request, a compaction): nothing to check
        t_prev, t_cur = segments(through[i - 1]), segments(through[i])
        checks += 1
        if t_cur[: len(t_prev)] == t_prev:
            same += 1
        else:
            failures.append(f"turn {i + 1}: prefix differs from turn {i}")
    return checks, same, failures


def run(sessions: list[Session], log: Callable[[str], None]) -> dict:
    count = _Counter()
    with FakeBoth() as fake, tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        client = httpx.Client(timeout=120)
        log(f"replaying {len(sessions)} sessions directly ...")
        direct = _replay(fake, client, fake.url, sessions)
        with trimline_serve(Path(tmp), upstream=fake.url) as proxy:
            log("replaying them through trimline serve ...")
            through = _replay(fake, client, proxy.url, sessions)
            log("re-sending every request (stability) ...")
            again = _replay(fake, client, proxy.url, sessions)
        log("re-sending each session's last request through a restarted proxy ...")
        with trimline_serve(Path(tmp), upstream=fake.url) as proxy:
            last = _replay(
                fake,
                client,
                proxy.url,
                [Session(s.name, s.source, s.requests[-1:]) for s in sessions],
            )
        client.close()

    rows = []
    stability = {"checks": 0, "identical": 0, "failures": []}
    for s, d, t, a, lst in zip(sessions, direct, through, again, last, strict=True):
        without, with_ = cost(d, count), cost(t, count)
        checks, same, failures = _prefix_checks(d, t)
        resend_same = sum(1 for x, y in zip(t, a, strict=True) if x == y)
        restart_same = 1 if lst[0] == t[-1] else 0
        n_checks = checks + len(t) + 1
        n_same = same + resend_same + restart_same
        stability["checks"] += n_checks
        stability["identical"] += n_same
        failures += [
            f"turn {i + 1}: re-send differs"
            for i, (x, y) in enumerate(zip(t, a, strict=True))
            if x != y
        ]
        if not restart_same:
            failures.append("last turn differs after a restart")
        stability["failures"] += [f"{s.name}: {f}" for f in failures]
        rows.append(
            {
                "session": s.name,
                "source": s.source,
                "turns": len(s.requests),
                "without": without,
                "with": with_,
                "saved_pct": saved_pct(without["tokens"], with_["tokens"]),
                "stability": {"checks": n_checks, "identical": n_same},
            }
        )
    stability["rate_pct"] = (
        round(100 * stability["identical"] / stability["checks"], 2)
        if stability["checks"]
        else 100.0
    )
    totals = _totals(rows)
    sources = sorted({r["source"] for r in rows})
    return {
        "sessions": rows,
        "totals": totals,
        "totals_by_source": {
            src: _totals([r for r in rows if r["source"] == src]) for src in sources
        },
        "stability": stability,
        "output_tokens_per_turn": OUTPUT_TOKENS,
        "prefix_tokens": {
            "constructed": count(segments(_body([{"role": "user", "content": "x"}]))[0]),
        },
    }


def _totals(rows: list[dict]) -> dict:
    out: dict[str, Any] = {"turns": sum(r["turns"] for r in rows)}
    for side in ("without", "with"):
        out[side] = {
            "tokens": sum(r[side]["tokens"] for r in rows),
            "cache_read": sum(r[side]["cache_read"] for r in rows),
            "cache_write": sum(r[side]["cache_write"] for r in rows),
            "cost": {m: sum(r[side]["cost"][m] for r in rows) for _, m in PRICE_MODELS},
        }
    out["saved_pct"] = saved_pct(out["without"]["tokens"], out["with"]["tokens"])
    out["cost_saved_pct"] = {
        m: saved_pct(out["without"]["cost"][m], out["with"]["cost"][m]) for _, m in PRICE_MODELS
    }
    return out
