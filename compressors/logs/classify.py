"""One pass over a log's lines: passing tests, progress, failures, summaries, error and warning words."""

from __future__ import annotations

import operator
import re
from bisect import bisect_right
from itertools import accumulate

from trimline.compressors.base import MARKER_PREFIX
from trimline.compressors.logs.model import MUST, OTHER, PASS, PROBE, PROG, WARN, _Log

# Error and warning words are found by substring scans over the whole text
# (fast), then confirmed on the few lines that contain one (exact).
_BAD_NEEDLES = (
    "rror", "RROR", "ail", "AIL", "atal", "ATAL", "anic", "ANIC", "raceback", "xception",
    "XCEPTION", "bort", "BORT", "egmentation fault", "ore dumped", "ndefined reference",
    "nresolved external", "ermission denied", "imed out",
)  # fmt: skip
_WARN_NEEDLES = ("arn", "ARN", "eprecat", "EPRECAT")
_BAD_WORDS = re.compile(
    r"\b(?:errors?|fail(?:ed|s|ure|ures|ing)?|fatal|panic(?:ked)?|traceback|exception|abort(?:ed)?"
    r"|segmentation\ fault|core\ dumped|undefined\ reference|unresolved\ external"
    r"|permission\ denied|timed\ out)\b"
    r"|[a-z](?:Error|Exception|Exit|Interrupt)\b",
    re.IGNORECASE | re.VERBOSE,
)
_WARN_WORDS = re.compile(r"\b(?:warn(?:ing|ings|s)?|deprecated)\b|[a-z]Warning\b", re.IGNORECASE)
_COMMAND_ECHO = re.compile(
    r"\s*(?:\S{0,200}/)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|ld|ar|ranlib|libtool|nvcc|rustc"
    r"|javac|x86_64-linux-gnu-gcc)(?:-\d+)?\s|\+\s"
)

_PT_VERBOSE = re.compile(
    r"(?:\[gw\d{1,4}\] (?:\[\s*\d{1,3}%\] )?)?(?P<id>[^\s:]{1,400}::\S.{0,800}?) "
    r"(?P<st>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b"
)
_PT_RESULT_FIRST = re.compile(
    r"(?:\[gw\d{1,4}\] (?:\[\s*\d{1,3}%\] )?)?(?P<st>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) "
    r"(?:\[\d{1,6}\] )?(?P<id>[^\s:]{1,400})"
)
_JEST_FILE = re.compile(r"(?P<st>PASS|FAIL) (?P<file>\S{1,400})")
_GO_RESULT = re.compile(r"--- (?P<st>PASS|FAIL|SKIP): (?P<name>\S{1,400})")
_CARGO_RUNNING = re.compile(r"(?:Running (?:unittests |tests? )?|Doc-tests )(?P<target>\S{1,400})")
_PT_SECTION = re.compile(r"=+ (?P<title>.{1,200}?) =+$")
_PT_TEST_HEAD = re.compile(r"_{3,} (?P<name>.{1,400}?) _{3,}$")
_PT_SEP = re.compile(r"(?:_ ){6,}_?\s*$")
_PT_CAPTURED = re.compile(r"-{3,} (?P<title>.{1,200}?) -{3,}$")
_UT_HEAD = re.compile(r"(?:FAIL|ERROR|UNEXPECTED SUCCESS): \S")
_CARGO_OUT = re.compile(r"---- \S{1,400} (?:stdout|stderr) ----$")
_DIAG_RUST = re.compile(r"(?P<sev>error|warning)(?:\[[A-Za-z]{0,10}\d{1,6}\])?: ")
_DIAG_C = re.compile(
    r"\s*\S[^:]{0,400}:\d{1,7}(?::\d{1,7})?: (?P<sev>fatal error|error|warning|note)(?:\[[^\]]{1,80}\])?: "
)
_SUMMARY_START = re.compile(
    r"""(?:
      Exit\ code\ \d+
    | \d+\ (?:failed|passed|errors?|skipped|deselected)\b.{0,300}\ in\ [\d.]+s.*
    | Ran\ \d+\ tests?\ in\ .*
    | OK(?:\ \(.*\))?$
    | FAILED\ \(.*\)$
    | test\ result:\ .*
    | Tests?:\s+\d+.*
    | Test\ Suites:\s.*
    | Snapshots:\s.*
    | (?:ok|FAIL|PASS)(?:\s+\S+\s+(?:[\d.]+s|\(cached\)).*)?$
    | Found\ \d+\ errors?.*
    | Success:\ no\ issues\ found.*
    | All\ checks\ passed.*
    | \d+\ (?:passing|failing|pending)\b.*
    | Successfully\ (?:installed|built)\ .*
    | BUILD\ (?:SUCCESSFUL|FAILED|SUCCESS|FAILURE).*
    | \[(?:INFO|ERROR)\]\ (?:BUILD|Tests\ run:).*
    | Finished\ .*\ target\(s\)\ in\ .*
    | Running\ .*\(target/.*\)$
    | Doc-tests\ .*
    )""",
    re.VERBOSE,
)
# Linters: ruff's "F401 [*] `os` imported but unused", flake8/pylint/ruff-concise
# "src/x.py:3:1: F401 ..." and "src/x.py:3:0: C0114: ...".
_LINT = re.compile(
    r"(?P<loc>[^\s:][^:]{0,400}:\d{1,7}:(?:\d{1,7}:)? )?(?P<code>[A-Z]{1,4}\d{3,4})(?::? \S|$)"
)
_LINT_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz./_~")
_JEST_MARKS_PASS = frozenset("✓√✔")
_JEST_MARKS_SKIP = frozenset("○◌")
_JEST_MARKS_FAIL = frozenset("✕×✗✘●")
_JEST_MARKS = _JEST_MARKS_PASS | _JEST_MARKS_SKIP | _JEST_MARKS_FAIL
_GO_PROGRESS_PREFIXES = ("=== RUN", "=== PAUSE", "=== CONT", "=== NAME")


