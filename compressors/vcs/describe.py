"""Marker text for a dropped run of git output."""

from __future__ import annotations


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _summary(labels: list[tuple], see: str = "") -> str:
    ctx: dict[str, int] = {}
    spans: dict[str, list[int]] = {}  # path -> first and last new-file line of its context
    lock: dict[str, list[int]] = {}  # path -> [added, removed, hunks folded]
    binary: dict[str, int] = {}
    commits: dict[str, list[int]] = {}  # sha -> [header, body, stat files, stat lines]
    stat_paths: dict[str, list[str]] = {}  # sha -> the paths its folded stat bars list
    hints = 0
    noise: dict[str, int] = {}
    for label in labels:
        kind = label[0]
        if kind == "ctx":
            ctx[label[1]] = ctx.get(label[1], 0) + 1
            if label[2]:
                span = spans.setdefault(label[1], [label[2], label[2]])
                span[0], span[1] = min(span[0], label[2]), max(span[1], label[2])
        elif kind == "lock":
            rec = lock.setdefault(label[1], [0, 0, 0, label[4]])
            if label[2] == "+":
                rec[0] += 1
            elif label[2] == "-":
                rec[1] += 1
            rec[2] = max(rec[2], label[3])
        elif kind == "binary":
            binary[label[1]] = binary.get(label[1], 0) + 1
        elif kind == "stat" and label[3]:
            stat_paths.setdefault(label[1], []).append(label[3])
            rec = commits.setdefault(label[1], [0, 0, 0, 0])
            rec[2] += 1
            rec[3] += 1
        elif kind in ("meta", "body", "stat"):
            rec = commits.setdefault(label[1], [0, 0, 0, 0])
            if kind == "meta":
                rec[0] += 1
            elif kind == "body":
                rec[1] += label[2]
            else:
                rec[2] += label[2]
                rec[3] += 1
        elif kind == "hint":
            hints += 1
        elif kind == "noise":
            noise[label[1]] = noise.get(label[1], 0) + 1
    parts: list[str] = []
    for path, n in ctx.items():
        span = spans.get(path)
        if len(ctx) == 1 and span and span[1] - span[0] + 1 == n:
            # One file, one stretch: its line numbers say it all (the path is just above).
            parts.append("unchanged")
        else:
            parts.append(f"{_plural(n, 'unchanged line')} of {path}")
    for path, (added, removed, hunks, what) in lock.items():
        text = f"{what} diff: {_plural(added, 'line')} added, {removed:,} removed"
        text += f" in {hunks} hunks" if hunks else ""
        parts.append(text + (f"; see: {see} -- {path}" if see else ""))
    for path, n in binary.items():
        parts.append(f"binary patch data of {path} ({_plural(n, 'line')})")
    shas = list(commits)
    # A run with stat bars names every path they list, whatever the number of commits.
    for sha in shas if stat_paths else shas[:3]:
        header, body, stat_files, stat_lines = commits[sha]
        bits = []
        if header:
            bits.append("author and date")
        if body:
            bits.append(f"{_plural(body, 'more message line')}")
        if stat_lines:
            paths = stat_paths.get(sha, [])
            named = f": {', '.join(paths)}" if paths else ""
            bits.append(f"stat bars of {_plural(stat_files, 'file')}{named}")
        parts.append(f"{' and '.join(bits) or 'blank lines'} of commit {sha[:10]}")
    if len(shas) > 3 and not stat_paths:
        parts.append(f"and {len(shas) - 3} more commits")
    if hints:
        parts.append("git's usage hints")
    for prefix, n in list(noise.items())[:4]:
        parts.append(f"{_plural(n, 'untracked path')} under {prefix}")
    if len(noise) > 4:
        parts.append(f"paths under {len(noise) - 4} more directories")
    return "; ".join(parts) or "git output"
