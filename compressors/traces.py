"""Crash output: stack traces of Python, JavaScript (V8), Java, Go and Rust.

What a reader needs from a crash is the exception (or panic) and the frames in
their own code; the frames inside libraries and runtimes — site-packages,
node_modules and node internals, the JDK, GOROOT and module caches, the Rust
standard library and the cargo registry — only say how control got there. So
every line is kept except runs of library frames, which fold into one marker
that counts them and says where they were. Problem lines are never folded.

A frame is one line (JavaScript, Java), or a line with its location or source
line under it (Python's ``File "…", line N`` and its code line, Go's function
and ``\\tfile.go:N``, Rust's ``N: symbol`` and ``at file.rs:N:M``).
"""

from __future__ import annotations

import re

from trimline.compressors.base import Context, Plan, worth_folding
from trimline.compressors.text import clean, problem_lines

KIND = "traces"

_SNIFF = re.compile(
    r"""^(?:
      Traceback\ \(most\ recent\ call\ last\):
    | \s+File\ ".{1,1000}",\ line\ \d+.*
    | \s+at\ .{1,400}\(\S{1,400}:\d+(?::\d+)?\)
    | \s+at\ (?:file://)?/\S{1,400}:\d+:\d+
    | \s+at\ [\w$.]{1,300}\((?:[\w$.-]{1,200}:\d+|Native\ Method|Unknown\ Source)\)
    | Exception\ in\ thread\ ".{0,200}"\ .*
    | panic:\ .*
    | goroutine\ \d+\ \[.{1,100}\]:
    | thread\ '.{0,200}'(?:\ \(\d+\))?\ panicked\ at\ .*
    )\r?$""",
    re.VERBOSE | re.MULTILINE,
)

_PY_FRAME = re.compile(r'(?P<ind>\s*)File "(?P<path>[^"]{1,1000})", line \d+')
_JS_FRAME = re.compile(r"\s+at (?:.{0,400}? \((?P<loc>.{1,1000})\)|(?P<bare>\S{1,1000}))$")
_JAVA_FRAME = re.compile(r"\s+at (?P<fn>[\w$./<>-]{1,500})\((?P<loc>[^)]{0,500})\)$")
_GO_FUNC = re.compile(
    r"(?:created by )?[\w./*()%-]{1,500}(?:\(.{0,2000}\))?(?: in goroutine \d+)?$"
)
_GO_LOC = re.compile(r"\t(?P<path>\S{1,1000}\.(?:go|s|c)):\d+(?: \+0x[0-9a-f]+)?$")
_RUST_SYMBOL = re.compile(r"\s+\d{1,4}: (?P<sym>\S.{0,2000})$")
_RUST_AT = re.compile(r"\s+at (?P<path>\S.{0,1000})$")

_PY_LIB = re.compile(
    r"site-packages|dist-packages|/lib/python\d|<frozen |/usr/lib/python|\.pyenv/versions/"
    r"|/Frameworks/Python\.framework/"
)
_JS_LIB = re.compile(r"node_modules|^node:|^internal/|^<anonymous>$|^native |^\[native code\]")
_JAVA_LIB = re.compile(
    r"(?:[\w.]+/)?(?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala|jakarta|org\.junit"
    r"|org\.apache|org\.springframework|org\.gradle|org\.hibernate|io\.netty|reactor"
    r"|com\.google\.common|org\.eclipse|org\.testng)\."
)
_GO_LIB = re.compile(
    r"/src/(?:runtime|testing|net|internal|reflect|sync|os)/|/usr/local/go/|/usr/lib/go|/pkg/mod/"
)
_RUST_LIB = re.compile(
    r"/rustc/[0-9a-f]+/|\.cargo/registry/|/rustlib/|/library/(?:std|core|alloc)/"
)
_RUST_LIB_SYMBOL = re.compile(
    r"<?(?:std|core|alloc|test|panic_unwind|panic_abort)::|__rust|rust_begin_unwind|_start\b"
    r"|__libc|start_thread|clone\d*$|<unknown>$"
)
_LANGS = {
    "py": "Python",
    "js": "node",
    "java": "JDK and framework",
    "go": "Go runtime",
    "rs": "Rust std",
}


def claims(ctx: Context) -> bool:
    return False


