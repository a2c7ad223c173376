"""The traces family: exceptions and project frames kept, library frames folded into a count."""

from __future__ import annotations

from functools import partial

import pytest
from trimline.compressors import Context, compress, traces
from trimline.compressors.registry import pick

from tests.laws import bash, markers, names
from tests.laws import load as load_fixture

NAMES = names("traces")
load = partial(load_fixture, "traces")


@pytest.mark.parametrize("name", NAMES)
def test_fixture_markers_count_library_frames(name: str) -> None:
    text, ctx, _ = load(name)
    result = compress(text, ctx)
    for m in markers(result.text):
        assert "library frame" in m and "trimline show" not in m


GO_PANIC = """panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x8 pc=0x47e1b2]

goroutine 7 [running]:
main.weight(...)
\t/home/dev/project/jobs/weight.go:9
main.main.func1(0x0)
\t/home/dev/project/main.go:15 +0x52
created by main.main in goroutine 1
\t/home/dev/project/main.go:14 +0x8a
goroutine 1 [semacquire]:
sync.runtime_Semacquire(0xc000012118?)
\t/usr/local/go/src/runtime/sema.go:62 +0x25
sync.(*WaitGroup).Wait(0xc000012110)
\t/usr/local/go/src/sync/waitgroup.go:116 +0x48
internal/poll.runtime_pollWait(0x7f, 0x72)
\t/usr/local/go/src/runtime/netpoll.go:343 +0x85
net/http.(*conn).serve(0xc0001a0000, {0x8d1e28, 0xc000190000})
\t/root/go/pkg/mod/golang.org/x/net@v0.17.0/http2/server.go:2009 +0x5fe
main.main()
\t/home/dev/project/main.go:17 +0x1a5
exit status 2
"""


def test_go_panic_keeps_the_panic_goroutines_and_project_frames() -> None:
    text = GO_PANIC * 3
    plan = traces.compress(text, Context())
    assert plan is not None
    kept = [line for k, line in enumerate(text.split("\n")) if k in plan.keep]
    for line in text.split("\n"):
        if line.startswith(("panic:", "goroutine ", "main.", "\t/home/dev/project/", "created by")):
            assert line in kept
        if line.startswith(("\t/usr/local/go/", "\t/root/go/pkg/mod/", "sync.", "net/http.")):
            assert line not in kept
    assert any("library frames (Go runtime)" in note for note in plan.notes.values())


def test_library_frames_fold_into_one_counted_marker_per_run() -> None:
    js = (
        "TypeError: x is not a function\n"
        + "".join(f"    at f{k} (/app/node_modules/lib/index.js:{k}:1)\n" for k in range(30))
        + "    at main (/app/src/main.js:3:5)\n"
    )
    result = compress(js * 4, Context("Bash", {"command": "node src/main.js"}))
    assert result.kind == "traces"
    ms = markers(result.text)
    assert len(ms) == 4 and all("30 library frames (node)" in m for m in ms)
    assert result.text.count("    at main (/app/src/main.js:3:5)") == 4


def test_a_problem_line_inside_a_library_run_is_kept() -> None:
    frames = [
        f'  File "/usr/lib/python3.11/site-packages/lib/m{k}.py", line {k}, in f\n    g()\n'
        for k in range(20)
    ]
    frames[10] = (
        '  File "/usr/lib/python3.11/site-packages/lib/errors.py", line 3, in raise_error\n    raise ValueError\n'
    )
    text = ("Traceback (most recent call last):\n" + "".join(frames) + "ValueError: bad\n") * 3
    result = compress(text, Context())
    assert result.kind == "traces"
    assert result.text.count("raise_error") == 3
    assert result.text.count("ValueError: bad") == 3


def test_a_crash_under_a_build_tool_goes_to_traces() -> None:
    text, _, _ = load("rust_panic_backtrace")
    assert pick(text, bash("RUST_BACKTRACE=1 cargo run")) is traces


def test_compressing_twice_changes_nothing() -> None:
    for name in NAMES:
        text, ctx, _ = load(name)
        once = compress(text, ctx).text
        assert compress(once, ctx).text == once
