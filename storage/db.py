"""The database: one writing connection and one reading connection beside it (WAL lets readers
run while a writer writes), foreign keys, busy timeout, versioned migrations.

Every write goes through ``Database.transaction()``, which serialises writers on an asyncio lock:
aiosqlite runs one connection on one thread, so two coroutines interleaving statements would
otherwise end up inside each other's transactions. Reads (``fetchall``, ``fetchone``, ``scalar``)
never wait for that lock: they see the last committed state.

A write that cannot be done raises a ``StorageError`` that says why in words for the operator
and the user: ``StorageBusy`` (another process holds the write lock; try again in a moment) or
``DiskFull`` (nothing can be written until there is room; logged once a minute while it lasts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.checkpoint import Checkpointer

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# How long a write waits for another process's write lock before it is StorageBusy: long enough
# for any write of the bot's own, short enough for a chat command to answer "busy" in time.
BUSY_TIMEOUT_MS = 2000
DISK_FULL_LOG_SECONDS = 60.0  # while the disk is full, one log line per this many seconds


class StorageError(Exception):
    """The database could not do what was asked, for a reason outside the bot."""


class StorageBusy(StorageError):
    """Another process holds the database's write lock: try again in a moment."""


class DiskFull(StorageError):
    """The disk holding the database (or its size limit) is full: nothing more can be written."""


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """An open diemtin database; create with ``await Database.open(path)``."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._reader: aiosqlite.Connection | None = None  # None: reads share the writer
        self._lock = asyncio.Lock()
        self._checkpointer: Checkpointer | None = None
        self._full_logged_at: float | None = None  # monotonic time of the last disk-full line

    @classmethod
    async def open(cls, path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        """Open (creating folders as needed), configure and migrate the database."""
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await _connect(path, busy_timeout_ms)
        # Items are ~2.4 KB; 16 KiB pages hold several (takes effect only for a new file).
        await conn.execute("PRAGMA page_size = 16384")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        db = cls(conn, path)
        await db.migrate()
        if path != ":memory:":  # a second connection to ":memory:" would be another database
            db._reader = await _connect(path, busy_timeout_ms)
            await db._reader.execute("PRAGMA query_only = ON")
            # Checkpoints happen off the writer's path (storage/checkpoint.py says why).
            await conn.execute("PRAGMA wal_autocheckpoint = 0")
            db._checkpointer = Checkpointer(path)
            db._checkpointer.start()
        return db

    async def close(self) -> None:
        if self._checkpointer is not None:
            await self._checkpointer.stop()
            self._checkpointer = None
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.close()
        async with self._lock:
            try:
                await self.conn.execute("PRAGMA optimize")
            finally:
                await self.conn.close()

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0])

    async def migrate(self) -> int:
        """Apply every migration newer than the database; return the resulting version."""
        current = await self.schema_version()
        for version, name, sql in migration_files():
            if version <= current:
                continue
            log.info("applying migration %s", name)
            async with self._lock:
                # executescript commits on its own; the migration and the version bump go together.
                await self.conn.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
            current = version
        return current

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error), exclusive among this process's writers.

        Raises ``StorageBusy`` when another process kept the write lock for ``busy_timeout_ms``,
        ``DiskFull`` when there is no room; nothing of the transaction is then written."""
        async with self._lock:
            async with self._storage_errors():
                await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                await self.conn.execute("COMMIT")
            except BaseException as exc:
                if self.conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                    with contextlib.suppress(sqlite3.Error):
                        await self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error) and (error := self._as_storage_error(exc)):
                    raise error from exc
                raise
        if self._full_logged_at is not None:
            self._full_logged_at = None
            log.warning("storage: %s can be written again", self.path)

    def _as_storage_error(self, exc: sqlite3.Error) -> StorageError | None:
        """The StorageError an SQLite error stands for, if it stands for one."""
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StorageBusy(f"the database is busy (another process holds it): {exc}")
        if code == sqlite3.SQLITE_FULL:
            now = time.monotonic()
            if self._full_logged_at is None or now - self._full_logged_at >= DISK_FULL_LOG_SECONDS:
                self._full_logged_at = now
                log.error("storage: the disk holding %s is full (%s); nothing can be stored"
                          " until there is room", self.path, exc)
            return DiskFull(f"the disk holding the database is full: {exc}")
        return None

    async def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> int:
        """Run one write statement in its own transaction; return rows changed."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] | dict = ()) -> list[aiosqlite.Row]:
        """Rows of one query, on the reading connection: never behind a write."""
        async with self._reading() as conn:
            cursor = await conn.execute(sql, params)
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | dict = ()) -> aiosqlite.Row | None:
        async with self._reading() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchone()

    async def scalar(self, sql: str, params: Sequence[Any] | dict = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._storage_errors():
            if self._reader is not None:
                yield self._reader
            else:
                async with self._lock:
                    yield self.conn

    @asynccontextmanager
    async def _storage_errors(self) -> AsyncIterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            if (error := self._as_storage_error(exc)) is not None:
                raise error from exc
            raise


async def _connect(path: str, busy_timeout_ms: int) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn
