"""Logs: every commit keeps its id, author, date and subject; bodies and stat bars fold."""

from __future__ import annotations

from trimline.compressors.vcs.model import _STAT, _STAT_SUMMARY, WHOLE_COMMITS, _Commit


def _fold_commits(commits: list[_Commit], lines: list[str], labels: dict[int, tuple]) -> None:
    """Every commit keeps its id, its Author/Date (and Merge) lines and its subject; the
    message body after the subject and the --stat bars fold (the stat's summary line stays).
    The first commits stay whole: the newest is the one most often asked about, and
    ``git show`` of one commit is read in full."""
    if len(commits) < 2:
        return
    for commit in commits[WHOLE_COMMITS:]:
        after = commit.subject if commit.subject is not None else commit.line
        for i in commit.body:
            if i > after:
                labels[i] = ("body", commit.sha, bool(lines[i].strip()))
        for i in commit.stat:
            if not _STAT_SUMMARY.match(lines[i]):
                m = _STAT.match(lines[i])
                # The changed path, as the stat line spells it: the marker names every one.
                path = lines[i].split(" | ", 1)[0].strip() if m else ""
                labels[i] = ("stat", commit.sha, m is not None, path)
