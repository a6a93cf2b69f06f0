"""Event-driven, bounded waiting on the fake's state, from any thread and any event loop.

The fake serves on its own thread's loop; tests wait on theirs (or, without a loop, on the
fake's). Whoever changes the state calls ``notify``; each waiter then re-checks its predicate,
so nothing polls on a timer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any


class Changes:
    """A signal that something changed; ``wait_for`` re-checks a predicate on each one."""

    def __init__(self) -> None:
        self._wakers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def notify(self) -> None:
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """``predicate()``'s first truthy value; TimeoutError after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def wake() -> None:
            try:
                loop.call_soon_threadsafe(changed.set)
            except RuntimeError:  # the waiting loop has closed
                pass

        with self._lock:
            self._wakers.append(wake)
        try:
            deadline = loop.time() + timeout
            while True:
                changed.clear()
                value = predicate()
                if value:
                    return value
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError
                try:
                    await asyncio.wait_for(changed.wait(), remaining)
                except TimeoutError:
                    pass
        finally:
            with self._lock:
                self._wakers.remove(wake)
