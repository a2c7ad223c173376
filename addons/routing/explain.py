"""``trimline route --explain REQUEST.json [--rules FILE] [--json]``: why a request would
(or would not) be routed — its features, both cost estimates, the rule, the model.

REQUEST.json is a request body, or a call recorded by ``trimline serve --record`` /
``fixtures/sessions`` (``{"path", "headers", "body"}``); a JSONL file's earlier lines are
replayed first, as the session's earlier calls on the models they would have gone to,
so the cache estimate is the one the proxy would make. A lone body is taken as a turn
of a warm session: everything before its newest message was cached by the previous
turn on the model asked for (``--cold``: nothing cached).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import orjson
from trimline.addons.providers import anthropic, openai_chat, openai_responses
from trimline.addons.routing.adapt import adapt
from trimline.addons.routing.decide import decide
from trimline.addons.routing.features import compute
from trimline.addons.routing.memory import SessionMemory
from trimline.addons.routing.rules import RulesError, RuleSet, load

SESSION = "explain"


def _provider(path: str | None, body: dict[str, Any]):
    if path:
        for p in (anthropic, openai_chat, openai_responses):
            endpoint = p.endpoint("POST", path)
            if endpoint:
                return p, endpoint
    if "input" in body:
        return openai_responses, "responses"
    if str(body.get("model", "")).startswith("claude") or "system" in body:
        return anthropic, "messages"
    return openai_chat, "chat_completions"


def _call(entry: dict[str, Any]) -> tuple[str | None, dict[str, str], dict[str, Any]]:
    if isinstance(entry.get("body"), dict | str) and ("path" in entry or "headers" in entry):
        body = entry["body"]
        body = orjson.loads(body) if isinstance(body, str) else body
        headers = {str(k).lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
        return entry.get("path"), headers, body
    return None, {}, entry


def explain(entries: list[dict[str, Any]], rules: RuleSet, *, cold: bool = False) -> dict[str, Any]:
    """The decision for the last entry, the earlier ones replayed as its session."""
    memory = SessionMemory(rules.settings.cache_ttl_s)
    result: dict[str, Any] = {}
    for n, entry in enumerate(entries):
        path, headers, body = _call(entry)
        provider, endpoint = _provider(path, body)
        f = compute(provider.name, endpoint, body, headers, provider.tool_blocks(body), SESSION)
        last = n == len(entries) - 1
        if last and len(entries) == 1 and not cold and len(f.prefix_hashes) > 2:
            # A lone turn of a warm session: the previous turn sent all but the newest message.
            memory.remember(SESSION, f.model, f.prefix_hashes[:-1], f.prefix_tokens[:-1])
        pinned = memory.pinned(SESSION)
        d = decide(f, rules, memory, pinned=pinned)
        s = rules.settings
        memory.outcome(SESSION, failed=f.error, streak=s.error_streak, turns=s.sticky_turns)
        memory.remember(SESSION, d.target or f.model, f.prefix_hashes, f.prefix_tokens)
        if last:
            adapted = copy.deepcopy(body)
            notes = adapt(endpoint, adapted, d.target) if d.target else []
            result = {
                "provider": provider.name,
                "endpoint": endpoint,
                "features": f.public(),
                **d.public(),
                "adaptations": notes,
            }
    return result


def _entries(path: Path, line: int | None) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        return [orjson.loads(text)]
    except orjson.JSONDecodeError:
        pass
    entries = [orjson.loads(x) for x in text.splitlines() if x.strip()]
    if line is not None:
        if not 1 <= line <= len(entries):
            raise ValueError(f"--line {line}: the file has {len(entries)} line(s)")
        entries = entries[:line]
    return entries


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.6f}"


def main(args: argparse.Namespace) -> int:
    try:
        rules = load(args.rules)
        entries = _entries(Path(args.explain), args.line)
        if not entries:
            raise ValueError("no request in the file")
        out = explain(entries, rules, cold=args.cold)
    except (RulesError, OSError, ValueError) as e:
        print(f"trimline route: {e}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(out, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    f = out["features"]
    print(f"request: {out['provider']} {out['endpoint']}, model {out['requested_model']}")
    print("features:")
    for key, value in f.items():
        if key == "instruction":
            value = (value[:100] + "…") if len(value) > 100 else value
        print(f"  {key:<15} {value}")
    e = out["estimate"]
    if e:
        print("estimated cost of this turn:")
        print(
            f"  {out['requested_model']:<28} {_money(e['requested_usd'])}"
            f"  ({e['cached_tokens_requested']:,} tokens cached)"
        )
        target = out["routed_model"] or "smaller model"
        print(
            f"  {target:<28} {_money(e['routed_usd'])}"
            f"  ({e['cached_tokens_routed']:,} tokens cached)"
        )
    print(f"rule: {out['rule'] or '(none matched)'} — {out['reason']}")
    print(f"model: {out['model']}" + (" (routed)" if out["routed_model"] else ""))
    for note in out["adaptations"]:
        print(f"  adapted: {note}")
    return 0
