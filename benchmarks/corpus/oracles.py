"""Independent oracles: what an output must keep, found without Trimline's code.

Definitions come from Python's ``ast`` and tree-sitter parse trees; search hits from
``rg --json``; paths from ``find -printf``; git facts from git's own plumbing formats.
A fact is a literal string: the store keeps it only if the tool printed it.
"""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

JS_DEFS = {
    "function_declaration",
    "generator_function_declaration",
    "class_declaration",
    "method_definition",
    "interface_declaration",
    "type_alias_declaration",
    "enum_declaration",
}
JS_FUNCTIONS = {"function_expression", "arrow_function", "function", "class"}


def definitions(path: Path, text: str) -> list[tuple[int, str]]:
    """(line, fact) for every named definition at every depth: its first line, stripped."""
    lines = text.split("\n")
    found: list[int] = []
    if path.suffix == ".py":
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return []
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.append(node.lineno)
    elif path.suffix in {".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"}:
        found = _js_definitions(path, text)
    facts = []
    for n in sorted(set(found)):
        line = lines[n - 1].strip() if 0 < n <= len(lines) else ""
        if len(line) >= 6:
            facts.append((n, line[:100]))
    return facts


def _js_definitions(path: Path, text: str) -> list[int]:
    from tree_sitter_language_pack import get_parser

    lang = "typescript" if path.suffix in {".ts", ".mts", ".cts"} else "javascript"
    tree = get_parser(lang).parse(text.encode())
    found = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type in JS_DEFS:
            found.append(node.start_point[0] + 1)
        elif node.type in {"variable_declarator", "assignment_expression", "pair"}:
            value = node.child_by_field_name("value") or node.child_by_field_name("right")
            if value is not None and value.type in JS_FUNCTIONS:
                found.append(node.start_point[0] + 1)
    return found


def rg_hits(rg: Path, args: list[str], cwd: Path) -> list[tuple[str, int]]:
    """(path, line) of every match, from ``rg --json`` with the same pattern and paths."""
    p = subprocess.run(
        [str(rg), "--json", "-uu", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    hits = []
    for line in p.stdout.splitlines():
        event = json.loads(line)
        if event.get("type") == "match":
            data = event["data"]
            hits.append((data["path"].get("text", ""), data["line_number"]))
    return hits


def find_paths(cwd: Path, args: list[str], fmt: str = "%p\\n") -> list[str]:
    p = subprocess.run(
        ["find", *args, "-printf", fmt], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    return [line for line in p.stdout.split("\n") if line]
