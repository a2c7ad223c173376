"""History and diffs over a real git repository built from two releases of a package.

The older release is the first commit; the newer release's changes follow, one commit per
folder (subject ``<folder>: update to <version>``), with fixed authors and dates so a
rebuild makes the same hashes. Outputs: ``git log`` (default, ``--oneline``, ``--stat -n
40``, ``-p -n 5``), ``git show`` of typical commits, ``git diff`` between the releases
(whole, one file, ``--stat``), and ``git blame``.

Facts come from git's plumbing formats: every commit id (``%H`` or ``%h`` as the form
prints it) and subject, every changed path (``--name-status``) and every changed line
(``-U0``, lines of 5 characters or more).
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path

from benchmarks.corpus.sources import PYPI, PYPI_OLD, Work, log
from benchmarks.corpus.store import Writer

AUTHORS = (
    ("Ada Lovelace", "ada@example.org"),
    ("Grace Hopper", "grace@example.org"),
    ("Linus Pauling", "linus@example.org"),
)


def build(work: Work, out: Writer) -> None:
    for package, old in PYPI_OLD.items():
        repo = _repo(work, package, old)
        _outputs(work, out, package, repo, old)


def _git(work: Work, repo: Path, *args: str, env: dict | None = None) -> str:
    p = work.run(
        "git", "-c", "core.pager=cat", "-c", "color.ui=never", *args, cwd=repo, env=env, check=True
    )
    return p.stdout


def _repo(work: Work, package: str, old: str) -> Path:
    repo = work.root / "git" / package
    if (repo / ".git" / "corpus-done").exists():
        return repo
    log(f"git history for {package} {old} -> {PYPI[package]}")
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(work.src(package, old), repo)
    base = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    _git(work, repo, "init", "-q", "-b", "main")
    step = [0]

    def commit(message: str) -> None:
        name, email = AUTHORS[step[0] % len(AUTHORS)]
        date = f"2026-03-{1 + step[0] // 24:02d}T{step[0] % 24:02d}:15:00+00:00"
        env = {
            **base,
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": date,
        }
        _git(work, repo, "commit", "-q", "-m", message, env=env)
        step[0] += 1

    _git(work, repo, "add", "-A")
    commit(f"Import {package} {old}")
    _git(work, repo, "tag", f"v{old}")
    new = work.src(package)
    # Replace the tree with the new release, then stage it folder by folder.
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    for child in new.iterdir():
        (shutil.copytree if child.is_dir() else shutil.copy2)(child, repo / child.name)
    changed = [
        line[3:] for line in _git(work, repo, "status", "--porcelain", "-uall").split("\n") if line
    ]
    groups: dict[str, list[str]] = defaultdict(list)
    for path in changed:
        path = path.split(" -> ")[-1].strip('"')
        parts = path.split("/")
        groups[
            "/".join(parts[:2]) if len(parts) > 2 else parts[0] if len(parts) > 1 else "."
        ].append(path)
    for group in sorted(groups):
        _git(work, repo, "add", "-A", "--", *groups[group])
        if _git(work, repo, "diff", "--cached", "--name-only").strip():
            commit(f"{group}: update to {package} {PYPI[package]}")
    _git(work, repo, "add", "-A")
    if _git(work, repo, "diff", "--cached", "--name-only").strip():
        commit(f"Release {package} {PYPI[package]}")
    _git(work, repo, "tag", f"v{PYPI[package]}")
    (repo / ".git" / "corpus-done").write_text("ok")
    return repo


def _changed_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.split("\n")
        if line[:1] in "+-" and not line.startswith(("+++ ", "--- ")) and len(line.strip()) >= 5
    ]


def _commits(work: Work, repo: Path, *args: str) -> list[tuple[str, str, str]]:
    text = _git(work, repo, "log", "--format=%H%x09%h%x09%s", *args)
    return [tuple(line.split("\t", 2)) for line in text.split("\n") if line]  # type: ignore[misc]


def _paths(work: Work, repo: Path, *args: str) -> list[str]:
    return [
        line.split("\t")[-1]
        for line in _git(work, repo, *args, "--name-status", "--format=").split("\n")
        if "\t" in line
    ]


def _outputs(work: Work, out: Writer, package: str, repo: Path, old: str) -> None:
    new = PYPI[package]
    add = lambda family, name, args, facts, source: out.add(  # noqa: E731
        family,
        package,
        name,
        "Bash",
        {"command": "git " + " ".join(args)},
        _git(work, repo, *args).rstrip("\n"),
        facts,
        f"{source} ({package} {old} -> {new})",
    )
    commits = _commits(work, repo)
    add(
        "git_log",
        "log-oneline",
        ["log", "--oneline"],
        [f"{h} {s}" for _, h, s in commits],
        "git log --oneline",
    )
    facts = [full for full, _, _ in commits] + [s for _, _, s in commits]
    add("git_log", "log-default", ["log"], facts, "git log")
    top = _commits(work, repo, "-n", "40")
    facts = (
        [full for full, _, _ in top]
        + [s for _, _, s in top]
        + _paths(work, repo, "log", "-n", "40")
    )
    add("git_log", "log-stat-n40", ["log", "--stat", "-n", "40"], facts, "git log --stat -n 40")
    # log -p over the last commits that fit (a release import can be megabytes).
    n = 5
    while n > 1 and len(_git(work, repo, "log", "-p", "-n", str(n)).encode()) > 480_000:
        n -= 1
    top = _commits(work, repo, "-n", str(n))
    facts = [full for full, _, _ in top] + _changed_lines(
        _git(work, repo, "log", "-p", "-U0", "-n", str(n), "--format=")
    )
    add("git_log", f"log-p-n{n}", ["log", "-p", "-n", str(n)], facts, f"git log -p -n {n}")
    # git show: commits of typical size (20 to 400 changed lines), up to three.
    sizes = []
    for full, _h, subject in commits[:-1]:
        numstat = _git(work, repo, "show", "--numstat", "--format=", full)
        n = sum(
            int(a) + int(d)
            for a, d, *_ in (line.split("\t") for line in numstat.split("\n") if line)
            if a != "-"
        )
        sizes.append((n, full, subject))
    typical = [c for c in sizes if 20 <= c[0] <= 400]
    for n, full, subject in typical[:: max(1, len(typical) // 3)][:3]:
        facts = [full, subject, *_paths(work, repo, "show", full)]
        facts += _changed_lines(_git(work, repo, "show", "-U0", "--format=", full))
        add(
            "git_show",
            f"show-{full[:10]}",
            ["show", full[:10]],
            facts,
            f"git show of a commit with {n} changed lines",
        )
    rng = f"v{old}..v{new}"
    paths = _paths(work, repo, "diff", rng)
    add(
        "git_diff",
        "diff-stat",
        ["diff", "--stat", rng],
        [p for p in paths if len(p) < 50],
        "git diff --stat between the releases",
    )
    add(
        "git_diff",
        "diff-name-status",
        ["diff", "--name-status", rng],
        paths,
        "git diff --name-status between the releases",
    )
    # The large diff: all of it when it fits, else as many changed files as fit, by name.
    scope: list[str] = []
    if len(_git(work, repo, "diff", rng).encode()) > 480_000:
        total, chosen = 0, []
        for path in sorted(paths):
            size = len(_git(work, repo, "diff", rng, "--", path).encode())
            if total + size <= 450_000:
                chosen.append(path)
                total += size
        scope = ["--", *chosen]
    facts = _paths(work, repo, "diff", rng, *scope) + _changed_lines(
        _git(work, repo, "diff", "-U0", rng, *scope)
    )
    name = "diff-releases" + ("-part" if scope else "")
    add(
        "git_diff_large",
        name,
        ["diff", rng, *scope],
        facts,
        "git diff between the releases"
        + (f" over {len(scope) - 1} of {len(paths)} changed files" if scope else ""),
    )
    # One file's diff, and blame over it: the source file with the most changed lines.
    numstat = _git(work, repo, "diff", "--numstat", rng)
    ranked = sorted(
        (
            (int(a) + int(d), p)
            for a, d, p in (line.split("\t") for line in numstat.split("\n") if line)
            if a != "-" and p.endswith(".py")
        ),
        reverse=True,
    )
    if ranked:
        _n, path = ranked[0]
        facts = _changed_lines(_git(work, repo, "diff", "-U0", rng, "--", path))
        add(
            "git_diff",
            "diff-one-file",
            ["diff", rng, "--", path],
            [path, *facts],
            "git diff of the most changed file",
        )
        blame = _git(work, repo, "blame", "--porcelain", path)
        ids = sorted(
            {
                line.split()[0][:7]
                for line in blame.split("\n")
                if len(line) > 40 and line[:40].isalnum() and " " in line
            }
        )
        add("git_blame", "blame", ["blame", path], ids, "git blame of the most changed file")
