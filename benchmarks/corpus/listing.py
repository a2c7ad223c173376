"""Listings of real trees: find, ls -R, ls -laR, tree, du, Claude Code's Glob, including
listings that target node_modules itself (``find node_modules -maxdepth 3``).

Facts come from ``find -printf`` over the same tree and depth: every path for find, du
and Glob; every entry name (4 characters or more) for ls and tree, whose lines carry names
rather than paths.
"""

from __future__ import annotations

import hashlib
import shlex

from benchmarks.corpus.installs import NPM_PROJECTS, npm_project
from benchmarks.corpus.oracles import find_paths
from benchmarks.corpus.sources import NPM, PYPI, Work
from benchmarks.corpus.store import Writer

TREE_FORMS = ("find_name", "find_f", "ls_R", "ls_laR", "tree", "du_ah", "glob")
PROJECT_FORMS = ("find_nm3", "ls_nm", "tree_nm2", "du_nm", "ls_R_nm")


def build(work: Work, out: Writer) -> None:
    for package in [*PYPI, *NPM]:
        h = int(hashlib.sha256(package.encode()).hexdigest()[:8], 16)
        form = TREE_FORMS[h % len(TREE_FORMS)]
        _tree(work, out, package, form)
    for k, package in enumerate(NPM_PROJECTS):
        _project(work, out, package, PROJECT_FORMS[k % len(PROJECT_FORMS)])
        _project(work, out, package, "find_nm3" if k % len(PROJECT_FORMS) else "du_nm")


def _names(paths: list[str]) -> list[str]:
    return sorted({p.rsplit("/", 1)[-1] for p in paths if len(p.rsplit("/", 1)[-1]) >= 4})


def _tree(work: Work, out: Writer, package: str, form: str) -> None:
    root = work.src(package)
    ext = "*.py" if package in PYPI else "*.js"
    if form == "find_name":
        args, facts = ["find", ".", "-name", ext], find_paths(root, [".", "-name", ext])
    elif form == "find_f":
        args, facts = ["find", ".", "-type", "f"], find_paths(root, [".", "-type", "f"])
    elif form == "ls_R":
        args, facts = ["ls", "-R"], _names(find_paths(root, [".", "-mindepth", "1"]))
    elif form == "ls_laR":
        args, facts = ["ls", "-laR"], _names(find_paths(root, [".", "-mindepth", "1"]))
    elif form == "tree":
        args, facts = (
            ["tree"],
            _names(find_paths(root, [".", "-mindepth", "1", "-not", "-name", ".*"])),
        )
    elif form == "du_ah":
        args, facts = ["du", "-ah", "."], find_paths(root, ["."])
    else:  # Claude Code's Glob: relative paths, one per line
        paths = sorted(
            p.removeprefix("./") for p in find_paths(root, [".", "-name", ext, "-type", "f"])
        )
        out.add(
            "listing",
            package,
            f"glob-{ext}",
            "Glob",
            {"pattern": f"**/{ext}"},
            "\n".join(paths),
            paths,
            f"Glob **/{ext} over the {package} tree",
        )
        return
    p = work.run(*args, cwd=root)
    out.add(
        "listing",
        package,
        form,
        "Bash",
        {"command": shlex.join(args)},
        p.stdout.rstrip("\n"),
        facts,
        f"{' '.join(args)} over the {package} tree",
    )


def _project(work: Work, out: Writer, package: str, form: str) -> None:
    root = npm_project(work, package)
    if form == "find_nm3":
        args, facts = (
            ["find", "node_modules", "-maxdepth", "3"],
            find_paths(root, ["node_modules", "-maxdepth", "3"]),
        )
    elif form == "ls_nm":
        args, facts = (
            ["ls", "node_modules"],
            _names(find_paths(root, ["node_modules", "-mindepth", "1", "-maxdepth", "1"])),
        )
    elif form == "tree_nm2":
        args, facts = (
            ["tree", "-L", "2", "node_modules"],
            _names(
                find_paths(
                    root,
                    ["node_modules", "-mindepth", "1", "-maxdepth", "2", "-not", "-name", ".*"],
                )
            ),
        )
    elif form == "du_nm":
        args = ["du", "-h", "--max-depth=2", "node_modules"]
        facts = find_paths(root, ["node_modules", "-maxdepth", "2", "-type", "d"])
    else:
        args, facts = (
            ["ls", "-R", "node_modules"],
            _names(find_paths(root, ["node_modules", "-mindepth", "1"])),
        )
    p = work.run(*args, cwd=root)
    out.add(
        "listing",
        package,
        f"project-{form}",
        "Bash",
        {"command": " ".join(args)},
        p.stdout.rstrip("\n"),
        facts,
        f"{' '.join(args)} in a project after npm install {package}",
    )