_BAD_LOWER = (
    "error", "fail", "fatal", "panic", "traceback", "exception", "abort", "segmentation fault",
    "core dumped", "undefined reference", "unresolved external", "permission denied", "timed out",
)  # fmt: skip
_WARN_LOWER = ("warn", "deprecated")


def _word_lines(lg: _Log) -> tuple[list[int], list[int]]:
    """Lines that may hold an error word, and lines that may hold a warning word.

    Substring scans over the whole text (no regex, no per-line work); the caller
    confirms each hit with a regex on its line.
    """
    source, lines = lg.source, lg.lines
    if source.isascii():
        hay = source.lower()
        bad, warn = _BAD_LOWER, _WARN_LOWER
    else:
        hay = source
        bad, warn = _BAD_NEEDLES, _WARN_NEEDLES
    offsets: list[int] = []
    found = []
    for needles in (bad, warn):
        hits: set[int] = set()
        for needle in needles:
            pos = hay.find(needle)
            if pos < 0:
                continue
            if not offsets:
                offsets = list(
                    map(operator.add, accumulate(map(len, lines), initial=0), range(len(lines) + 1))
                )
            while pos >= 0:
                i = bisect_right(offsets, pos) - 1
                hits.add(i)
                pos = hay.find(needle, offsets[i + 1])  # one hit per line is enough
        found.append(sorted(hits))
    return found[0], found[1]


def _progress(s: str) -> tuple[str | None, str, bool] | None:
    """pytest/unittest progress: "tests/test_a.py ..F.s  [ 12%]" -> (file, marks, has_pct)."""
    body = s.rstrip()
    pct = False
    if body.endswith("%]"):
        k = body.rfind("[")
        if k < 0 or not body[k + 1 : -2].strip().isdigit():
            return None
        body = body[:k].rstrip()
        pct = True
    file = None
    if " " in body:
        file, body = body.split(" ", 1)
        body = body.strip()
        if "." not in file or " " in body:
            return None
    if not body or body.strip(".sxXFE"):
        return None
    return file, body, pct


_DOTS_STATUS = frozenset(
    ("ok", "FAIL", "FAILED", "ERROR", "expected failure", "unexpected success")
)


def _dots_result(s: str) -> tuple[str, str] | None:
    """unittest -v / cargo test: "name ... ok" -> (name, status)."""
    k = s.rfind(" ... ")
    st = s[k + 5 :].rstrip()
    if st in _DOTS_STATUS or st.startswith(("skipped", "ignored", "bench:")):
        name = s[:k].strip()
        if name.startswith("test "):
            name = name[5:]
        return (name, st) if name else None
    return None


def _unittest_class(name: str) -> str | None:
    """ "test_x (pkg.mod.Class.test_x)" -> "pkg.mod.Class"; "test_x (pkg.mod.Class)" -> "pkg.mod.Class"."""
    left = name.find(" (")
    right = name.find(")", left)
    if left < 0 or right < 0:
        return None
    inside = name[left + 2 : right]
    if not inside or " " in inside:
        return None
    head, _, last = inside.rpartition(".")
    return head if head and last == name[:left] else inside


