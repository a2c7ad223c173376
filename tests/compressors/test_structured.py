"""The structured family: JSON, YAML, TOML and CSV/TSV folded to their shape."""

from __future__ import annotations

import json
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, compress, registry, structured
from trimline.compressors.base import MARKER_PREFIX, render
from trimline.compressors.tokens import count_tokens

from tests.laws import bash, markers, names, ordered_subset
from tests.laws import load as load_fixture

NAMES = names("structured")
load = partial(load_fixture, "structured")


def run(text: str, ctx: Context) -> str:
    plan = structured.compress(text, ctx)
    if plan is None:
        return text
    out, _ = render(text, plan, ctx)
    return out


def pretty(value: object, indent: int = 2) -> str:
    return json.dumps(value, indent=indent)


def items(n: int, **extra: object) -> list[dict]:
    out = []
    for k in range(n):
        item = {
            "id": k,
            "name": f"service-{k:03d}",
            "status": "running",
            "created_at": f"2024-05-{k % 28 + 1:02d}T10:00:00Z",
        }
        out.append(item)
    for index, fields in extra.items():
        out[int(index.lstrip("_"))].update(fields)  # type: ignore[arg-type]
    return out


# --------------------------------------------------------------------------- claims


@pytest.mark.parametrize(
    "path", ["package.json", "a/b/config.yaml", "ci.yml", "pyproject.toml", "data.csv", "t.tsv"]
)
def test_claims_reads_of_data_files(path: str) -> None:
    assert structured.claims(Context("Read", {"file_path": path}))
    assert structured.claims(Context("str_replace_editor", {"command": "view", "path": path}))


def test_leaves_lockfiles_to_the_code_family() -> None:
    for path in ("/repo/Cargo.lock", "uv.lock", "package-lock.json", "pnpm-lock.yaml", "yarn.lock"):
        assert not structured.claims(Context("Read", {"file_path": path}))
        assert not structured.claims(bash(f"cat {path}"))


@pytest.mark.parametrize(
    "command",
    [
        "jq . data.json",
        "curl -s https://api.example.com/items | jq .",
        "kubectl get pods -o json",
        "kubectl get deploy -oyaml",
        "kubectl get pods --output=json -n kube-system",
        "gh api repos/octo/hello/issues",
        "gh pr list --json number,title",
        "npm view react --json",
        "npm view react versions --json | head -50",
        "cat package.json",
        "cat .github/workflows/ci.yml | head -80",
        "head -100 data.csv",
        "yq . docker-compose.yml",
        "python -m json.tool response.json",
        "docker inspect web",
        "docker compose config",
        "python -m pip inspect",
        "pip inspect | jq -r '.installed[].metadata | [.name, .version] | @csv'",
        "bash -lc 'kubectl get svc -o yaml'",
        "cd repo && cat Cargo.toml",
        "helm template ./chart",
        "aws ec2 describe-instances --output json",
    ],
)
def test_claims_structured_commands(command: str) -> None:
    assert structured.claims(bash(command))


@pytest.mark.parametrize(
    "command",
    [
        "curl -s https://api.example.com/items",
        "jq -r '.items[].name' data.json",
        "jq -c . data.json",
        "cat main.py",
        "pytest -x",
        "grep -rn version package.json",
        "kubectl get pods",
        "ls -la",
        "npm install",
        "cat package.json | grep version",
        "",
    ],
)
def test_does_not_claim_other_commands(command: str) -> None:
    assert not structured.claims(bash(command))


def test_does_not_claim_other_reads() -> None:
    for path in ("main.py", "README.md", "index.html", "Makefile", ""):
        assert not structured.claims(Context("Read", {"file_path": path}))
    assert not structured.claims(Context("Grep", {"pattern": "x", "path": "a.json"}))
    assert not structured.claims(Context())


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize("name", NAMES)
def test_sniffs_real_structured_output(name: str) -> None:
    text, _, _ = load(name)
    assert structured.sniff(text, Context())


