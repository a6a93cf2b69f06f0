"""`diemtin backup`: a copy of a live database by SQLite's online backup API, checked.

The copy is taken in one step from a connection of its own: one read transaction, so it is a
consistent snapshot of the moment it began, while the running bot goes on writing (WAL lets a
reader and the writer work at once). It is written beside the target under a temporary name,
made a single self-contained file (journal mode DELETE), checked with ``PRAGMA
integrity_check`` and only then renamed into place: a failed backup leaves no half file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.db import StorageError, open_problem

BUSY_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class BackupReport:
    path: Path
    bytes: int
    chats: int
    subscriptions: int
    items: int


def backup(source: str | Path, target: str | Path) -> BackupReport:
    """Copy the database at ``source`` to ``target`` (a new file); raises StorageError."""
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise StorageError(f"{source}: no database there")
    if problem := open_problem(source):
        raise StorageError(f"{source}: {problem}")
    if target.exists():
        raise StorageError(f"{target}: already exists; give a new file name")
    if not target.parent.is_dir():
        raise StorageError(f"{target}: the folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with contextlib.closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)) as src, \
                contextlib.closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise StorageError(f"{target}: the copy failed its integrity check: {verdict}")
            counts = [dst.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                      for t in ("chats", "subscriptions", "items")]
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StorageError(f"{target}: backup failed: {exc}") from None
    except OSError as exc:
        raise StorageError(f"{target}: backup failed: {exc.strerror or exc}") from None
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return BackupReport(target, target.stat().st_size, *counts)
