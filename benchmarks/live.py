"""Section 3 (optional): does a real model answer as well from the compressed block?

For each fixture, questions whose answers are derived mechanically from the original
output (which tests failed, which error codes, where errors are, which files match, which
function is defined at line N…). The model is asked each question once with the original
block and once with Trimline's compressed block; answers are graded against the expected
answer after normalisation (case, quotes, punctuation, whitespace). Reported: accuracy on
the original, on the compressed, and the retention ratio (compressed / original).

Providers: ``anthropic`` (Messages API), ``openai`` (Chat Completions), and
``openai-compatible`` (any server speaking Chat Completions, e.g. a local one). Keys come
from ``ANTHROPIC_API_KEY`` or ``OPENAI_API_KEY`` (``TRIMLINE_BENCH_API_KEY`` overrides
both); without one the section is recorded as skipped.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from trimline.compressors import compress

from fixtures.load import Fixture

SYSTEM = (
    "You answer questions about a tool's output in a coding session. Use only the output "
    "given. Reply with the answer alone: no explanation, no code fences. When the answer is "
    "a list, separate the items with commas."
)
DEFAULT_BASE = {
    "anthropic": "https://api.anthropic.com",
    "openai": "https://api.openai.com",
    "openai-compatible": "http://127.0.0.1:8000",
}
KEY_ENV = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "openai-compatible": "OPENAI_API_KEY",
}


@dataclass
class Question:
    case: str
    kind: str
    text: str
    answer: str | list[str]
    grade: str  # "set" (every item present), "name" (the word), "number"


# -- question generators ----------------------------------------------------

_PYTEST_SUMMARY = re.compile(r"^(?:FAILED|ERROR) (\S+?::\S+)", re.M)
_PYTEST_VERBOSE = re.compile(r"^(\S+?::\S+) (?:FAILED|ERROR)\b", re.M)
_PYTEST_LINE = re.compile(r"^(\S+\.py):\d+: \w", re.M)
_UNITTEST = re.compile(r"^(\w+) \([\w.]+\) \.\.\. (?:FAIL|ERROR)$", re.M)
_CARGO_TEST = re.compile(r"^test (\S+) \.\.\. FAILED$", re.M)
_RUST_ERR = re.compile(r"^error\[(E\d{4})\]", re.M)
_GCC_ERR = re.compile(r"^([\w./-]+\.[ch]):(\d+):\d+: error:", re.M)
_PROCESSING = re.compile(r"^Processing \./(\S+)", re.M)
_GREP_LINE = re.compile(r"^([^\s:]+?\.\w+):\d+:", re.M)
_GREP_COUNT = re.compile(r"^(\S+):(\d+)$", re.M)
_RG_LINE = re.compile(r"^\d+[:-]", re.M)
_DIFFSTAT = re.compile(r"^ (\d+) files? changed", re.M)
_STAT_FILE = re.compile(r"^ (\S+)\s+\| ", re.M)
_DIFF_FILE = re.compile(r"^diff --git a/(\S+) b/", re.M)
_COMMIT = re.compile(r"^commit ([0-9a-f]{40})", re.M)
_STATUS_LONG = re.compile(r"^\tmodified:\s+(\S+)", re.M)
_STATUS_SHORT = re.compile(r"^(?:M[ M]| M) (\S+)$", re.M)
_READ_LINE = re.compile(r"^\s*(\d+)(?:\t|→)(.*)$")
_DEFINITION = re.compile(
    r"^\s*(?:(?:pub(?:\(crate\))?|async|export|static|public|private|protected|final|"
    r"abstract|synchronized|inline|extern)\s+)*"
    r"(?:def|fn|func|function|class|struct|enum|interface|trait|type)\s+"
    r"(?:\([^)]*\)\s*)?([A-Za-z_]\w*)"
)


def _test_name(node: str) -> str:
    return node.split("::")[-1]


def questions(f: Fixture) -> list[Question]:
    text = f.text
    qs: list[Question] = []

    def add(question: str, answer: str | list[str], grade: str) -> None:
        qs.append(Question(f.id, f.kind, question, answer, grade))

    failing = sorted(
        {_test_name(m) for m in _PYTEST_SUMMARY.findall(text)}
        | {_test_name(m) for m in _PYTEST_VERBOSE.findall(text)}
        | set(_UNITTEST.findall(text))
        | {m.split("::")[-1] for m in _CARGO_TEST.findall(text)}
    )
    if failing:
        add(
            "Which tests failed or errored? List the test function names.",
            failing,
            "set",
        )
    elif f.kind == "logs" and _PYTEST_LINE.search(text):
        add(
            "Which test files have failures? List their paths.",
            sorted(set(_PYTEST_LINE.findall(text))),
            "set",
        )
    codes = sorted(set(_RUST_ERR.findall(text)))
    if codes:
        add("Which compiler error codes (like E0001) are reported? List them.", codes, "set")
    gcc = sorted({f"{p}:{n}" for p, n in _GCC_ERR.findall(text)})
    if gcc:
        add("At which file:line locations does the compiler report errors? List them.", gcc, "set")
    processing = _PROCESSING.findall(text)
    if processing and f.kind == "logs":
        add(
            "Which local directory is pip processing (the ./name)? Give the name.",
            processing[0],
            "name",
        )
    if f.kind == "search":
        counts = [(p, int(n)) for p, n in _GREP_COUNT.findall(text)]
        if counts and len(counts) >= len(text.splitlines()) * 0.9:
            top = max(counts, key=lambda c: c[1])
            if sum(1 for c in counts if c[1] == top[1]) == 1:
                add("Which file has the highest count? Give its path.", top[0], "name")
            add(
                "How many files have a count greater than zero? Give the number.",
                str(sum(1 for c in counts if c[1] > 0)),
                "number",
            )
        else:
            files = Counter(_GREP_LINE.findall(text))
            if files:
                add(
                    "How many distinct files have matching lines? Give the number.",
                    str(len(files)),
                    "number",
                )
                top, n = files.most_common(1)[0]
                if sum(1 for v in files.values() if v == n) == 1:
                    add("Which file has the most matching lines? Give its path.", top, "name")
            elif _RG_LINE.search(text):
                headings = [
                    line
                    for line in text.splitlines()
                    if line.strip() and not _RG_LINE.match(line) and line.strip() != "--"
                ]
                add(
                    "How many distinct files have matching lines? Give the number.",
                    str(len(headings)),
                    "number",
                )
            else:
                paths = [line.strip() for line in text.splitlines() if line.strip()]
                add("How many paths are listed? Give the number.", str(len(paths)), "number")
    diffed = sorted(set(_DIFF_FILE.findall(text)))
    if diffed:
        add("Which files does the diff change? List their paths.", diffed, "set")
    stat = _DIFFSTAT.findall(text)
    if stat and not diffed and len(stat) == 1:
        add("How many files changed? Give the number.", stat[0], "number")
        add("Which files changed? List their paths.", sorted(set(_STAT_FILE.findall(text))), "set")
    commits = _COMMIT.findall(text)
    if commits and not diffed:
        add("What is the full hash of the most recent commit?", commits[0], "name")
        add("How many commits are listed? Give the number.", str(len(commits)), "number")
    modified = sorted(set(_STATUS_LONG.findall(text)) | set(_STATUS_SHORT.findall(text)))
    if modified and f.kind == "vcs":
        add("Which files are modified (staged or not)? List their paths.", modified, "set")
    if f.kind == "code":
        definitions = []
        for line in text.splitlines():
            m = _READ_LINE.match(line)
            if not m:
                continue
            d = _DEFINITION.match(m.group(2))
            if d:
                definitions.append((int(m.group(1)), d.group(1)))
        names = Counter(name for _, name in definitions)
        unique = [(n, name) for n, name in definitions if names[name] == 1]
        if unique:
            n, name = unique[len(unique) // 2]
            add(
                f"What is the name of the function, method or type defined on line {n}? "
                "Give the name only.",
                name,
                "name",
            )
            n, name = (
                unique[-1]
                if len(unique) > 1 and unique[-1] != unique[len(unique) // 2]
                else unique[0]
            )
            add(f"On which line is `{name}` defined? Give the line number.", str(n), "number")
    return qs


# -- grading ----------------------------------------------------------------


def normalise(text: str) -> str:
    text = text.strip().lower()
    text = re.sub(r"[`'\"*]", "", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .,:;")


def grade(q: Question, answer: str) -> bool:
    got = normalise(answer)
    if q.grade == "set":
        items = [normalise(a) for a in q.answer]
        return all(item in got for item in items)
    expected = normalise(str(q.answer))
    if q.grade == "number":
        numbers = re.findall(r"\d+", got)
        return bool(numbers) and numbers[0] == expected
    return (
        got == expected or re.search(rf"(?<![\w/.]){re.escape(expected)}(?![\w/])", got) is not None
    )


# -- clients ----------------------------------------------------------------


def _url(base: str, suffix: str) -> str:
    base = base.rstrip("/")
    return f"{base}{suffix[3:]}" if base.endswith("/v1") else f"{base}{suffix}"


def ask(client: httpx.Client, provider: str, base: str, model: str, key: str, prompt: str) -> str:
    if provider == "anthropic":
        r = client.post(
            _url(base, "/v1/messages"),
            headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
            json={
                "model": model,
                "max_tokens": 300,
                "temperature": 0,
                "system": SYSTEM,
                "messages": [{"role": "user", "content": prompt}],
            },
        )
        r.raise_for_status()
        return "".join(
            b.get("text", "") for b in r.json().get("content", []) if b.get("type") == "text"
        )
    body: dict = {
        "model": model,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
    }
    if provider == "openai":
        body["max_completion_tokens"] = 2000  # reasoning models spend part of it thinking
    else:
        body["max_tokens"] = 300
        body["temperature"] = 0
    headers = {"authorization": f"Bearer {key}"} if key else {}
    r = client.post(_url(base, "/v1/chat/completions"), headers=headers, json=body)
    r.raise_for_status()
    return r.json()["choices"][0]["message"].get("content") or ""


def _prompt(f: Fixture, block: str, q: Question) -> str:
    call = f.tool_input.get("command") or f.tool_input.get("file_path") or f.tool_input
    return f"Tool: {f.tool} {call}\n<tool_output>\n{block}\n</tool_output>\n\nQuestion: {q.text}"


def run(
    fixtures: list[Fixture],
    *,
    provider: str,
    base_url: str | None,
    model: str | None,
    limit: int | None,
    log: Callable[[str], None],
) -> dict:
    key = os.environ.get("TRIMLINE_BENCH_API_KEY") or os.environ.get(KEY_ENV[provider], "")
    info = {"provider": provider, "model": model, "base_url": base_url or DEFAULT_BASE[provider]}
    if not key:
        return {
            **info,
            "status": f"skipped: no credentials (set {KEY_ENV[provider]} or TRIMLINE_BENCH_API_KEY)",
        }
    if not model:
        return {**info, "status": "skipped: no --model given"}
    base = info["base_url"]
    selected = fixtures[:limit] if limit else fixtures
    results = []
    with httpx.Client(timeout=300) as client:
        for f in selected:
            qs = questions(f)
            if not qs:
                continue
            compressed = compress(f.text, f.context).text
            for q in qs:
                row = {"case": q.case, "kind": q.kind, "question": q.text, "expected": q.answer}
                for variant, block in (("original", f.text), ("compressed", compressed)):
                    try:
                        answer = ask(client, provider, base, model, key, _prompt(f, block, q))
                        row[variant] = {"answer": answer[:500], "correct": grade(q, answer)}
                    except httpx.HTTPError as e:
                        row[variant] = {"answer": "", "correct": False, "error": str(e)[:300]}
                results.append(row)
            log(f"live: {f.id}: {len(qs)} questions")
    errors = sum(1 for r in results for v in ("original", "compressed") if r[v].get("error"))
    by_kind: dict[str, dict] = defaultdict(lambda: {"questions": 0, "original": 0, "compressed": 0})
    for r in results:
        for k in (r["kind"], "all"):
            by_kind[k]["questions"] += 1
            by_kind[k]["original"] += r["original"]["correct"]
            by_kind[k]["compressed"] += r["compressed"]["correct"]
    kinds = []
    for k in [*sorted(x for x in by_kind if x != "all"), "all"]:
        if k not in by_kind:
            continue
        v = by_kind[k]
        n = v["questions"]
        kinds.append(
            {
                "kind": k,
                "questions": n,
                "original_pct": round(100 * v["original"] / n, 1) if n else 0.0,
                "compressed_pct": round(100 * v["compressed"] / n, 1) if n else 0.0,
                "retention": round(v["compressed"] / v["original"], 3) if v["original"] else None,
            }
        )
    return {
        **info,
        "status": "ran" if not errors else f"ran with {errors} failed requests",
        "kinds": kinds,
        "questions": results,
    }
