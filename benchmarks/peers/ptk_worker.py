"""Runs inside python-token-killer's own virtualenv (never imported by Trimline's code).

stdin: JSON ``{"blocks": [{"id", "text"}]}``; stdout: JSON ``{"version", "results": [{"id",
"text", "seconds", "error"}]}``. ``ptk.minimize(text)`` with its defaults, as its README shows
for compressing a tool message between agent steps.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version


def main() -> int:
    import ptk

    request = json.load(sys.stdin)
    out = []
    for block in request["blocks"]:
        t0 = time.perf_counter()
        try:
            text = ptk.minimize(block["text"])
            out.append(
                {
                    "id": block["id"],
                    "text": text,
                    "seconds": time.perf_counter() - t0,
                    "error": None,
                }
            )
        except Exception as e:
            out.append(
                {
                    "id": block["id"],
                    "text": block["text"],
                    "seconds": 0.0,
                    "error": f"{type(e).__name__}: {e}"[:300],
                }
            )
    json.dump({"version": version("python-token-killer"), "results": out}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
