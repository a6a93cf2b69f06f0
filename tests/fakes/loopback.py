"""A fake service's HTTP server on 127.0.0.1, on a thread and event loop of its own.

It answers while a test blocks (a subprocess against it, a sync test) and whichever loop the
test runs on. A fake builds its ``web.Application`` (``_app``), may add AppRunner options, and
says what a stop must wake (``_wake_waiters``) and close (``_close_clients``). Stopping cancels
what is in flight at once: a delayed answer is not waited for.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, Self

from aiohttp import web

from tests.fakes.telegram.waiting import Changes


class LoopbackServer:
    """``start()`` (a free port on 127.0.0.1, ``self.port``), ``stop()``; or use it as a context."""

    thread_name = "fake-server"
    _changes: Changes  # the fake's change signal: woken once more when it has stopped

    def __init__(self) -> None:
        self.port = 0
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    def _app(self) -> web.Application:
        """The fake's routes: each fake defines its own."""
        raise NotImplementedError(f"{type(self).__name__} must define _app()")

    def _runner_options(self) -> dict[str, Any]:
        return {}

    def _wake_waiters(self) -> None:
        """Whatever waits inside the fake (long polls) looks again: it is stopping."""

    async def _close_clients(self) -> None:
        """Close the HTTP clients the fake itself opened (webhook deliveries)."""

    def start(self) -> Self:
        """Listen in a background thread; returns when ready (or raises what went wrong)."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                failure.append(exc)
                loop.close()
                ready.set()
                return
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._stopping = False
        self._thread = threading.Thread(target=run, name=self.thread_name, daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    async def _listen(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None, shutdown_timeout=0, **self._runner_options())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        """Close every connection and the listening socket; join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        self._stopping = True
        self._wake_waiters()

        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            await self._close_clients()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(10)
        self._loop = None
        self._changes.notify()

    def _run_on_own_loop(self, coro: Coroutine) -> Future:
        """Run ``coro`` on the server's loop, from any thread."""
        if self._loop is None:
            coro.close()
            raise RuntimeError(f"the {self.thread_name} server is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def astart(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()
