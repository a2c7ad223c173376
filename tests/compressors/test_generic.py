"""Issue 16, class 5: the generic pass's markers are true of the lines they replace.

Run over every real output in fixtures/ and every observation of the SWE-agent runs, with
the generic pass forced: a run said to be "repeats of the line above, numbers aside" holds
only lines equal to the line above it once digit runs and hashes are set aside, and every
counted note counts right.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from trimline.compressors import Context, generic
from trimline.compressors.base import _runs, render
from trimline.compressors.text import clean

from fixtures.load import load_all
from tests.laws import ordered_subset

RUNS = Path(__file__).resolve().parents[2] / "fixtures" / "corpora" / "swe-agent-trajectories"
NUMBERS = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b|\d+")


def outputs() -> list[tuple[str, str]]:
    found = [(f.id, f.text) for f in load_all()]
    for path in sorted(RUNS.glob("*.traj")):
        for k, step in enumerate(json.loads(path.read_text()).get("trajectory", [])):
            found.append((f"{path.stem[-30:]}#{k}", step.get("observation", "")))
    return found


def test_every_generic_note_is_true() -> None:
    checked = repeats = 0
    for name, text in outputs():
        plan = generic.compress(text, Context())
        if plan is None:
            continue
        lines = clean(text).split("\n")
        for first, end in _runs(plan.keep, len(lines)):
            note = plan.notes[first]
            checked += 1
            if note == generic.REPEATS:
                repeats += 1
                above = NUMBERS.sub("#", lines[first - 1])
                assert first - 1 in plan.keep, name
                assert all(NUMBERS.sub("#", lines[k]) == above for k in range(first, end)), (
                    name,
                    first,
                )
            elif note == "blank lines":
                assert all(not lines[k].strip() for k in range(first, end)), name
            else:
                more = re.search(r" and (\d+) more lines?$", note)
                if more:
                    assert 0 < int(more.group(1)) < end - first, (name, note)
        out, _ = render(text, plan, Context())
        assert ordered_subset(text, out)
    assert checked > 50 and repeats > 5


def test_distinct_code_lines_are_never_called_repeats() -> None:
    text = "\n".join(f"    value_{chr(97 + i % 26)}{i} = compute(x{i}, y)" for i in range(400))
    plan = generic.compress(text, Context())
    assert plan is not None
    assert generic.REPEATS not in plan.notes.values()
    text = "\n".join(f"step {i} done in {i * 3} ms" for i in range(400))
    plan = generic.compress(text, Context())
    assert plan is not None and generic.REPEATS in plan.notes.values()