NOT_STRUCTURED = {
    "read_python": "\n".join(f"{i}\tdef f{i}(x):\n" for i in range(1, 60)),
    "read_python_2": "\n".join(
        f"{i}\t{line}"
        for i, line in enumerate(
            ["import os", "", "class A:", "    def f(self):", "        return 1"] * 12, 1
        )
    ),
    "pytest": "\n".join(
        ["===== test session starts ====="]
        + [f"tests/test_a.py::test_{i} PASSED" for i in range(30)]
    ),
    "grep": "\n".join(f"src/a{i}.py:{i + 1}:    value = compute({i})" for i in range(30)),
    "prose": "\n".join(
        f"This is sentence {i}, which has commas, and says nothing much." for i in range(30)
    ),
    "traceback": "Traceback (most recent call last):\n"
    + '  File "x.py", line 1, in <module>\n    f()\n' * 10
    + "ValueError: bad",
    "pip_show": "Name: requests\nVersion: 2.31.0\nSummary: HTTP\nHome-page: x\nAuthor: K\n"
    "License: Apache\nLocation: /x\nRequires: idna, urllib3\nRequired-by: pip",
    "log": "\n".join(f"2024-01-01 10:00:{i:02d} INFO worker: step {i} done" for i in range(40)),
    "ls": "\n".join(f"-rw-r--r-- 1 root root {i * 10} Jan 1 00:00 f{i}.py" for i in range(30)),
    "one_line_json": json.dumps({"a": list(range(2000))}),
}


@pytest.mark.parametrize("name", sorted(NOT_STRUCTURED))
def test_does_not_sniff_other_output(name: str) -> None:
    assert not structured.sniff(NOT_STRUCTURED[name], Context())


def test_sniffs_each_format() -> None:
    assert structured.sniff(pretty({"items": items(5)}), Context())
    assert structured.sniff(pretty(items(5), indent=4), Context())
    yaml = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        f"- kind: Pod\n  metadata:\n    name: web-{k}\n" for k in range(5)
    )
    assert structured.sniff(yaml, Context())
    toml = "".join(f'[[package]]\nname = "p{k}"\nversion = "1.{k}.0"\n\n' for k in range(6))
    assert structured.sniff(toml, Context())
    csv_text = "id,name,score\n" + "".join(f"{k},user{k},{k * 3}\n" for k in range(30))
    assert structured.sniff(csv_text, Context())
    numbered = "\n".join(f"{i}\t{line}" for i, line in enumerate(pretty(items(5)).split("\n"), 1))
    assert structured.sniff(numbered, Context())


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("name", NAMES)
def test_registry_routes_fixtures_here(name: str) -> None:
    text, ctx, _ = load(name)
    assert registry.pick(text, ctx) is structured


def test_large_fixtures_save_seventy_percent() -> None:
    before = after = 0
    for name in NAMES:
        text, ctx, _ = load(name)
        result = compress(text, ctx)
        if count_tokens(text) >= 500:
            before += count_tokens(text)
            after += count_tokens(result.text)
    assert after <= 0.3 * before


def test_npm_view_folds_versions_and_time() -> None:
    text, ctx, _ = load("npm_view_express_json")
    out = compress(text, ctx).text
    found = markers(out)
    assert any("more strings in .versions" in m for m in found)
    assert any("more string entries in .time" in m for m in found)
    assert '  "name": "express",' in out.split("\n")


def test_read_markers_use_file_lines_and_read_hint() -> None:
    text, ctx, _ = load("read_rust_manifest_toml")
    out = compress(text, ctx).text
    first = markers(out)[0]
    assert "in .pkg.cargo.target" in first
    assert f"Read file_path={ctx.file_path} offset=25 limit=260" in first
    assert "lines 25-284 elided:" in first


def test_table_marker_describes_the_rows() -> None:
    text, ctx, _ = load("jq_pip_inspect_csv")
    out = compress(text, ctx).text
    (marker,) = markers(out)
    assert "rows (name: " in marker and "distinct" in marker
    assert out.split("\n")[0] == '"name","version","summary","requires_python"'


# --------------------------------------------------------------------------- hand-made: JSON


