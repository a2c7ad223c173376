"""Marker text: what a dropped run of log lines held, counted by kind."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from trimline.compressors.logs.model import _Log


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _describe(lg: _Log, start: int, end: int) -> str:
    tests: dict[str | None, Counter] = {}
    other: Counter = Counter()
    order: list[str] = []
    warn_kinds: Counter = Counter()
    longest = 0
    sources: list[str] = []  # file ranges of folded source listings
    first_seen: tuple = ()  # where a repeated traceback entry was printed first
    for label, group in groupby(lg.fold[start:end]):
        count = sum(1 for _ in group)
        if label is None:
            label = ("output",)
        kind = label[0]
        if kind not in other:
            order.append(kind)
        if kind == "pass":
            tests.setdefault(label[1], Counter())[label[2]] += count
            other[kind] += count
        elif kind == "suite":
            tests.setdefault(label[1], Counter())["SUITE"] += count
            other[kind] += count
        elif kind == "prog":
            _, key, passed, skipped, xfailed = label[:5]
            c = tests.setdefault(key, Counter())
            if len(label) > 5:
                c["FAILED"] += label[5] * count
            c["PASSED"] += passed * count
            c["SKIPPED"] += skipped * count
            c["XFAIL"] += xfailed * count
            other[kind] += count
        elif kind == "libframes":
            other[kind] += label[1] * count
        elif kind == "repeat":
            other[kind] += count
            first_seen = first_seen or label[1:]
        elif kind == "source" and len(label) == 4:
            other[kind] += count
            sources.append(f"{label[1]}:{label[2]}-{label[3]}")
        elif kind == "long":
            other[kind] += count
            longest = max(longest, label[1])
        elif kind == "warnings":
            other[kind] += count
            if label[1] is not None:
                warn_kinds[label[1]] += count
        else:
            other[kind] += count
    parts = []
    tests_done = False
    for kind in order:
        k = other[kind]
        if kind in ("pass", "suite", "prog"):
            if not tests_done:
                parts.append(_describe_tests(tests))
                tests_done = True
        elif kind == "goprog":
            parts.append(_plural(k, "test progress line"))
        elif kind == "similar":
            if "output" in other:
                continue  # counted with the output
            parts.append(f"{_plural(k, 'line')} like the one above")
        elif kind == "libframes":
            parts.append(_plural(k, "library frame"))
        elif kind == "libsource":
            parts.append(f"{_plural(k, 'line')} of library source")
        elif kind == "repeat":
            parts.append(f"{_plural(k, 'line')} as in lines {first_seen[0]}-{first_seen[1]}")
        elif kind == "rule":
            continue  # a "_ _ _" separator between traceback entries says nothing
        elif kind == "assertdiff":
            parts.append(f"{_plural(k, 'more line')} of the assertion's diff")
        elif kind == "self":
            parts.append("the self = <…> line")
        elif kind == "source":
            where = f" ({', '.join(sources[:2])}{', …' if len(sources) > 2 else ''})"
            parts.append(f"{_plural(k, 'line')} of source{where if sources else ''}")
        elif kind == "captured":
            parts.append(f"{_plural(k, 'line')} of captured output")
        elif kind == "passes":
            parts.append(f"{_plural(k, 'line')} of output from passing tests")
        elif kind == "warnings":
            total = sum(warn_kinds.values())
            top = ", ".join(f"{w} ×{c}" for w, c in warn_kinds.most_common(3))
            more = ", …" if len(warn_kinds) > 3 else ""
            parts.append(f"{_plural(total, 'more warning')} ({top}{more})")
        elif kind == "long":
            parts.append(
                f"a line of {longest:,} characters"
                if k == 1
                else f"{k:,} long lines (up to {longest:,} characters)"
            )
        elif kind == "blank":
            if len(order) == 1:
                parts.append(_plural(k, "blank line"))
        else:
            repeats = other["similar"]
            if repeats:
                parts.append(
                    f"{_plural(k + repeats, 'line')} of output, {repeats:,} of them repeats"
                )
            else:
                parts.append(f"{_plural(k, 'line')} of output")
    return "; ".join(parts) or "output"


def _describe_tests(tests: dict[str | None, Counter]) -> str:
    total: Counter = Counter()
    for c in tests.values():
        total.update(c)
    bits = []
    if total["PASSED"]:
        bits.append(_plural(total["PASSED"], "passing test"))
    if total["FAILED"]:
        bits.append(f"{total['FAILED']:,} failed")
    if total["SKIPPED"]:
        bits.append(f"{total['SKIPPED']:,} skipped")
    if total["XFAIL"]:
        bits.append(f"{total['XFAIL']:,} xfailed")
    if total["SUITE"]:
        bits.append(_plural(total["SUITE"], "passing suite"))
    text = ", ".join(bits) or "test progress"
    keys = [k for k in tests if k]
    if not keys:
        return text
    if len(keys) == 1:
        return f"{text} in {keys[0]}"
    counts = [f"{k}: {sum(tests[k].values()):,}" for k in keys[:3]]
    more = f", +{len(keys) - 3} more" if len(keys) > 3 else ""
    return f"{text} ({', '.join(counts)}{more})"
