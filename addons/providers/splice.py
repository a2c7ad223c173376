"""Finding values in a request's original bytes, so only changed strings are rewritten.

A body is never decoded and encoded again as a whole: that would change bytes the agent
sent and Trimline never meant to touch (an integer above 2**64 becomes a float, escapes
and key order change, a lone surrogate fails to parse). These functions walk the JSON
text just far enough to give byte spans: the members of an object, the elements of an
array, the string at a path. They trust the text to be JSON (each span Trimline rewrites
is checked by decoding it) and run at C speed on long strings (``bytes.find``), so a walk
costs about the number of brackets it passes, not the bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

_WS = re.compile(rb"[ \t\n\r]*")
_SPECIAL = re.compile(rb'[\[\]{}"]')
_SCALAR = re.compile(rb"[^,\]}\s]+")
_QUOTE, _BACKSLASH = 0x22, 0x5C
_OPEN, _CLOSE = (0x5B, 0x7B), (0x5D, 0x7D)

Path = tuple[str | int, ...]


class SpliceError(ValueError):
    """The bytes are not the JSON the walk expected."""


def ws(raw: bytes, pos: int) -> int:
    return _WS.match(raw, pos).end()  # type: ignore[union-attr]


_STRING_REST = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)


def string_end(raw: bytes, pos: int) -> int:
    """The end of the JSON string that starts (at its quote) at ``pos``: by ``find`` over
    the quotes (memchr speed), or, in a string with many escaped quotes, by one regex."""
    find = raw.find
    i = pos + 1
    for _ in range(16):
        j = find(b'"', i)
        if j < 0:
            raise SpliceError("unterminated string")
        k = j - 1
        while raw[k] == _BACKSLASH:
            k -= 1
        if (j - 1 - k) % 2 == 0:
            return j + 1
        i = j + 1
    # i is just past an escaped quote: the regex resumes there.
    m = _STRING_REST.match(raw, i)
    if m is None:
        raise SpliceError("unterminated string")
    return m.end()


def value_end(raw: bytes, pos: int) -> int:
    """The end of the JSON value that starts at ``pos``."""
    c = raw[pos]
    if c == _QUOTE:
        return string_end(raw, pos)
    if c not in _OPEN:
        m = _SCALAR.match(raw, pos)
        if m is None:
            raise SpliceError(f"no value at byte {pos}")
        return m.end()
    depth = 0
    search = _SPECIAL.search
    while True:
        m = search(raw, pos)
        if m is None:
            raise SpliceError("unterminated container")
        at = m.start()
        c = raw[at]
        if c == _QUOTE:
            pos = string_end(raw, at)
            continue
        if c in _OPEN:
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return at + 1
        pos = at + 1


def key_text(raw_key: bytes) -> str:
    """A member name as text (escapes decoded only where there are some)."""
    if _BACKSLASH in raw_key:
        return str(loads(raw_key))
    return raw_key[1:-1].decode("utf-8", "surrogatepass")


def members(raw: bytes, pos: int) -> Iterator[tuple[str, int, int]]:
    """(name, value start, value end) of each member of the object at ``pos``, in order
    (duplicates included: a reader takes the last, as orjson and most parsers do)."""
    if raw[pos] != 0x7B:
        raise SpliceError(f"no object at byte {pos}")
    pos = ws(raw, pos + 1)
    if raw[pos] == 0x7D:
        return
    while True:
        if raw[pos] != _QUOTE:
            raise SpliceError(f"no member name at byte {pos}")
        end = string_end(raw, pos)
        name = key_text(raw[pos:end])
        pos = ws(raw, end)
        if raw[pos] != 0x3A:
            raise SpliceError(f"no colon at byte {pos}")
        start = ws(raw, pos + 1)
        end = value_end(raw, start)
        yield name, start, end
        pos = ws(raw, end)
        c = raw[pos]
        if c == 0x2C:
            pos = ws(raw, pos + 1)
        elif c == 0x7D:
            return
        else:
            raise SpliceError(f"unexpected byte at {pos}")


def elements(raw: bytes, pos: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each element of the array that starts at ``pos``."""
    if raw[pos] != 0x5B:
        raise SpliceError(f"no array at byte {pos}")
    pos = ws(raw, pos + 1)
    if raw[pos] == 0x5D:
        return
    yield from elements_from(raw, pos)


