"""Python tracebacks anywhere in a log: frames kept, library runs folded, the exception kept."""

from __future__ import annotations

import re

from trimline.compressors.logs.model import _fold_frame_runs, _is_lib, _Log

_TB_FRAME = re.compile(r'(?P<ind>\s*)File "(?P<path>[^"]{1,1000})", line \d+')


def _tracebacks(lg: _Log) -> None:
    probe, n, must = lg.probe, lg.n, lg.must
    done = 0
    for start in lg.tracebacks:
        if start < done:
            continue
        must[start] = 1
        frames: list[tuple[int, int, bool]] = []
        i = start + 1
        while i < n:
            s = probe[i]
            f = _TB_FRAME.match(s) if "File " in s else None
            if f:
                ind = len(f.group("ind"))
                j = i + 1
                while j < n:
                    t = probe[j]
                    body = t.lstrip()
                    if (
                        not body
                        or len(t) - len(body) <= ind
                        or (body.startswith("File ") and _TB_FRAME.match(t))
                    ):
                        break
                    j += 1
                frames.append((i, j, _is_lib(f.group("path"))))
                i = j
            elif s.strip() == "..." or "[Previous line repeated" in s:
                i += 1
            else:
                break
        if i < n and probe[i].strip():
            must[i] = 1  # the exception
            j = i + 1
            while (
                j < n
                and j - i < 20
                and probe[j].strip()
                and "Traceback (most recent" not in probe[j]
            ):
                j += 1
            lg.keep_region(start, j)
            done = j
        else:
            lg.keep_region(start, i)
            done = i
        _fold_frame_runs(lg, frames)
