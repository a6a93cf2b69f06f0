"""WAL checkpoints on a thread of their own, so that the writer never waits for one.

SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, on the writing
connection: it copies the WAL into the database file and syncs both. With a large outbox (a
fan-out to 100,000 chats touches hundreds of pages per claim) that sync stalled the delivery
worker for up to a few hundred milliseconds every few commits. The writing connection therefore
turns automatic checkpoints off and this task runs a PASSIVE checkpoint (one that never blocks
readers or writers) every few seconds from its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading

log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoints the WAL of the database at ``path`` every ``interval`` seconds until stopped."""

    def __init__(self, path: str, interval: float = 2.0) -> None:
        self.path = path
        self.interval = interval
        self._conn: sqlite3.Connection | None = None
        self._task: asyncio.Task | None = None
        # Cancelling the task does not stop a checkpoint already on its thread: closing the
        # connection under it crashed the process, so the two take turns.
        self._guard = threading.Lock()
        self._closed = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"checkpoint:{self.path}")

    async def stop(self) -> None:
        """Stop, and close the connection (the last one to close checkpoints what is left)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._guard:
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(self.checkpoint)
            except sqlite3.Error as exc:  # a busy or locked database: next time
                log.warning("WAL checkpoint of %s failed: %s", self.path, exc)

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, frames in the WAL, frames checkpointed)."""
        with self._guard:
            if self._closed:  # a checkpoint that started its thread after stop()
                return (0, 0, 0)
            if self._conn is None:
                self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            row = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return tuple(row)
