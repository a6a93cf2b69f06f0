"""Updates of one chat handled one after another, different chats concurrently."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class PerChat:
    """``async with order.turn(chat_id):`` — one holder per chat at a time, in arrival order."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(chat_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:  # nobody waits: forget the chat (bounded memory)
                self._locks.pop(chat_id, None)
