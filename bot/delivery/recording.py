"""Recording accepted messages in the outbox, in batches, off the sending path."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)


class SentRecorder:
    """Marks rows sent: whatever was accepted while the last write ran goes in the next one.

    A message the messenger accepted but whose row is not yet marked is sent again after a
    crash: at most one duplicate per message in flight (README, "Delivery guarantees")."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock
        self.recorded = 0
        self._sent: list[tuple[int, str]] = []  # (row id, message id), accepted, not recorded
        self._writing = 0  # rows taken out of _sent whose write has not finished
        self._ready = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task | None = None

    def __bool__(self) -> bool:
        """True while anything accepted is not yet recorded (a write under way included)."""
        return bool(self._sent) or self._writing > 0

    def start(self) -> None:
        self._closing = False
        self._task = asyncio.create_task(self._loop(), name="delivery-recorder")

    def add(self, row_id: int, message_id: str) -> None:
        self._sent.append((row_id, message_id))
        self._ready.set()

    async def close(self) -> None:
        """Record what is left and stop (after the last send finished)."""
        self._closing = True
        self._ready.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()

    async def _loop(self) -> None:
        while not self._closing:
            await self._ready.wait()
            self._ready.clear()
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - keep them for the next flush
                log.exception("delivery: recording sent messages failed")
                await asyncio.sleep(0.5)
                self._ready.set()

    async def flush(self) -> None:
        if not self._sent:
            return
        batch, self._sent = self._sent, []
        self._writing += len(batch)
        try:
            await outbox.mark_sent(self.db, batch, now=self.clock())
        except BaseException:
            self._sent = batch + self._sent
            raise
        finally:
            self._writing -= len(batch)
        self.recorded += len(batch)
