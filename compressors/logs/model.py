"""The shared model of one log: limits, line categories, the per-line decisions, frame folding."""

from __future__ import annotations

import re

HEAD = 5  # first lines always kept
TAIL = 10  # last lines always kept
BEFORE = 1  # context kept before an error line
AFTER = 2  # ... and after it
SIMILAR = 90  # rapidfuzz ratio of masked shapes above which consecutive lines are repeats
SHAPE_CUTOFF = 50  # raw lines less alike than this are not worth masking to compare
RUN_MAX = 20  # a longer stretch of plain output keeps only its ends
RUN_HEAD = 6
RUN_TAIL = 6
CAPTURE_MAX = 10  # captured output longer than this keeps only its ends
CAPTURE_HEAD = 3
CAPTURE_TAIL = 3
REPEAT_MIN = 4  # a traceback entry this long, printed again, folds to its key lines
E_MAX = 16  # an assertion's E lines beyond this many keep only their ends
E_HEAD = 8
E_TAIL = 4
LISTING_MIN = 2  # source lines above a frame's failing line that fold (the file has them)
LIB_RUN = 3  # this many consecutive library frames get their middle folded
WARN_FULL = 8  # at most this many warnings shown in full, one per kind; the rest fold
WARN_KEEP = 12  # distinct warnings kept from the middle of a long stretch of output
LONG_LINE = 2000  # a plain line longer than this is dropped (error lines never are)
BLOCK_MAX = 60  # a diagnostic or failure block longer than this keeps only its ends
PROBE = 1000  # classification looks at most at this many characters of a line
OTHER, WARN, MUST, PASS, PROG = range(5)  # PASS and PROG (and above) fold by default


class _Log:
    """Per-line facts and decisions for one log."""

    def __init__(self, source: str) -> None:
        self.source = source
        lines = source.split("\n")
        n = len(lines)
        self.lines = lines
        self.n = n
        if "\r" in source or (n and max(map(len, lines)) > PROBE):
            self.probe = [line[:PROBE].rstrip("\r") for line in lines]
        else:
            self.probe = lines
        self.cat = [OTHER] * n
        self.must = bytearray(n)
        self.region = bytearray(n)  # inside a failure report: kept unless folded
        self.fold: list[tuple | None] = [None] * n  # why a line is dropped
        self.keep = bytearray(n)
        # Where the region scanners start.
        self.sections: list[int] = []
        self.ut_heads: list[int] = []
        self.tracebacks: list[int] = []
        self.cargo_outs: list[int] = []
        self.go_fails: list[int] = []
        self.jest_blocks: list[int] = []
        self.diags: list[int] = []
        # pytest progress lines with an F or E: they fold when the failures are reported.
        self.fail_progress: list[tuple[int, tuple]] = []
        # pytest traceback entries seen so far, by their exact lines: where each was first.
        self.entries: dict[tuple[str, ...], tuple[int, int]] = {}

    def fold_range(self, start: int, end: int, label: tuple) -> None:
        """Drop lines start..end-1 unless they must stay or are already folded."""
        must, fold = self.must, self.fold
        for i in range(max(start, 0), min(end, self.n)):
            if not must[i] and fold[i] is None:
                fold[i] = label

    def keep_region(self, start: int, end: int) -> None:
        start, end = max(start, 0), min(end, self.n)
        if end > start:
            self.region[start:end] = b"\x01" * (end - start)


_LIB_PATH = re.compile(
    r"site-packages|dist-packages|/lib/python\d|/lib64/python\d|<frozen |/usr/lib/|/rustc/"
    r"|/\.cargo/registry/|/\.rustup/|node_modules/|node:internal|^internal/|/usr/local/go/src/"
    r"|/go/pkg/mod/"
)
_PT_LOC = re.compile(r"(?P<path>[^\s:][^:]{0,400}):(?P<line>\d{1,7}):(?: (?P<what>.*))?$")


def _is_lib(path: str) -> bool:
    return bool(_LIB_PATH.search(path))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _fold_frame_runs(lg: _Log, frames: list[tuple[int, int, bool]]) -> None:
    """Frames are (start, end exclusive, is_library): fold the middle of long library runs."""
    run: list[tuple[int, int, bool]] = []

    def flush() -> None:
        if len(run) >= LIB_RUN:
            middle = run[1:-1]
            zero = ("libframes", 0)
            for start, end, _ in middle:
                lg.fold_range(start, end, zero)
            # The count rides on the first folded line, so a marker can report it once.
            for k in range(middle[0][0], middle[-1][1]):
                if lg.fold[k] is zero:
                    lg.fold[k] = ("libframes", len(middle))
                    break
        run.clear()

    for frame in frames:
        if frame[2] and run and run[-1][1] == frame[0]:
            run.append(frame)
        else:
            flush()
            if frame[2]:
                run.append(frame)
    flush()


def _cap_body(
    lg: _Log, start: int, end: int, limit: int, head: int, tail: int, label: tuple
) -> None:
    if end - start > limit:
        lg.fold_range(start + head, end - tail, label)


_RUST_BT_SYMBOL = re.compile(r"\s+\d{1,4}: (?P<sym>\S.*)$")
_RUST_BT_AT = re.compile(r"\s+at (?P<loc>\S.*)$")
_RUST_LIB_SYMBOL = re.compile(
    r"<?(?:std|core|alloc|test|panic_unwind)::|__rust|rust_begin_unwind|_start|__libc|start_thread|clone"
)
_JAVA_LIB = re.compile(r"(?:java|javax|jdk|sun|org\.junit|org\.apache\.maven)\.")


def _stack_lines(lg: _Log, start: int, end: int) -> None:
    """Rust backtraces ("  3: sym" / "at path"), JS and Java stacks ("    at fn (path)")."""
    probe = lg.probe
    frames: list[tuple[int, int, bool]] = []
    k = start
    while k < end:
        s = probe[k]
        if s[:1] != " ":
            k += 1
            continue
        sym = _RUST_BT_SYMBOL.match(s)
        if sym:
            j = k + 1
            lib = bool(_RUST_LIB_SYMBOL.match(sym.group("sym")))
            if j < end and (at := _RUST_BT_AT.match(probe[j])):
                lib = lib or _is_lib(at.group("loc"))
                j += 1
            frames.append((k, j, lib))
            k = j
            continue
        at = _RUST_BT_AT.match(s)
        if at:
            loc = at.group("loc")
            frames.append((k, k + 1, _is_lib(loc) or bool(_JAVA_LIB.match(loc))))
        k += 1
    _fold_frame_runs(lg, frames)
