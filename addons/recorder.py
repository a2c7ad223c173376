"""``trimline serve --record DIR``: saves each API call of a session, sanitised, for replay.

One JSON object per call, appended to ``DIR/<session>.jsonl``: ``method``, ``path``,
``headers`` and ``body`` as the agent sent them (before compression), then
``response`` with its status, headers and body (for a stream, the raw event
text). This is the format of ``fixtures/sessions/``, which the benchmark harness replays.

Credentials never reach the file. Headers are kept from an allow-list (what a replay needs
and what tells agents apart: content type, API versions and betas, user agent,
``x-stainless-*``, agents' session and turn ids); every other header is dropped, and so is
any whose name looks like a credential. Query parameters named like a credential
(``key``, ``api_key``, ``token``, ``sig``…) are dropped from the path. Every string in the
bodies and kept header values goes through ``trimline.core.secrets.mask`` (detect-secrets'
detectors): keys, tokens, private keys and ``password = …`` values become ``[secret masked]``.
"""

from __future__ import annotations

import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from mitmproxy import ctx, http
from trimline.addons.streams import decoder
from trimline.core.secrets import CREDENTIAL_NAME, mask

log = logging.getLogger(__name__)

# What a replay needs and what tells agents and sessions apart (Claude Code's and Codex's
# session and turn headers): nothing else is written.
REQUEST_HEADERS = frozenset(
    {
        "content-type",
        "accept",
        "anthropic-version",
        "anthropic-beta",
        "anthropic-dangerous-direct-browser-access",
        "openai-beta",
        "user-agent",
        "x-app",
        "x-claude-code-session-id",
        "originator",
        "session-id",
        "session_id",
        "thread-id",
        "conversation-id",
        "x-codex-turn-metadata",
        "x-codex-beta-features",
        "version",
    }
)
RESPONSE_HEADERS = frozenset(
    {
        "content-type",
        "request-id",
        "x-request-id",
        "retry-after",
        "x-should-retry",
        "openai-processing-ms",
        "openai-version",
    }
)
REQUEST_PREFIXES = ("x-stainless-",)
RESPONSE_PREFIXES = ("anthropic-ratelimit-", "x-ratelimit-", "x-trimline-")
MAX_STREAM_BYTES = 16 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _allowed(name: str, names: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    name = name.lower()
    if CREDENTIAL_NAME.search(name.removeprefix("x-stainless-")):
        return False
    return name in names or name.startswith(prefixes)


def sanitised(headers: Any, response: bool = False) -> dict[str, str]:
    """The allowed headers, their values masked."""
    names, prefixes = (
        (RESPONSE_HEADERS, RESPONSE_PREFIXES) if response else (REQUEST_HEADERS, REQUEST_PREFIXES)
    )
    return {k: mask(v) for k, v in headers.items() if _allowed(k, names, prefixes)}


def sanitised_path(path: str) -> str:
    """The path without credential-looking query parameters."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    kept = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not CREDENTIAL_NAME.search(k)
    ]
    return f"{base}?{urlencode(kept)}" if kept else base


# Each turn re-sends the session's history: its strings are masked once, not every turn.
# Short strings (keys, ids, roles) by the many, longer ones (prompts, tool outputs) fewer,
# none over 32 KB: the cache holds at most ~16 MB of them.
_mask_short = lru_cache(maxsize=65536)(mask)
_mask_long = lru_cache(maxsize=512)(mask)


def masked(value: Any) -> Any:
    """A JSON value with every string masked (keys too: a dict keyed by secrets is rare but
    cheap to cover)."""
    if isinstance(value, str):
        if len(value) <= 256:
            return _mask_short(value)
        return _mask_long(value) if len(value) <= 32768 else mask(value)
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, dict):
        return {mask(k): masked(v) for k, v in value.items()}
    return value


def _json_or_text(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")


class Recorder:
    def __init__(self) -> None:
        self.out: Path | None = None
        # Masking a large body takes a while: one worker, off the proxy's event loop, in
        # the order calls end; ``done`` waits for it, so no record is lost at exit.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="trimline-record")

    def load(self, loader: Any) -> None:
        loader.add_option(
            "trimline_record", str, "", "Directory to save sanitised API calls to, per session."
        )

    def configure(self, updated: set[str]) -> None:
        if "trimline_record" in updated:
            value = ctx.options.trimline_record
            self.out = Path(value).expanduser() if value else None
            if self.out is not None:
                # Prompts and tool outputs: readable by their owner only.
                self.out.mkdir(mode=0o700, parents=True, exist_ok=True)

    def request(self, flow: http.HTTPFlow) -> None:
        # Runs after the Trimline addon, which keeps the body as the agent sent it.
        state = flow.metadata.get("trimline")
        if self.out is None or state is None:
            return
        original = state.record.request_json or flow.request.get_content(strict=False) or b""
        flow.metadata["trimline_recorded"] = {
            "method": flow.request.method,
            "path": sanitised_path(flow.request.path),
            "headers": sanitised(flow.request.headers),
            "body": original or None,  # masked off the event loop, with the response
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

    def done(self) -> None:
        self._worker.shutdown(wait=True)

    def response(self, flow: http.HTTPFlow) -> None:
        row = flow.metadata.pop("trimline_recorded", None)
        if row is None or self.out is None or flow.response is None:
            return
        chunks = row.pop("_chunks", None)
        if chunks is not None:
            body: Any = b"".join(chunks).decode("utf-8", "replace")
        else:
            body = flow.response.get_content(strict=False) or None
        row["response"] = {
            "status": flow.response.status_code,
            "headers": sanitised(flow.response.headers, response=True),
            "body": body,
        }
        try:
            self._worker.submit(self._write, self.out, row)
        except RuntimeError:  # stopping: the worker is gone
            self._write(self.out, row)

    def _write(self, out: Path, row: dict[str, Any]) -> None:
        try:
            for part in (row, row["response"]):
                body = part["body"]
                if isinstance(body, bytes):
                    body = _json_or_text(body)
                part["body"] = masked(body)
            session = _UNSAFE.sub("_", row.pop("session") or "unknown")[:100]
            line = orjson.dumps(row) + b"\n"
            fd = os.open(out / f"{session}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with open(fd, "ab") as f:
                f.write(line)
        except Exception:
            log.exception("trimline: could not record a call")
