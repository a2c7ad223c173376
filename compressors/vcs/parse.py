"""One pass over git output: commits (header, subject, body, stat) and files (hunks, lines)."""

from __future__ import annotations

from trimline.compressors.vcs.model import (
    _BINARY_DATA,
    _COMBINED_HUNK,
    _COMMIT,
    _DIFF_GIT,
    _EXT_HEADER,
    _GRAPH_CHARS,
    _HUNK,
    _STAT,
    _STAT_SUMMARY,
    _Commit,
    _File,
    _git_path,
    _header_path,
    _is_generated,
)


def _parse(lines: list[str]) -> tuple[list[_Commit], list[_File]]:
    commits: list[_Commit] = []
    files: list[_File] = []
    commit: _Commit | None = None
    file: _File | None = None
    state = "top"  # top | header | message | diffhead | hunk | chunk | binary
    old_left = new_left = 0
    ncols = 0
    graph = 0  # width of git log --graph's lanes before "commit"
    for i, line in enumerate(lines):
        body = line[:-1] if line.endswith("\r") else line
        if graph and state in ("header", "message", "stat", "top"):
            lanes = body[:graph]
            if set(lanes) <= _GRAPH_CHARS:
                body = body[graph:]
        if state == "hunk" and file is not None:
            c = body[:1]
            if c == "\\" and body.startswith("\\ "):
                file.body.append((i, "\\"))
                file.hunk_of[i] = len(file.hunks) - 1
                continue
            if old_left > 0 or new_left > 0:
                if c in (" ", "") and old_left > 0 and new_left > 0:
                    old_left -= 1
                    new_left -= 1
                    kind = " "
                elif c == "-" and old_left > 0:
                    old_left -= 1
                    kind = "-"
                elif c == "+" and new_left > 0:
                    new_left -= 1
                    kind = "+"
                else:
                    kind = ""
                if kind:
                    file.body.append((i, kind))
                    file.hunk_of[i] = len(file.hunks) - 1
                    continue
            state = "diffhead"
        elif state == "chunk" and file is not None:
            prefix = body[:ncols]
            if len(prefix) == ncols and set(prefix) <= {" ", "+", "-"}:
                kind = " " if prefix.strip() == "" else ("+" if "-" not in prefix else "-")
                file.body.append((i, kind))
                file.hunk_of[i] = len(file.hunks) - 1
                continue
            state = "diffhead"
        elif state == "binary" and file is not None:
            if body and _BINARY_DATA.match(body) and not body.startswith(("literal ", "delta ")):
                file.binary.append(i)
                continue
            if body.startswith(("literal ", "delta ")) or not body:
                continue
            state = "diffhead"

        m = _DIFF_GIT.match(body)
        if m:
            path = _git_path(m.group(1)) if body.startswith("diff --git") else m.group(1)
            file = _File(path, _is_generated(path))
            files.append(file)
            state = "diffhead"
            continue
        if state == "diffhead" and file is not None:
            if body.startswith(_EXT_HEADER):
                continue
            if body.startswith(("--- ", "+++ ")):
                path = _header_path(body)
                if path and (body.startswith("+++ ") or not file.path):
                    file.path = path
                    file.generated = _is_generated(path)
                continue
            if body == "GIT binary patch":
                state = "binary"
                continue
        if body.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            # A plain unified diff (diff -u), without a diff --git line.
            path = _header_path(lines[i + 1].rstrip("\r")) or _header_path(body) or ""
            file = _File(path, _is_generated(path))
            files.append(file)
            state = "diffhead"
            continue
        if file is not None and state == "diffhead":
            hm = _HUNK.match(body)
            if hm:
                old_left = int(hm.group(2)) if hm.group(2) is not None else 1
                new_left = int(hm.group(4)) if hm.group(4) is not None else 1
                file.hunks.append(i)
                state = "hunk"
                continue
            cm = _COMBINED_HUNK.match(body)
            if cm:
                ncols = len(cm.group(1)) - 1
                file.hunks.append(i)
                state = "chunk"
                continue
        cm = _COMMIT.match(body)
        if cm and not body.startswith(" "):
            commit = _Commit(cm.group(1), i)
            commits.append(commit)
            raw = line[:-1] if line.endswith("\r") else line
            graph = raw.find("commit ") if _COMMIT.match(raw) else 0
            file = None
            state = "header"
            continue
        if commit is None:
            continue
        if state == "header":
            if body.strip():
                commit.header.append(i)
            else:
                commit.body.append(i)
                state = "message"
            continue
        if state == "message":
            if body.startswith("    ") or not body.strip():
                if commit.subject is None and body.strip():
                    commit.subject = i
                else:
                    commit.body.append(i)
                continue
            if _STAT.match(body) or _STAT_SUMMARY.match(body):
                commit.stat.append(i)
                state = "stat"
                continue
            state = "top"
        elif state == "stat":
            if _STAT.match(body) or _STAT_SUMMARY.match(body) or not body.strip():
                commit.stat.append(i)
                continue
            state = "top"
    return commits, files
