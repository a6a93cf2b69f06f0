"""/healthz: 200 while every part answers (the feed poller, the delivery worker, the database),
503 with the failing part named otherwise."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

log = logging.getLogger(__name__)

# A check returns None when its part is well, else a short text saying what is wrong.
Check = Callable[[], Awaitable[str | None]]
CHECK_SECONDS = 2.0  # a part that takes longer to answer counts as not answering


class Health:
    def __init__(self, checks: Mapping[str, Check]) -> None:
        self.checks = dict(checks)
        self._failing: set[str] = set()  # logged once when a part fails, once when it recovers

    async def report(self) -> dict[str, str]:
        """Part → "ok" or what is wrong with it."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(self.checks[n]) for n in names))
        report = {name: problem or "ok" for name, problem in zip(names, results, strict=True)}
        for name, state in report.items():
            if state != "ok" and name not in self._failing:
                self._failing.add(name)
                log.warning("health: %s failing: %s", name, state)
            elif state == "ok" and name in self._failing:
                self._failing.discard(name)
                log.info("health: %s answers again", name)
        return report

    async def handle(self, request: web.Request) -> web.Response:
        report = await self.report()
        healthy = all(state == "ok" for state in report.values())
        body = {"status": "ok" if healthy else "failing", "checks": report}
        return web.Response(status=200 if healthy else 503, content_type="application/json",
                            text=json.dumps(body, ensure_ascii=False) + "\n")

    @staticmethod
    async def _run(check: Check) -> str | None:
        try:
            return await asyncio.wait_for(check(), CHECK_SECONDS)
        except TimeoutError:
            return f"no answer within {CHECK_SECONDS:g} s"
        except Exception as exc:  # noqa: BLE001 - a failing check is a failing part
            return f"{type(exc).__name__}: {exc}"
