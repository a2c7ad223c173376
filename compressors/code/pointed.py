"""What the session points at in a file: the names and lines its task context mentions.

``Context.task`` holds the user's request and the agent's recent words and calls (filled
by the proxy, or ``trimline compress --task``). A large read keeps whole every definition
it names (``parse_args``, ``Config.load``) and every definition holding a line it cites
for this file: a traceback frame (``File "src/cli.py", line 88``), a compiler or grep
location (``src/cli.py:88:``). Names are matched against definition names only, so the
ordinary words of a request cost nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
# path:line (grep, compilers, pytest) or File "path", line N (Python tracebacks).
_LOCATED = re.compile(r"""([\w./\\-]+\.\w{1,8})(?:", line |:)(\d{1,7})\b""")
MAX_TASK = 200_000  # characters of task context looked at (its end: the newest words)


@lru_cache(maxsize=64)
def pointed(task: str, path: str) -> tuple[frozenset[str], frozenset[int]]:
    """(names the task mentions, line numbers of this file it cites)."""
    if not task:
        return frozenset(), frozenset()
    text = task[-MAX_TASK:]
    names = frozenset(_IDENT.findall(text))
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    cited: set[int] = set()
    if base:
        for m in _LOCATED.finditer(text):
            where = m.group(1).replace("\\", "/")
            if where == path or where.rsplit("/", 1)[-1] == base:
                cited.add(int(m.group(2)))
    return names, frozenset(cited)
