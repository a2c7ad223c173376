"""The house's layers, read from its folders: who may import whom, no circles, small modules,
and every package folder shipped in the wheel.

cli -> addons -> metering -> compressors -> core, each layer importing only those after it
(the addon and the CLI may import metering and compressors directly; nothing imports back up).
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["cli", "addons", "metering", "compressors", "core"]  # top imports from below only
MAX_LINES = 550  # "about 500": a module past this wants splitting


def modules() -> Iterator[tuple[str, Path]]:
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield "trimline." + ".".join(parts), path


def imports(path: Path, name: str) -> Iterator[tuple[str, bool]]:
    """(imported trimline module, at module level?) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from pkg import sub" loads module pkg.sub; "from mod import name", module mod.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in ALL else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target.startswith("trimline."):
                yield target, id(node) in top


def layer_of(module: str) -> str:
    return module.split(".")[1]


ALL = dict(modules())


def test_every_module_imports_only_its_own_layer_or_those_below() -> None:
    wrong = []
    for name, path in ALL.items():
        mine = LAYERS.index(layer_of(name))
        for target, _ in imports(path, name):
            if LAYERS.index(layer_of(target)) < mine:
                wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not wrong, "imports pointing up a layer:\n" + "\n".join(wrong)


def test_no_import_circles_at_module_level() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in ALL.items():
        edges = set()
        for target, top in imports(path, name):
            if top and target in ALL and target != name:
                edges.add(target)
        graph[name] = edges
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import circles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("name", sorted(ALL))
def test_no_module_much_over_500_lines(name: str) -> None:
    path = ALL[name]
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it"


def test_every_package_folder_ships_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    folders = {name for name, path in ALL.items() if path.name == "__init__.py"}
    assert folders <= listed, f"add to [tool.setuptools] packages: {sorted(folders - listed)}"
