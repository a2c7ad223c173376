"""Runs inside headroom-ai's own virtualenv (never imported by Trimline's code).

stdin: JSON ``{"model": str, "config": {...CompressConfig fields}, "blocks": [{"id", "tool",
"tool_input", "text", "is_error"}]}``. stdout: JSON ``{"version": str, "results": [{"id",
"text", "seconds", "transforms", "error"}]}``. Each block is wrapped in the smallest
conversation an agent sends: the task, the assistant's tool_use, the user's tool_result.
"""

from __future__ import annotations

import json
import logging
import sys
import time


def conversation(block: dict) -> list[dict]:
    return [
        {"role": "user", "content": "Work on the task in this repository."},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_bench_1",
                    "name": block["tool"] or "Bash",
                    "input": block["tool_input"] or {},
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_bench_1",
                    "content": block["text"],
                    "is_error": bool(block["is_error"]),
                }
            ],
        },
    ]


def result_text(messages: list[dict]) -> str:
    content = messages[-1]["content"]
    if isinstance(content, str):
        return content
    parts = []
    for item in content:
        if item.get("type") == "tool_result":
            inner = item.get("content", "")
            if isinstance(inner, list):
                inner = "".join(b.get("text", "") for b in inner if isinstance(b, dict))
            parts.append(inner)
        elif item.get("type") == "text":
            parts.append(item.get("text", ""))
    return "".join(parts)


def main() -> int:
    logging.disable(logging.WARNING)
    request = json.load(sys.stdin)
    from importlib.metadata import version

    from headroom import compress

    out = []
    for block in request["blocks"]:
        t0 = time.perf_counter()
        try:
            r = compress(conversation(block), model=request["model"], **request["config"])
            out.append(
                {
                    "id": block["id"],
                    "text": result_text(r.messages),
                    "seconds": time.perf_counter() - t0,
                    "transforms": list(r.transforms_applied)[:12],
                    "error": None,
                }
            )
        except Exception as e:  # reported per block, never silently dropped
            out.append(
                {
                    "id": block["id"],
                    "text": block["text"],
                    "seconds": 0.0,
                    "transforms": [],
                    "error": f"{type(e).__name__}: {e}"[:300],
                }
            )
    json.dump({"version": version("headroom-ai"), "results": out}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