def test_array_of_objects_keeps_ends_and_names_the_schema() -> None:
    text = pretty({"count": 60, "items": items(60)})
    out = run(text, bash("curl -s https://api.example.com/items | jq ."))
    (marker,) = markers(out)
    assert "57 more items of {id, name, status, created_at} in .items" in marker
    assert '"name": "service-000"' in out and '"name": "service-059"' in out
    assert '"name": "service-030"' not in out
    assert ordered_subset(text, out)
    json_lines = [line for line in out.split("\n") if not line.startswith(MARKER_PREFIX)]
    assert json.loads("\n".join(json_lines).replace("},\n  ]", "}\n  ]"))  # still readable


def test_failures_and_new_keys_in_the_middle_are_kept() -> None:
    data = items(80, _30={"status": "failed"}, _50={"error": "disk full"}, _60={"retries": 3})
    text = pretty({"items": data})
    out = run(text, bash("kubectl get x -o json"))
    assert '"status": "failed"' in out
    assert '"error": "disk full"' in out
    assert '"retries": 3' in out
    assert '"name": "service-030"' in out and '"name": "service-050"' in out
    assert '"name": "service-040"' not in out
    assert len(markers(out)) == 4


def test_null_errors_do_not_count_as_failures() -> None:
    data = [dict(item, error=None) for item in items(60)]
    out = run(pretty(data), bash("gh api x"))
    assert len(markers(out)) == 1


def test_scalar_arrays_and_maps_fold() -> None:
    data = {
        "name": "pkg",
        "versions": [f"1.{k}.0" for k in range(200)],
        "time": {f"1.{k}.0": f"2020-01-{k % 28 + 1:02d}" for k in range(200)},
        "small": {"a": 1, "b": 2},
    }
    out = run(pretty(data), bash("npm view pkg --json"))
    assert "195 more strings in .versions" in out
    assert "195 more string entries in .time" in out
    assert '"1.199.0"' in out and '"a": 1' in out


def test_maps_of_objects_keep_every_key_once() -> None:
    packages = {
        f"node_modules/p{k}": {"version": f"1.0.{k}", "resolved": f"https://r/p{k}.tgz"}
        for k in range(40)
    }
    packages["node_modules/p25"]["dev"] = True
    text = pretty({"name": "app", "lockfileVersion": 3, "packages": packages})
    out = run(text, Context("Read", {"file_path": "package-lock.json"}))
    assert '"dev": true' in out
    assert "more entries of {version, resolved} in .packages" in out


def test_jq_stream_of_objects() -> None:
    text = "\n".join(pretty(item) for item in items(40))
    out = run(text, bash("jq '.items[]' x.json"))
    assert "more values of {id, name, status, created_at}" in out
    assert ordered_subset(text, out)


def test_minified_json_is_left_to_the_fallback() -> None:
    text = json.dumps({"items": items(200)})
    assert structured.compress(text, bash("curl -s x | jq -c .")) is None
    assert structured.compress("Exit code 0\n" + text, bash("gh api x")) is None


def test_small_collections_stay_whole() -> None:
    text = pretty({"items": items(5)})
    plan = structured.compress(text, bash("jq . x.json"))
    assert plan is not None and len(plan.keep) == len(text.split("\n"))
    assert compress(text, bash("jq . x.json")).text == text


def test_harness_header_lines_are_kept() -> None:
    body = pretty({"items": items(60)})
    text = "Chunk ID: 1a2b\nWall time: 0.2 seconds\nProcess exited with code 0\n"
    text += "Original token count: 5000\nOutput:\n" + body
    out = run(text, Context("exec_command", {"cmd": "kubectl get pods -o json"}))
    assert out.startswith("Chunk ID: 1a2b\nWall time: 0.2 seconds\n")
    assert "Output:" in out.split("\n") and markers(out)


def test_numbered_read_window() -> None:
    lines = pretty({"items": items(60)}).split("\n")
    text = "\n".join(f"{k + 1}\t{line}" for k, line in enumerate(lines))
    text += "\n\n<system-reminder>\nKeep it safe.\n</system-reminder>"
    ctx = Context("Read", {"file_path": "/srv/items.json"})
    out = run(text, ctx)
    (marker,) = markers(out)
    assert "Read file_path=/srv/items.json offset=" in marker
    assert "<system-reminder>" in out and "Keep it safe." in out
    assert ordered_subset(text, out)


