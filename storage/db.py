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
import os
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
TROUBLE_LOG_SECONDS = 60.0  # while the disk is full or the lock held, one log line per this many seconds


class StorageError(Exception):
    """The database cannot be opened or could not do what was asked, for a reason outside the
    bot; the message is one line for an operator."""


class StorageBusy(StorageError):
    """Another process holds the database's write lock: try again in a moment."""


class DiskFull(StorageError):
    """The disk holding the database (or its size limit) is full: nothing more can be written."""


_SQLITE_HEADER = b"SQLite format 3\x00"


def open_problem(path: str | Path) -> str | None:
    """Why a database at ``path`` could not be opened or created, found without touching it."""
    file = Path(path)
    if file.exists():
        if file.is_dir():
            return "is a folder, not a database file"
        try:
            with file.open("rb") as fh:
                head = fh.read(len(_SQLITE_HEADER))
        except OSError as exc:
            return f"cannot be read: {exc.strerror}"
        if head and head != _SQLITE_HEADER:  # an empty file is a new database to SQLite
            return "is not a SQLite database"
        if not os.access(file, os.W_OK):
            return "is not writable"
        folder = file.parent
    else:
        folder = file.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            return f"cannot be created: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):  # SQLite keeps its -wal and -shm files beside it
        return f"cannot be written: the folder {folder} is not writable"
    return None


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
        self._trouble_logged: dict[type, float] = {}  # StorageError kind → monotonic time of its last line

    @classmethod
    async def open(cls, path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        """Open (creating folders as needed), configure and migrate the database.

        Raises StorageError (one line) when the file or its folder is unusable.
        """
        path = str(path)
        try:
            if path != ":memory:":
                problem = open_problem(path)
                if problem:
                    raise StorageError(f"{path}: {problem}")
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = await _connect(path, busy_timeout_ms)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"{path}: cannot be opened: {_reason(exc)}") from exc
        db = cls(conn, path)
        try:
            # Items are ~2.4 KB; 16 KiB pages hold several (takes effect only for a new file).
            await conn.execute("PRAGMA page_size = 16384")
            await conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # new files only (storage/retention.py)
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await db.migrate()
            if path != ":memory:":  # a second connection to ":memory:" would be another database
                db._reader = await _connect(path, busy_timeout_ms)
                await db._reader.execute("PRAGMA query_only = ON")
                # Checkpoints happen off the writer's path (storage/checkpoint.py says why).
                await conn.execute("PRAGMA wal_autocheckpoint = 0")
                db._checkpointer = Checkpointer(path)
                db._checkpointer.start()
        except BaseException as exc:
            # aiosqlite's threads are not daemons: left open, they keep the process alive for ever.
            if db._reader is not None:
                await db._reader.close()
            await conn.close()
            if isinstance(exc, OSError | sqlite3.Error):
                raise StorageError(f"{path}: cannot be opened: {_reason(exc)}") from exc
            raise
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
        if self._trouble_logged:
            self._trouble_logged.clear()
            log.warning("storage: %s can be written again", self.path)

    def _as_storage_error(self, exc: sqlite3.Error) -> StorageError | None:
        """The StorageError an SQLite error stands for, if it stands for one."""
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            error: StorageError = StorageBusy(f"the database is busy (another process holds it): {exc}")
            line = "storage: another process holds %s's write lock (%s); writes wait for it"
        elif code == sqlite3.SQLITE_FULL:
            error = DiskFull(f"the disk holding the database is full: {exc}")
            line = "storage: the disk holding %s is full (%s); nothing can be stored until there is room"
        else:
            return None
        now = time.monotonic()
        last = self._trouble_logged.get(type(error))
        if last is None or now - last >= TROUBLE_LOG_SECONDS:  # one line a minute while it lasts
            self._trouble_logged[type(error)] = now
            log.error(line, self.path, exc)
        return error

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


def _reason(exc: OSError | sqlite3.Error) -> str:
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return "not a SQLite database"
    return getattr(exc, "strerror", None) or str(exc)
