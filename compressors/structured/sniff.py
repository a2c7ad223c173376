"""Recognising structured data without a command: JSON, YAML, TOML or a delimited table."""

from __future__ import annotations

import re

from trimline.compressors.base import Context
from trimline.compressors.structured.json import _parse_json
from trimline.compressors.structured.model import (
    _TOML_HEADER,
    _TOML_KEY,
    _YAML_BLOCK,
    SNIFF_LINES,
    _Bail,
)
from trimline.compressors.structured.rows import _numbered_rows
from trimline.compressors.structured.table import _delimiter


def _sniff_json(lines: list[str]) -> bool:
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if first not in ("{", "[") or len(lines) < 4:
        return False
    try:
        _parse_json(list(lines))
    except (_Bail, RecursionError):
        return False
    return True


_YAML_SNIFF_KEY = re.compile(
    r"""(?:- )*(?:[A-Za-z_$][\w.$/@-]*|"[^"]*"|'[^']*')[ \t]*:(?=[ \t]+\S|[ \t]*$)"""
)


def _sniff_yaml(lines: list[str]) -> bool:
    keys = structural = nested = total = 0
    text_indent = -1  # inside a block scalar: lines deeper than this are its text
    for line in lines:
        body = line.strip()
        if not body:
            continue
        indent = len(line) - len(line.lstrip(" "))
        if text_indent >= 0:
            if indent > text_indent:
                continue
            text_indent = -1
        if body.startswith("#"):
            continue
        total += 1
        if indent or body.startswith("-"):
            nested += 1
        m = _YAML_SNIFF_KEY.match(body)
        if m:
            keys += 1
            structural += 1
            if _YAML_BLOCK.match(body[m.end() :].strip() or "x"):
                text_indent = indent + (len(body) - len(body.lstrip("- ")))
        elif body.startswith("- ") or body == "-" or body in ("---", "..."):
            structural += 1
    return total >= 8 and keys >= 5 and nested >= 2 and structural >= 0.85 * total


def _sniff_toml(lines: list[str]) -> bool:
    sig = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if len(sig) < 8:
        return False
    headers = sum(1 for ln in sig if _TOML_HEADER.match(ln))
    keys = sum(1 for ln in sig if _TOML_KEY.match(ln))
    return headers >= 2 and headers + keys >= 0.85 * len(sig)


def sniff(text: str, ctx: Context) -> bool:
    head = text[: 200 * SNIFF_LINES]
    lines = [ln.rstrip("\r") for ln in head.split("\n", SNIFF_LINES)][:SNIFF_LINES]
    if len(head) < len(text) or len(lines) == SNIFF_LINES:
        lines = lines[:-1]  # maybe cut short
    numbered = _numbered_rows(lines)
    if numbered is not None:  # a Read result: judge the file, not its line numbers
        lines = [row for row in numbered[0] if row is not None]
    if _sniff_json(lines) or _sniff_toml(lines) or _sniff_yaml(lines):
        return True
    sample = [ln for ln in lines if ln.strip()]
    if len(sample) < 10 or max(len(ln) for ln in sample[:20]) > 2000:
        return False
    return _delimiter(sample, None) is not None