def test_crlf_and_ansi_colours() -> None:
    text = pretty({"items": items(60)}).replace("\n", "\r\n")
    out = run(text, bash("jq . x.json"))
    assert markers(out) and ordered_subset(text, out)
    coloured = pretty({"items": items(60)}).replace('"name"', '\x1b[34;1m"name"\x1b[0m')
    out = run(coloured, bash("jq -C . x.json"))
    assert markers(out) and "\x1b" not in out and ordered_subset(coloured, out)


def test_long_values_seen_before_are_dropped() -> None:
    data = [{"name": f"p{k}", "description": "x" * 3000} for k in range(3)]
    out = run(pretty(data), bash("jq . x.json"))
    assert out.count("x" * 3000) == 1
    assert "3,021-character value of [1].description" in out or "character value" in out


def test_truncated_json_still_folds() -> None:
    text = "\n".join(pretty({"items": items(80)}).split("\n")[:300])
    out = run(text, Context("Read", {"file_path": "big.json"}))
    assert markers(out) and ordered_subset(text, out)


def test_compressing_twice_is_stable() -> None:
    text = pretty({"items": items(100), "versions": [str(k) for k in range(100)]})
    once = run(text, bash("jq . x.json"))
    twice = run(once, bash("jq . x.json"))
    assert len(twice) <= len(once)
    assert ordered_subset(once, twice)


# --------------------------------------------------------------------------- hand-made: YAML


def kube_list(n: int) -> str:
    out = ["apiVersion: v1", "kind: List", "items:"]
    for k in range(n):
        out += [
            "- apiVersion: v1",
            "  kind: Pod",
            "  metadata:",
            f"    name: web-{k}",
            "    labels:",
            "      app: web",
            "  spec:",
            "    containers:",
            "    - image: nginx:1.25",
            "      name: nginx",
            "      ports:",
            "      - containerPort: 80",
            "  status:",
            f"    phase: {'Failed' if k == 17 else 'Running'}",
        ]
    out += ["metadata:", '  resourceVersion: ""']
    return "\n".join(out)


def test_yaml_list_folds_items() -> None:
    text = kube_list(40)
    out = run(text, bash("kubectl get pods -o yaml"))
    assert "more items of {apiVersion, kind, metadata, spec, status} in .items" in out
    assert "name: web-0" in out and "name: web-39" in out
    assert "phase: Failed" in out and "name: web-17" in out
    assert "name: web-25" not in out
    assert '  resourceVersion: ""' in out.split("\n")
    assert ordered_subset(text, out)


def test_yaml_documents_fold() -> None:
    docs = [
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web{k}\nspec:\n"
        f"  replicas: {k}\n  template:\n    spec:\n      containers:\n      - image: nginx\n"
        "        name: nginx\n        resources: {}\n"
        for k in range(30)
    ]
    text = "---\n".join(docs)
    out = run(text, bash("helm template ./chart"))
    assert "more documents of {apiVersion, kind, metadata, spec}" in out
    assert ordered_subset(text, out)


def test_yaml_long_text_blocks_keep_their_start() -> None:
    script = "\n".join(f"        echo step {k} && make target-{k} >> build.log" for k in range(40))
    text = f"name: ci\njobs:\n  build:\n    steps:\n    - run: |\n{script}\n    - run: make test\n"
    out = run(text, Context("Read", {"file_path": ".github/workflows/ci.yml"}))
    assert "echo step 0" in out and "echo step 3" in out and "echo step 20" not in out
    assert "rest of the 41-line value of .jobs.build.steps[0].run" in out
    assert "    - run: make test" in out.split("\n")


# --------------------------------------------------------------------------- hand-made: TOML


def test_toml_arrays_of_tables_fold() -> None:
    blocks = [
        f'[[package]]\nname = "crate-{k}"\nversion = "0.{k}.0"\n'
        f'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
        f'checksum = "{k:064x}"\ndependencies = [\n "libc",\n "serde",\n]\n'
        for k in range(40)
    ]
    text = "version = 3\n\n" + "\n".join(blocks)
    out = run(text, bash("cat Cargo.lock"))
    assert "more items of {name, version, source, checksum, dependencies} in .package" in out
    assert 'name = "crate-0"' in out and 'name = "crate-39"' in out
    assert 'name = "crate-20"' not in out
    assert ordered_subset(text, out)


