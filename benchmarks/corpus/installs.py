"""Package installs and package metadata: ``npm install``, ``pip install -v``, ``npm view
--json``, ``pip inspect``.

Each install runs for real against the registry into a scratch project under the work
folder; the npm projects stay for the node_modules listings and searches. Facts: the
installed name-version pairs from pip's ``--report`` JSON and the lockfile's package count
for npm; for metadata JSON, the name, version and dependency keys parsed from the JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from benchmarks.corpus.sources import NPM, Work, log
from benchmarks.corpus.store import Writer

# One npm project per package: `npm install <pkg>` in an empty folder.
NPM_PROJECTS = ("express", "yargs", "axios", "deep-equal", "commander", "qs")
PIP_INSTALLS = ("flask", "requests", "jinja2", "click", "attrs", "pyparsing")


def npm_project(work: Work, package: str) -> Path:
    return work.root / "npmproj" / package


def build(work: Work, out: Writer) -> None:
    for package in NPM_PROJECTS:
        _npm_install(work, out, package)
    for package in NPM:
        p = work.run("npm", "view", f"{package}@{NPM[package]}", "--json")
        if p.returncode == 0:
            _npm_view(out, package, p.stdout)
    for package in PIP_INSTALLS:
        _pip_install(work, out, package)


def _npm_install(work: Work, out: Writer, package: str) -> None:
    project = npm_project(work, package)
    verbose = package in ("yargs", "deep-equal")
    stamp = project / ".npm-install.txt"
    args = ["npm", "install", f"{package}@{NPM[package]}"]
    if verbose:
        args.append("--loglevel=verbose")
    if not stamp.exists():
        log(" ".join(args))
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
        (project / "package.json").write_text(
            json.dumps({"name": f"try-{package}", "version": "1.0.0", "private": True})
        )
        # fund/audit off, as in the agents' sandboxes here; --no-color as a non-tty shows it
        p = work.run(*args, "--no-fund", "--no-audit", cwd=project)
        stamp.write_text(p.stdout + p.stderr)
    text = stamp.read_text()
    lock = json.loads((project / "package-lock.json").read_text())
    names = [k for k in lock.get("packages", {}) if k]
    facts = [f"added {len(names)} package"]
    # verbose logs name every package they fetched: every package is a fact then
    if verbose:
        facts += [k.rsplit("node_modules/", 1)[-1] for k in names]
    out.add(
        "install",
        package,
        "npm-install" + ("-verbose" if verbose else ""),
        "Bash",
        {"command": " ".join(args)},
        text.rstrip("\n"),
        facts,
        f"npm install {package} in an empty project",
    )


def _npm_view(out: Writer, package: str, text: str) -> None:
    data = json.loads(text)
    facts = [f'"name": "{data["name"]}"', f'"version": "{data["version"]}"']
    facts += [f'"{dep}":' for dep in data.get("dependencies", {})]
    if "latest" in data.get("dist-tags", {}):
        facts.append(f'"latest": "{data["dist-tags"]["latest"]}"')
    out.add(
        "json",
        package,
        "npm-view",
        "Bash",
        {"command": f"npm view {package}@{NPM[package]} --json"},
        text.rstrip("\n"),
        facts,
        "npm view --json",
    )


def _pip_install(work: Work, out: Writer, package: str) -> None:
    venv = work.root / "pipenv" / package
    done = venv / ".pip-install.txt"
    report = venv / "report.json"
    if not done.exists():
        log(f"pip install -v {package}")
        shutil.rmtree(venv, ignore_errors=True)
        work.run(work.bin / "python", "-m", "venv", venv, check=True)
        p = work.run(
            venv / "bin" / "pip", "install", "-v", "--no-cache-dir", "--report", report, package
        )
        done.write_text(p.stdout + p.stderr)
        inspect = work.run(venv / "bin" / "pip", "inspect")
        (venv / "inspect.json").write_text(inspect.stdout)
    installed = json.loads(report.read_text())["install"]
    facts = [f"{i['metadata']['name']}-{i['metadata']['version']}" for i in installed]
    # Lines that name a location/index warning are the machine's pip config, not the package's.
    text = "\n".join(line for line in done.read_text().split("\n") if "Location 'file:" not in line)
    out.add(
        "install",
        package,
        "pip-install-v",
        "Bash",
        {"command": f"pip install -v {package}"},
        text.rstrip("\n"),
        facts,
        f"pip install -v {package} into a fresh virtualenv",
    )
    inspect = json.loads((venv / "inspect.json").read_text())
    facts = []
    for entry in inspect["installed"]:
        facts += [
            f'"name": "{entry["metadata"]["name"]}"',
            f'"version": "{entry["metadata"]["version"]}"',
        ]
    out.add(
        "json",
        package,
        "pip-inspect",
        "Bash",
        {"command": "pip inspect"},
        (venv / "inspect.json").read_text().rstrip("\n"),
        facts,
        f"pip inspect in a virtualenv with {package}",
    )
