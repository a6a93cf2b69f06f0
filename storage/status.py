"""What an operator looks at: queue depth per messenger, the newest digests, the file itself.

Read-only queries for `diemtin status`, /metrics, /healthz and the admins' alerts; the counts
/thongke also shows are in storage/stats.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from storage.db import Database

VACUUM_MODES = {0: "none", 1: "full", 2: "incremental"}


async def outbox_depth(db: Database) -> dict[tuple[str, str], int]:
    """(messenger, state) → outbox rows."""
    rows = await db.fetchall(
        """SELECT c.messenger, o.state, COUNT(*) FROM outbox o JOIN chats c ON c.id = o.chat_ref
           GROUP BY c.messenger, o.state"""
    )
    return {(r[0], r[1]): int(r[2]) for r in rows}


async def dead_count(db: Database) -> int:
    return int(await db.scalar("SELECT COUNT(*) FROM outbox WHERE state = 'dead'") or 0)


async def digest_arrivals(db: Database, *, limit: int = 8) -> list[float]:
    """When each of the latest digests was first stored (items that carry a reporting period),
    newest first."""
    rows = await db.fetchall(
        """SELECT MIN(stored_at) AS at FROM items WHERE period_start IS NOT NULL
           GROUP BY period_start ORDER BY at DESC LIMIT ?""",
        (limit,),
    )
    return [float(r[0]) for r in rows]


@dataclass(frozen=True)
class FileFacts:
    path: str
    schema_version: int
    bytes: int  # the database file with its -wal
    free_pages: int
    page_size: int
    vacuum: str  # "none" | "full" | "incremental"


async def file_facts(db: Database) -> FileFacts:
    size = sum(os.path.getsize(p) for p in (db.path, db.path + "-wal") if os.path.exists(p))
    mode = int(await db.scalar("PRAGMA auto_vacuum") or 0)
    return FileFacts(
        path=db.path, schema_version=await db.schema_version(), bytes=size,
        free_pages=int(await db.scalar("PRAGMA freelist_count") or 0),
        page_size=int(await db.scalar("PRAGMA page_size") or 0),
        vacuum=VACUUM_MODES.get(mode, str(mode)),
    )


class FileWatch:
    """Whether the database file the connection opened is still the one at its path: a deleted
    or replaced file goes on answering queries from the old inode, unseen by anyone else."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._identity = _identity(db.path)

    async def problem(self) -> str | None:
        """None while the file is in place and a query answers; else what is wrong."""
        if self._identity is not None and _identity(self.db.path) != self._identity:
            return f"{self.db.path} is gone or was replaced"
        try:
            await self.db.scalar("SELECT COUNT(*) FROM sqlite_master")
        except Exception as exc:  # noqa: BLE001 - whatever it is, the database does not answer
            return f"does not answer: {type(exc).__name__}: {exc}"
        return None


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino
