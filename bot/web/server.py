"""The bot's one HTTP server (aiohttp.web): the messengers' webhooks, /healthz and /metrics.

Components register ``Route``s, each on a listen address ("host:port"). Routes on the same
address share one aiohttp application on one socket; each other address gets its own, so
/metrics on a loopback address never rides along on a port a reverse proxy exposes. With no
route registered nothing listens: a bot in polling mode without ``[server].listen`` opens no
port at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# (route name, HTTP status, seconds): told after every request, for metrics.
RequestObserver = Callable[[str, int, float], None]
SHUTDOWN_SECONDS = 5.0  # at a stop, requests in flight get this long to finish


class ListenFailed(Exception):
    """An address could not be listened on (in use, not this machine's): one line, naming the
    config keys that chose it."""


@dataclass(frozen=True)
class Route:
    """One path served on one address; ``name`` shows in logs and metrics, ``key`` is the
    config key that set the address ("[telegram].webhook_listen")."""

    listen: str
    method: str
    path: str
    handler: Handler
    name: str
    key: str


def split_listen(listen: str) -> tuple[str, int]:
    """"127.0.0.1:8080" → ("127.0.0.1", 8080); "[::1]:8080" → ("::1", 8080)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class WebServer:
    """``add`` routes, ``await start()``, ``await stop()``; ``ports`` tells where each address is."""

    def __init__(self, observe: RequestObserver | None = None) -> None:
        self._routes: dict[str, list[Route]] = {}  # listen address → its routes
        self._runners: dict[str, web.AppRunner] = {}
        self._observe = observe

    def add(self, route: Route) -> None:
        taken = self._routes.setdefault(route.listen, [])
        for other in taken:
            if (other.method, other.path) == (route.method, route.path):
                raise ValueError(f"{route.key} and {other.key}: both serve {route.method} "
                                 f"{route.path} on {route.listen}")
        taken.append(route)

    @property
    def routes(self) -> list[Route]:
        return [r for routes in self._routes.values() for r in routes]

    @property
    def running(self) -> bool:
        return bool(self._runners)

    def port(self, listen: str) -> int:
        """The port an address listens on (useful when it asked for port 0)."""
        return self._runners[listen].addresses[0][1]

    async def start(self) -> None:
        """Listen on every address that has a route; raises ListenFailed (nothing left open)."""
        try:
            for listen, routes in self._routes.items():
                app = web.Application(middlewares=[self._middleware(routes)])
                for route in routes:
                    app.router.add_route(route.method, route.path, route.handler, name=route.name)
                # No access log: a webhook gets a request per update, and lines would repeat paths.
                runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
                await runner.setup()
                self._runners[listen] = runner
                host, port = split_listen(listen)
                try:
                    await web.TCPSite(runner, host, port, reuse_address=True).start()
                except OSError as exc:
                    keys = " and ".join(dict.fromkeys(r.key for r in routes))
                    raise ListenFailed(f"{keys}: cannot listen on {listen}: "
                                       f"{exc.strerror or exc}") from None
                log.info("http: listening on %s for %s", listen, ", ".join(r.name for r in routes))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop listening; requests in flight get a few seconds to finish."""
        runners, self._runners = self._runners, {}
        for runner in runners.values():
            await runner.cleanup()

    def _middleware(self, routes: list[Route]):
        names = {(r.method, r.path): r.name for r in routes}

        @web.middleware
        async def observed(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.monotonic()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            except Exception as exc:  # noqa: BLE001 - one line, a 500, the server carries on
                log.error("http: %s %s failed: %s: %s", request.method, request.path,
                          type(exc).__name__, exc)
                return web.Response(status=500, text="internal error\n")
            finally:
                if self._observe is not None:
                    resource = request.match_info.route.resource
                    path = resource.canonical if resource is not None else ""
                    name = names.get((request.method, path), "other")
                    self._observe(name, status, time.monotonic() - started)

        return observed