def sniff(text: str, ctx: Context) -> bool:
    head = text[:64_000]
    found = _SNIFF.findall(head)
    if len(text) > 64_000:
        found += _SNIFF.findall(text[-16_000:])
    return len(found) >= 3


def _frames(lines: list[str]) -> list[tuple[int, int, str, bool]]:
    """Frames in order: (first line, end line exclusive, language, is library)."""
    out: list[tuple[int, int, str, bool]] = []
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if line[:1] not in (" ", "\t"):
            # Only a Go frame starts at the margin: its function, then "\tfile.go:N".
            if i + 1 < n and lines[i + 1][:1] == "\t":
                m = _GO_LOC.match(lines[i + 1])
                if m and _GO_FUNC.match(line):
                    lib = bool(_GO_LIB.search(m.group("path"))) or line.startswith(
                        ("runtime.", "testing.")
                    )
                    out.append((i, i + 2, "go", lib))
                    i += 2
                    continue
            i += 1
            continue
        body = line.lstrip()
        if body.startswith("File ") and (m := _PY_FRAME.match(line)):
            ind = len(m.group("ind"))
            j = i + 1
            while j < n:  # the source line and carets under it, indented deeper
                t = lines[j]
                s = t.lstrip()
                if not s or len(t) - len(s) <= ind or _PY_FRAME.match(t):
                    break
                j += 1
            out.append((i, j, "py", bool(_PY_LIB.search(m.group("path")))))
            i = j
            continue
        if body.startswith("at "):
            if (
                (m := _JAVA_FRAME.match(line))
                and "." in m.group("fn")
                and (
                    ".java:" in m.group("loc")
                    or ".kt:" in m.group("loc")
                    or ".scala:" in m.group("loc")
                    or m.group("loc") in ("Native Method", "Unknown Source")
                )
            ):
                lib = bool(_JAVA_LIB.match(m.group("fn"))) or m.group("loc") == "Native Method"
                out.append((i, i + 1, "java", lib))
                i += 1
                continue
            if m := _JS_FRAME.match(line):
                loc = (m.group("loc") or m.group("bare") or "").removeprefix("file://")
                if ":" in loc or loc == "<anonymous>":
                    out.append((i, i + 1, "js", bool(_JS_LIB.search(loc))))
                    i += 1
                    continue
        if body[:1].isdigit() and (m := _RUST_SYMBOL.match(line)):
            j = i + 1
            path = ""
            if j < n and (a := _RUST_AT.match(lines[j])):
                path = a.group("path")
                j += 1
            sym = m.group("sym")
            lib = bool(_RUST_LIB.search(path)) if path else bool(_RUST_LIB_SYMBOL.match(sym))
            out.append((i, j, "rs", lib))
            i = j
            continue
        i += 1
    return out


def project_frames(lines: list[str]) -> set[int]:
    """Lines of frames in the project's own code, which every family keeps."""
    return {k for first, end, _, lib in _frames(lines) if not lib for k in range(first, end)}


def compress(text: str, ctx: Context) -> Plan | None:
    source = clean(text)
    lines = source.split("\n")
    frames = _frames(lines)
    if not frames:
        return None
    problems = problem_lines(lines)
    keep = set(range(len(lines)))
    notes: dict[int, str] = {}
    run: list[tuple[int, int, str, bool]] = []

    def flush() -> None:
        # A library run folds as a whole, unless a problem line sits in it: then the parts
        # around that line fold on their own.
        parts: list[list[tuple[int, int, str, bool]]] = [[]]
        for f in run:
            if any(k in problems for k in range(f[0], f[1])):
                parts.append([])
            else:
                parts[-1].append(f)
        for part in parts:
            if not part:
                continue
            first, end = part[0][0], part[-1][1]
            langs = sorted({_LANGS[f[2]] for f in part})
            count = len(part)
            note = f"{count} library frame{'s' if count != 1 else ''} ({', '.join(langs)})"
            if worth_folding(lines, first, end, note):
                keep.difference_update(range(first, end))
                notes[first] = note
        run.clear()

    for f in frames:
        if run and (not f[3] or f[0] != run[-1][1]):
            flush()
        if f[3]:
            run.append(f)
    flush()
    if not notes:
        return None
    return Plan(KIND, keep, notes, source=source)