# --------------------------------------------------------------------------- hand-made: CSV


def test_csv_keeps_header_head_and_tail() -> None:
    rows = ["id,city,temp"] + [
        f"{k},{'Paris' if k % 2 else 'Lima'},{k / 10:.1f}" for k in range(500)
    ]
    text = "\n".join(rows)
    out = run(text, bash("head -600 weather.csv"))
    (marker,) = markers(out)
    assert "487 rows (id: 10..496; city: 2 distinct; temp: 1..49.6)" in marker
    for kept in rows[:11] + rows[-3:]:
        assert kept in out.split("\n")


def test_tsv_without_header() -> None:
    rows = [f"{k}\t{k * k}\tname-{k}" for k in range(100)]
    out = run("\n".join(rows), bash("cat squares.tsv"))
    assert "col1: 10..96; col2: 100..9216; col3: 87 distinct" in out


def test_csv_problem_rows_stay() -> None:
    rows = ["ts,level,message"] + [f"{k},info,step {k} ok" for k in range(200)]
    rows[100] = "99,error,connection refused by upstream"
    rows[150] = "149,info,retrying after an error"  # an ordinary row that mentions an error
    out = run("\n".join(rows), bash("cat events.csv"))
    assert "99,error,connection refused by upstream" in out
    assert "149,info,retrying after an error" not in out
    assert len(markers(out)) == 2


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "{",
        "[\n",
        "{\n}",
        "}\n]\n}",
        "{\n" + '  "a": 1,\n' * 5000,
        "[\n" + "  [\n" * 3000,
        "a:\n" + "  b:\n" * 2000,
        "- - - - -\n" * 100,
        "key: |\n" + "  text\n" * 100,
        "[[x]]\n[x.y]\n[[x.y.z]]\n" * 50,
        "a = [\n" * 100,
        '"' * 10_000,
        ",,,,\n" * 500,
        "\x00\x01\x02binary\xff" * 500,
        "x" * 1_000_000,
        "{\n" + '  "k": "' + "v" * 300_000 + '"\n}',
        "\r\r\r\n\n\t\t",
        "Exit code 1",
        '1\t{\n2\t  "a": [\n' + "".join(f'{k}\t    "{k}",\n' for k in range(3, 300)),
    ],
)
def test_never_raises_on_junk(text: str) -> None:
    for ctx in (
        bash("jq . x"),
        bash("cat x.csv"),
        Context("Read", {"file_path": "x.yaml"}),
        Context(),
    ):
        plan = structured.compress(text, ctx)
        if plan is not None:
            out, _ = render(text, plan, ctx)
            assert ordered_subset(text, out)
        structured.sniff(text, ctx)
        structured.claims(ctx)
        compress(text, ctx)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(
                r' {0,6}"[a-z]{1,6}": ?(\{|\[|"[a-z ]{0,10}",?|\d{1,4},?)', fullmatch=True
            ),
            st.from_regex(r" {0,6}(\}|\]),?", fullmatch=True),
            st.from_regex(r" {0,6}(- )?[a-z]{1,6}:( [a-z0-9|>]{0,8})?", fullmatch=True),
            st.from_regex(r"[a-z0-9]{0,5}(,[a-z0-9]{0,5}){0,3}", fullmatch=True),
            st.text(max_size=30),
        ),
        max_size=120,
    )
)
def test_laws_hold_on_random_input(lines: list[str]) -> None:
    text = "\n".join(lines)
    for ctx in (bash("jq . x"), Context("Read", {"file_path": "x.yaml"})):
        plan = structured.compress(text, ctx)
        if plan is None:
            continue
        out, _ = render(text, plan, ctx)
        assert ordered_subset(text, out)
        again, _ = render(text, structured.compress(text, ctx), ctx)  # type: ignore[arg-type]
        assert again == out  # pure: no state between calls
