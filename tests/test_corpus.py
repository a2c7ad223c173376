"""The laws of markers and faithful subsets, over the tune half of the generalisation corpus.

Each case of the tune half is compressed as ``trimline compress`` and the proxy do by
default (originals not kept), then checked (see ``tests/corpus_checks.py``):

- faithful subset: kept lines byte-exact, in order, and the markers account for every
  other line;
- claims: every marker's range, count and "repeats of" words are true of its lines, and
  it costs fewer tokens than they do;
- way back: re-read ranges are exactly the elided lines, re-run hints replayed on the
  recorded output return them, ``trimline show`` is named only when the original is kept;
- with originals kept, every ``trimline show`` a marker names exits 0 and prints its lines.

Cases that fail today are listed in ``tests/corpus_known_failures.json`` by check and
class, and run as xfail (not strict): a fix turns them into XPASS; then delete the entry
(``python -m tests.test_corpus --update`` rewrites the file from the current results).
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import sys
from pathlib import Path

import pytest
from trimline.compressors import compress
from trimline.compressors.base import block_id
from trimline.metering.originals import Originals

from benchmarks.corpus.load import Case, load
from tests.corpus_checks import SHOW, align, claims, way_back

KNOWN = Path(__file__).with_name("corpus_known_failures.json")
CHECKS = ("subset", "claims", "way_back", "show")
READ_TOOLS = {"Read", "read_file", "view"}


def _cases() -> list[Case]:
    return list(load("tune"))


CASES = _cases()


def _is_read(case: Case) -> bool:
    return case.family == "read"


@functools.cache
def _text(case_id: str) -> str:
    return next(c for c in CASES if c.id == case_id).text


@functools.cache
def problems(case_id: str) -> dict[str, list[tuple[str, str]]]:
    case = next(c for c in CASES if c.id == case_id)
    text = _text(case_id)
    result = compress(text, case.context(keeps_original=False))
    gaps, subset = align(text, result)
    read = _is_read(case)
    return {
        "subset": subset,
        "claims": claims(gaps, read) if not subset else [],
        "way_back": way_back(gaps, text, False, read, case.tool, case.context().command)
        if not subset
        else [],
    }


def show_problems(case: Case, tmp: Path) -> list[tuple[str, str]]:
    from trimline.cli.main import main as trimline

    text = _text(case.id)
    result = compress(text, case.context(keeps_original=True))
    if not result.changed:
        return []
    db = tmp / "trimline.db"
    store = Originals(tmp / "originals.db")
    store.put_many([(block_id(text), text)])
    store.close()
    gaps, subset = align(text, result)
    if subset:
        return subset
    found = []
    for g in gaps:
        m = SHOW.search(g.marker)
        if not m:
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = trimline(
                ["show", m.group(1), "--lines", f"{m.group(2)}-{m.group(3)}", "--db", str(db)]
            )
        if code != 0:
            found.append(("trimline show fails", f"exit {code}"))
        elif out.getvalue() not in ("\n".join(g.lines), "\n".join(g.lines) + "\n"):
            found.append(("trimline show prints other lines", f"{m.group(0)}"))
    return found


def _known() -> dict[str, dict[str, list[str]]]:
    return json.loads(KNOWN.read_text()) if KNOWN.exists() else {}


def _params(check: str) -> list:
    known = _known().get(check, {})
    params = []
    for c in CASES:
        marks = []
        if c.id in known:
            marks.append(pytest.mark.xfail(reason="known: " + "; ".join(known[c.id]), strict=False))
        params.append(pytest.param(c.id, id=c.id, marks=marks))
    return params


def _fail(found: list[tuple[str, str]]) -> None:
    if found:
        pytest.fail("\n".join(f"{cls}: {detail}" for cls, detail in found[:10]))


@pytest.mark.parametrize("case_id", _params("subset"))
def test_faithful_subset(case_id: str) -> None:
    _fail(problems(case_id)["subset"])


@pytest.mark.parametrize("case_id", _params("claims"))
def test_marker_claims_are_true(case_id: str) -> None:
    _fail(problems(case_id)["claims"])


@pytest.mark.parametrize("case_id", _params("way_back"))
def test_marker_way_back_works(case_id: str) -> None:
    _fail(problems(case_id)["way_back"])


@pytest.mark.parametrize("case_id", _params("show"))
def test_trimline_show_with_stored_originals(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    _fail(show_problems(case, tmp_path))


def test_corpus_is_split_by_package() -> None:
    every = list(load())
    halves: dict[str, set[str]] = {}
    for c in every:
        halves.setdefault(c.package, set()).add(c.half)
    assert all(len(h) == 1 for h in halves.values()), "a package is in both halves"
    assert {c.half for c in every} == {"tune", "heldout"}
    assert all(c.facts or c.family == "read" for c in every), "a non-read case without facts"


def _update() -> None:
    """Rewrites the known failures from today's results."""
    import tempfile

    out: dict[str, dict[str, list[str]]] = {check: {} for check in CHECKS}
    for c in CASES:
        found = problems(c.id)
        with tempfile.TemporaryDirectory() as tmp:
            found = {**found, "show": show_problems(c, Path(tmp))}
        for check in CHECKS:
            classes = sorted({cls for cls, _ in found[check]})
            if classes:
                out[check][c.id] = classes
    KNOWN.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    for check in CHECKS:
        counts: dict[str, int] = {}
        for classes in out[check].values():
            for cls in classes:
                counts[cls] = counts.get(cls, 0) + 1
        print(check, len(out[check]), "cases:", counts)


if __name__ == "__main__" and "--update" in sys.argv:
    _update()
