"""``trimline serve --record DIR``: saves each API call of a session, sanitised, for replay.

One JSON object per call, appended to ``DIR/<session>.jsonl``: ``method``, ``path``,
``headers`` and ``body`` as the agent sent them (before compression), then
``response`` with its status, headers and body (for a stream, the raw event
text). Credentials never reach the file: auth headers, API keys, cookies and
proxy credentials are dropped. This is the format of ``fixtures/sessions/``,
which the benchmark harness replays.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import orjson
from mitmproxy import ctx, http
from trimline.addons.streams import decoder

log = logging.getLogger(__name__)

SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "cookie", "set-cookie", "proxy-authorization"}
)
MAX_STREAM_BYTES = 16 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sanitised(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}


def _json_or_text(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")


class Recorder:
    def __init__(self) -> None:
        self.out: Path | None = None

    def load(self, loader: Any) -> None:
        loader.add_option(
            "trimline_record", str, "", "Directory to save sanitised API calls to, per session."
        )

    def configure(self, updated: set[str]) -> None:
        if "trimline_record" in updated:
            value = ctx.options.trimline_record
            self.out = Path(value).expanduser() if value else None
            if self.out is not None:
                self.out.mkdir(parents=True, exist_ok=True)

    def request(self, flow: http.HTTPFlow) -> None:
        # Runs after the Trimline addon, which keeps the body as the agent sent it.
        state = flow.metadata.get("trimline")
        if self.out is None or state is None:
            return
        original = state.record.request_json or flow.request.get_content(strict=False) or b""
        flow.metadata["trimline_recorded"] = {
            "method": flow.request.method,
            "path": flow.request.path,
            "headers": sanitised(flow.request.headers),
            "body": _json_or_text(original) if original else None,
            "session": state.record.session,
        }

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        row = flow.metadata.get("trimline_recorded")
        if row is None or flow.response is None or not callable(flow.response.stream):
            return
        passthrough = flow.response.stream
        chunks: list[bytes] = []
        size = 0
        try:
            decode = decoder(flow.response.headers.get("content-encoding", ""))
        except ValueError:
            return

        def tee(chunk: bytes) -> bytes:
            nonlocal size
            if size < MAX_STREAM_BYTES:
                try:
                    chunks.append(decode(chunk))
                except Exception:
                    size = MAX_STREAM_BYTES  # undecodable: stop recording, keep streaming
                size += len(chunk)
            return passthrough(chunk)

        row["_chunks"] = chunks
        flow.response.stream = tee

    def response(self, flow: http.HTTPFlow) -> None:
        row = flow.metadata.pop("trimline_recorded", None)
        if row is None or self.out is None or flow.response is None:
            return
        chunks = row.pop("_chunks", None)
        if chunks is not None:
            body: Any = b"".join(chunks).decode("utf-8", "replace")
        else:
            content = flow.response.get_content(strict=False) or b""
            body = _json_or_text(content) if content else None
        row["response"] = {
            "status": flow.response.status_code,
            "headers": sanitised(flow.response.headers),
            "body": body,
        }
        session = _UNSAFE.sub("_", row.pop("session") or "unknown")[:100]
        try:
            with open(self.out / f"{session}.jsonl", "ab") as f:
                f.write(orjson.dumps(row) + b"\n")
        except OSError:
            log.exception("trimline: could not record a call")
