"""Which listing lines fold, and how a folded run is described: noise directories' contents,
the middle of very long directories, with counts by extension."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from trimline.compressors.base import Context
from trimline.compressors.listing.parse import _is_noise, _Item, _Roots

HEAD = 40  # entries a very long directory keeps from its start
TAIL = 10  # ... and from its end
LONG_DIR = 100  # a directory with more direct entries than this is "very long"
MAX_KEPT_DIRS = 20  # a long directory keeps its subdirectories when it has at most this many


def _ext(name: str, is_dir: bool) -> str:
    if is_dir:
        return "directories"
    dot = name.rfind(".")
    if dot <= 0 or dot == len(name) - 1 or len(name) - dot > 12:
        return "without extension"
    return name[dot:]


def _labels(
    items: dict[int, _Item],
    roots: _Roots,
    labels: dict[int, tuple],
    noise: bool,
    spare: frozenset[str] = frozenset(),
) -> dict[int, tuple]:
    if noise:
        for i, item in items.items():
            parts = item.parts
            for k in range(len(parts) - 1):
                part = parts[k]
                if _is_noise(part, spare):
                    where = roots.display[item.root] + "/".join(parts[: k + 1]) + "/"
                    labels[i] = ("noise", where, item.entry)
                    break
    groups: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for i, item in items.items():
        if item.entry and i not in labels:
            groups.setdefault((item.root, item.parts[:-1]), []).append(i)
    dropped: dict[tuple[int, tuple[str, ...]], str] = {}
    for (root, parent), members in groups.items():
        if len(members) <= LONG_DIR:
            continue
        where = roots.display[root] + "".join(p + "/" for p in parent)
        middle = members[HEAD:-TAIL]
        keep_dirs = sum(items[i].is_dir for i in middle) <= MAX_KEPT_DIRS
        for i in middle:
            item = items[i]
            if item.is_dir and keep_dirs:
                continue
            labels[i] = ("long", where, _ext(item.parts[-1], item.is_dir))
            dropped[(root, item.parts)] = where
    if dropped:
        for i, item in items.items():
            if i in labels:
                continue
            for m in range(1, len(item.parts)):
                where = dropped.get((item.root, item.parts[:m]))
                if where is not None:
                    labels[i] = ("under", where, item.entry)
                    break
    return labels


def _plural(n: int, word: str, plural: str) -> str:
    return f"{n:,} {word if n == 1 else plural}"


def _summary(labels: list[tuple]) -> str:
    noise: dict[str, int] = {}
    long: dict[str, Counter] = {}
    under: dict[str, int] = {}
    for label in labels:
        kind, where = label[0], label[1]
        if kind == "noise":
            noise[where] = noise.get(where, 0) + label[2]
        elif kind == "long":
            long.setdefault(where, Counter())[label[2]] += 1
        else:
            under[where] = under.get(where, 0) + 1
    parts: list[str] = []
    for where, n in list(noise.items())[:4]:
        parts.append(f"{_plural(n, 'entry', 'entries')} under {where}" if n else f"{where} listing")
    if len(noise) > 4:
        rest = sum(list(noise.values())[4:])
        parts.append(f"{_plural(rest, 'entry', 'entries')} under {len(noise) - 4} more directories")
    for where, counter in long.items():
        total = sum(counter.values())
        kinds = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{c:,} {ext}" for ext, c in kinds[:5])
        if len(kinds) > 5:
            shown += f", {sum(c for _, c in kinds[5:]):,} other"
        place = f" in {where}" if where else ""
        parts.append(f"{total:,} more {'entry' if total == 1 else 'entries'}{place}: {shown}")
    for where, n in under.items():
        parts.append(f"{_plural(n, 'line', 'lines')} inside folded entries of {where or './'}")
    return "; ".join(parts) or "listing"


def _ls_tool_hint(
    ctx: Context, roots: _Roots, labels: dict[int, tuple]
) -> Callable[[int, int], str]:
    name = ctx.tool.strip() or "LS"
    root = next(iter(roots.index), "")
    if not root.startswith("/"):
        base = ctx.tool_input.get("path")
        root = base if isinstance(base, str) else ""

    def hint(first: int, last: int) -> str:
        wheres = {labels[k][1] for k in range(first, last + 1) if k in labels}
        if len(wheres) == 1 and root.startswith("/"):
            return f"{name} path={root.rstrip('/')}/{next(iter(wheres)).rstrip('/')}"
        return f"{name} path={root}" if root else name

    return hint