def elements_from(raw: bytes, pos: int) -> Iterator[tuple[int, int]]:
    """Elements from the one that starts at ``pos`` to the array's end (a resumed walk)."""
    while True:
        end = value_end(raw, pos)
        yield pos, end
        pos = ws(raw, end)
        c = raw[pos]
        if c == 0x2C:
            pos = ws(raw, pos + 1)
        elif c == 0x5D:
            return
        else:
            raise SpliceError(f"unexpected byte at {pos}")


def after_element(raw: bytes, end: int) -> int | None:
    """Where the next element starts after one ending at ``end``; None at the array's end."""
    pos = ws(raw, end)
    c = raw[pos]
    if c == 0x2C:
        return ws(raw, pos + 1)
    if c == 0x5D:
        return None
    raise SpliceError(f"unexpected byte at {pos}")


def array_end(raw: bytes, end: int) -> int:
    """The position just past the ``]`` that follows the last element ending at ``end``."""
    pos = ws(raw, end)
    if raw[pos] != 0x5D:
        raise SpliceError(f"no array end at byte {pos}")
    return pos + 1


def locate(raw: bytes, start: int, path: Path) -> tuple[int, int]:
    """The span of the value at ``path`` inside the value at ``start``."""
    end = start
    for step in path:
        if isinstance(step, str):
            found = None
            for name, s, e in members(raw, start):
                if name == step:
                    found = (s, e)  # the last of duplicate names, as the parse saw it
            if found is None:
                raise SpliceError(f"no member {step!r}")
        else:
            found = None
            for i, (s, e) in enumerate(elements(raw, start)):
                if i == step:
                    found = (s, e)
                    break
            if found is None:
                raise SpliceError(f"no element {step}")
        start, end = found
    return start, end


def loads(data: bytes) -> Any:
    """orjson, or the standard library where orjson refuses what is still JSON (a lone
    surrogate escape, nesting past orjson's limit)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data.decode("utf-8", "surrogatepass"))


def dumps_str(text: str) -> bytes:
    """A string as JSON; one with a lone surrogate is written with ASCII escapes."""
    try:
        return orjson.dumps(text)
    except TypeError:
        return json.dumps(text).encode("ascii")


def first_member(raw: bytes) -> int | None:
    """Where the top-level object's first member starts; None for ``{}``."""
    pos = ws(raw, 0)
    if raw[pos] != 0x7B:
        raise SpliceError("the body is not a JSON object")
    pos = ws(raw, pos + 1)
    return None if raw[pos] == 0x7D else pos


def member_at(raw: bytes, pos: int) -> tuple[str, int]:
    """The name of the member at ``pos`` and where its value starts."""
    if raw[pos] != _QUOTE:
        raise SpliceError(f"no member name at byte {pos}")
    end = string_end(raw, pos)
    name = key_text(raw[pos:end])
    pos = ws(raw, end)
    if raw[pos] != 0x3A:
        raise SpliceError(f"no colon at byte {pos}")
    return name, ws(raw, pos + 1)


def after_member(raw: bytes, end: int) -> int | None:
    """Where the next member starts after a value ending at ``end``; None at the end."""
    pos = ws(raw, end)
    c = raw[pos]
    if c == 0x2C:
        return ws(raw, pos + 1)
    if c == 0x7D:
        if ws(raw, pos + 1) != len(raw):
            raise SpliceError("bytes after the body")
        return None
    raise SpliceError(f"unexpected byte at {pos}")
