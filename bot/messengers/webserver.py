"""The bot's own HTTP server: one aiohttp.web server per listen address, shared by its routes.

Several parts can serve on one address: each registers ``(method, path) → handler`` on the
``WebServer`` for that address (``WebServers.at(listen)``) and calls ``start()``; the server
listens from the first ``start()`` to the last ``stop()``. Routes are looked up per request, so a
part may register while the server already runs. Zalo's webhook is the first user; Telegram's
webhook, /healthz and /metrics can register on the same server when their address is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY_BYTES = 256 * 1024  # an update is a few KB; nothing served here takes more
SHUTDOWN_SECONDS = 5.0  # at a stop, requests being answered get this long


def split_listen(listen: str) -> tuple[str, int]:
    """ "127.0.0.1:8081" → ("127.0.0.1", 8081); "[::1]:8081" → ("::1", 8081)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class WebServer:
    """Routes on one listen address ("host:port")."""

    def __init__(self, listen: str) -> None:
        self.listen = listen
        self._routes: dict[tuple[str, str], Handler] = {}
        self._users = 0
        self._runner: web.AppRunner | None = None

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Serve ``method path`` with ``handler`` (replacing an earlier one)."""
        self._routes[(method.upper(), path)] = handler

    def unroute(self, method: str, path: str) -> None:
        self._routes.pop((method.upper(), path), None)

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        """Listen (the first call) — raises OSError when the address cannot be bound."""
        self._users += 1
        if self._runner is not None:
            return
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{path:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        host, port = split_listen(self.listen)
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            self._users -= 1
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("web server listening on %s", self.listen)

    async def stop(self) -> None:
        """Stop listening once every part that started it has stopped."""
        self._users = max(0, self._users - 1)
        if self._users or self._runner is None:
            return
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        handler = self._routes.get((request.method, request.path))
        if handler is not None:
            return await handler(request)
        if any(path == request.path for _method, path in self._routes):
            return web.Response(status=405, text="method not allowed")
        return web.Response(status=404, text="not found")


class WebServers:
    """The process's web servers, one per listen address."""

    def __init__(self) -> None:
        self._servers: dict[str, WebServer] = {}

    def at(self, listen: str) -> WebServer:
        server = self._servers.get(listen)
        if server is None:
            server = self._servers[listen] = WebServer(listen)
        return server
