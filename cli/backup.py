"""``trimline backup PATH``: a consistent copy of the SQLite store, taken while the proxy runs.

SQLite's online backup API copies the database page by page under its own locking, so the
copy holds every committed record, those still in the write-ahead log included; copying
the .db file by hand can miss them.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from trimline.cli.common import db_option, db_target, err_console
from trimline.cli.errors import UserError, db_failure, mask, os_failure

PAGES_PER_STEP = 256


def backup_sqlite(source: Path, dest: Path, *, progress: bool = False) -> int:
    """Copies ``source`` to ``dest``; the number of calls in the copy."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise db_failure(source, e) from e
    try:
        try:
            dst = sqlite3.connect(dest)
        except sqlite3.Error as e:
            raise db_failure(dest, e) from e
        try:
            if progress:
                with Progress(
                    TextColumn("copying {task.description}"),
                    BarColumn(),
                    TaskProgressColumn(),
                    console=err_console(),
                    transient=True,
                ) as bar:
                    task = bar.add_task(source.name, total=None)

                    def step(status: int, remaining: int, total: int) -> None:
                        bar.update(task, total=total, completed=total - remaining)

                    src.backup(dst, pages=PAGES_PER_STEP, progress=step)
            else:
                src.backup(dst, pages=PAGES_PER_STEP)
            (verdict,) = dst.execute("PRAGMA quick_check(1)").fetchone()
            if verdict != "ok":
                raise UserError(f"the copy at {dest} failed its integrity check ({verdict})")
            tables = {
                r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            return (
                dst.execute("SELECT count(*) FROM calls").fetchone()[0] if "calls" in tables else 0
            )
        except sqlite3.Error as e:
            raise db_failure(dest, e) from e
        finally:
            dst.close()
    finally:
        src.close()


@click.command(
    short_help="Copy the SQLite database safely",
    epilog="""\b
Examples:
  trimline backup ~/backups/trimline-$(date +%F).db
  trimline backup /mnt/backup/ --db /srv/trimline/t.db""",
)
@click.argument("path", metavar="PATH")
@db_option
@click.option("--force", is_flag=True, help="replace PATH if it exists")
def backup(path: str, db: str | None, force: bool) -> int:
    """Copy the SQLite database to PATH (a file, or a folder to put it in), safely while it is in use."""
    source = db_target(db)
    if not isinstance(source, Path):
        raise UserError(
            f"--db {mask(source)} is PostgreSQL: back it up with its own tools,"
            f" e.g. pg_dump '{mask(source)}' > trimline.sql"
        )
    if not source.exists():
        raise UserError(f"no database at {source} (give --db, or run `trimline serve` first)")
    dest = Path(path).expanduser()
    if dest.is_dir():
        dest = dest / source.name
    if dest.resolve() == source.resolve():
        raise UserError(f"{dest} is the database itself; give another PATH")
    if dest.exists():
        if not force:
            raise UserError(f"{dest} exists; give another PATH, or --force to replace it")
        try:
            dest.unlink()
        except OSError as e:
            raise os_failure(e, str(dest)) from e
    if not dest.parent.is_dir():
        raise UserError(f"{dest.parent}: no such folder; create it first, or give another PATH")
    calls = backup_sqlite(source, dest, progress=sys.stderr.isatty())
    size = dest.stat().st_size
    print(f"trimline backup: {source} -> {dest} ({calls:,} calls, {size / 1e6:.1f} MB)")
    return 0


COMMANDS = [backup]