_SUMMARY_PREFIXES: dict[str, tuple[str, ...]] = {
    "E": ("Exit code ",),
    "R": ("Ran ", "Running "),
    "O": ("OK",),
    "F": ("FAILED (", "Found ", "FAIL", "Finished "),
    "t": ("test result: ",),
    "T": ("Test",),
    "S": ("Snapshots:", "Success:", "Successfully "),
    "o": ("ok",),
    "P": ("PASS",),
    "A": ("All checks passed",),
    "B": ("BUILD ",),
    "[": ("[INFO] BUILD", "[ERROR] BUILD", "[INFO] Tests run:", "[ERROR] Tests run:"),
    "D": ("Doc-tests ",),
}


def _is_summary(t: str, t0: str) -> bool:
    if t0.isdigit():
        hit = (
            (" in " in t and ("passed" in t or "failed" in t or "error" in t))
            or "passing" in t
            or "failing" in t
            or "pending" in t
        )
        return hit and bool(_SUMMARY_START.match(t))
    prefixes = _SUMMARY_PREFIXES.get(t0)
    return bool(prefixes and t.startswith(prefixes) and _SUMMARY_START.match(t))


def _classify(lg: _Log) -> None:
    probe, cat, must, fold = lg.probe, lg.cat, lg.must, lg.fold
    labels: dict[tuple, tuple] = {}  # interned, so runs of equal labels compare by identity
    target = None  # the current cargo test binary
    after_failures = False
    for i, s in enumerate(probe):
        if not s or s.isspace():
            after_failures = False
            continue
        c0 = s[0]
        if c0 == " " or c0 == "\t":
            t = s.lstrip()
            t0 = t[0]
        else:
            t, t0 = s, c0
        # ---- passing tests and progress
        if "::" in s and (
            " PASSED" in s
            or " SKIPPED" in s
            or " XFAIL" in s
            or " FAILED" in s
            or " ERROR" in s
            or " XPASS" in s
        ):
            m = _PT_VERBOSE.match(s)
            if m:
                st = m.group("st")
                if st in ("PASSED", "SKIPPED", "XFAIL"):
                    key = m.group("id").split("::", 1)[0]
                    cat[i] = PASS
                    fold[i] = labels.setdefault(("pass", key, st), ("pass", key, st))
                elif st == "XPASS":
                    cat[i] = WARN
                else:
                    cat[i] = MUST
                    must[i] = 1
                continue
        if c0 in "PFESX[" and (m := _PT_RESULT_FIRST.match(s)):
            st = m.group("st")
            if st in ("PASSED", "SKIPPED", "XFAIL"):
                key = m.group("id").split("::", 1)[0]
                cat[i] = PASS
                fold[i] = labels.setdefault(("pass", key, st), ("pass", key, st))
            elif st == "XPASS":
                cat[i] = WARN
            else:
                cat[i] = MUST
                must[i] = 1
            continue
        if " ... " in s and (r := _dots_result(s)):
            name, st = r
            if st == "ok" and target and "(" not in name:
                cat[i] = PASS  # the common case of cargo test, spelled out for speed
                fold[i] = labels.setdefault(("pass", target, "PASSED"), ("pass", target, "PASSED"))
                continue
            if st in ("FAIL", "FAILED", "ERROR"):
                cat[i] = MUST
                must[i] = 1
            elif st == "unexpected success":
                cat[i] = WARN
            else:
                key = _unittest_class(name) if "(" in name else None
                if key is None:
                    key = target or (name.rsplit("::", 1)[0] if "::" in name else None)
                kind = "PASSED" if st == "ok" or st.startswith("bench") else "SKIPPED"
                if st == "expected failure":
                    kind = "XFAIL"
                cat[i] = PASS
                fold[i] = labels.setdefault(("pass", key, kind), ("pass", key, kind))
            continue
        if (c0 in ".sxXFE" or s.endswith("%]")) and (p := _progress(s)):
            file, marks, pct = p
            if pct or file or len(marks) >= 8:
                if "F" in marks or "E" in marks:
                    cat[i] = MUST
                    must[i] = 1
                    x = marks.count("x") + marks.count("X")
                    failed = marks.count("F") + marks.count("E")
                    label = ("prog", file, marks.count("."), marks.count("s"), x, failed)
                    lg.fail_progress.append((i, label))
                else:
                    cat[i] = PROG
                    x = marks.count("x") + marks.count("X")
                    fold[i] = ("prog", file, marks.count("."), marks.count("s"), x)
                continue
        if t0 in _JEST_MARKS:
            if t0 in _JEST_MARKS_FAIL:
                if t0 != "●" or not t.startswith("● Console"):
                    cat[i] = MUST
                    must[i] = 1
                    if t0 == "●":
                        lg.jest_blocks.append(i)
                continue
            if c0 == " ":
                kind = "PASSED" if t0 in _JEST_MARKS_PASS else "SKIPPED"
                cat[i] = PASS
                fold[i] = labels.setdefault(("pass", None, kind), ("pass", None, kind))
                continue
        elif t0 == "=":
            if t.startswith(_GO_PROGRESS_PREFIXES):
                cat[i] = PROG
                fold[i] = ("goprog",)
                continue
            if c0 == "=" and s.startswith("==") and _PT_SECTION.match(s):
                lg.sections.append(i)
                cat[i] = MUST
                must[i] = 1
                continue
        elif t0 == "-":
            if t.startswith("--- ") and (m := _GO_RESULT.match(t)):
                if m.group("st") == "FAIL":
                    cat[i] = MUST
                    must[i] = 1
                    lg.go_fails.append(i)
                else:
                    name = m.group("name").split("/", 1)[0]
                    kind = "PASSED" if m.group("st") == "PASS" else "SKIPPED"
                    cat[i] = PASS
                    fold[i] = labels.setdefault(("pass", name, kind), ("pass", name, kind))
                continue
            if s.startswith("---- ") and _CARGO_OUT.match(s):
                lg.cargo_outs.append(i)
        elif c0 in "PFEU":
            if (
                c0 in "PF"
                and (m := _JEST_FILE.match(s))
                and ("/" in m.group("file") or "." in m.group("file"))
            ):
                if m.group("st") == "FAIL":
                    cat[i] = MUST
                    must[i] = 1
                else:
                    cat[i] = PASS
                    fold[i] = ("suite", m.group("file"))
                continue
            if c0 != "P" and _UT_HEAD.match(s):
                lg.ut_heads.append(i)
            elif c0 == "E" and (len(s) == 1 or s[1] == " "):
                cat[i] = MUST  # pytest's "E   assert ..." lines
                must[i] = 1
                continue
        elif t0 == "T":
            if t.startswith("Traceback (most recent call last):"):
                lg.tracebacks.append(i)
        elif c0 in "ew" and _DIAG_RUST.match(s):
            lg.diags.append(i)
        if (
            (": error" in s or ": warning" in s or ": fatal" in s)
            and (not lg.diags or lg.diags[-1] != i)
            and (m := _DIAG_C.match(s))
            and m.group("sev") != "note"
        ):
            lg.diags.append(i)
        # ---- cargo test bookkeeping, summaries
        if c0 == " " and t0 in "RD" and (m := _CARGO_RUNNING.match(t)):
            target = m.group("target")
        elif s == "failures:":
            after_failures = True
            cat[i] = MUST
            must[i] = 1
            continue
        if after_failures and c0 == " " and " " not in t:
            cat[i] = MUST  # the failing test names cargo lists at the end
            must[i] = 1
            continue
        if c0 == "n" and s.startswith(("npm ERR!", "npm error")):
            cat[i] = MUST
            must[i] = 1
            continue
        if c0 in _LINT_FIRST and (m := _LINT.match(s)):
            cat[i] = MUST
            must[i] = 1
            if not m.group("loc"):
                lg.diags.append(i)  # ruff's full format: a header, then a snippet
            continue
        if ((t0 in _SUMMARY_PREFIXES or t0.isdigit()) and _is_summary(t, t0)) or s.startswith(
            MARKER_PREFIX
        ):
            cat[i] = MUST
            must[i] = 1
    lines = lg.lines
    bad, warn = _word_lines(lg)
    for i in bad:
        if cat[i] == OTHER:
            s = probe[i]
            if (
                _BAD_WORDS.search(s) or (len(lines[i]) > PROBE and _BAD_WORDS.search(lines[i]))
            ) and not _COMMAND_ECHO.match(s):
                cat[i] = MUST
                must[i] = 1
    for i in warn:
        if cat[i] == OTHER and _WARN_WORDS.search(probe[i]):
            cat[i] = WARN
