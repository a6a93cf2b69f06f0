"""Zalo long polling: getUpdates returns one update (no offset), or 408 when none came.

Errors back off exponentially with jitter up to ``BACKOFF_MAX_SECONDS``; the first failure of a
run of them is logged with its reason (a 400 usually means a webhook is set), the recovery once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from bot.messengers.zalo.api import BAD_REQUEST, NOTHING_CAME, ZaloApiError, ZaloBotApi, ZaloError

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0


class Poller:
    """Calls ``on_update`` with each update until ``stop_event`` is set."""

    def __init__(self, api: ZaloBotApi, on_update: Callable[[Any], Awaitable[None]], poll_timeout: int,
                 *, rng: random.Random | None = None) -> None:
        self.api = api
        self.on_update = on_update
        self.poll_timeout = poll_timeout
        self.rng = rng or random.Random()

    async def run(self, stop_event: asyncio.Event) -> None:
        failures = 0
        while not stop_event.is_set():
            try:
                # The docs type timeout as a string of seconds.
                found = await self.api.call("getUpdates", {"timeout": str(self.poll_timeout)}, wait=self.poll_timeout)
            except ZaloApiError as exc:
                if exc.code == NOTHING_CAME:
                    failures = 0
                    continue
                failures += 1
                self._failed(exc, failures)
            except ZaloError as exc:
                failures += 1
                self._failed(exc, failures)
            else:
                if failures:
                    log.info("zalo: getUpdates works again after %d failures", failures)
                failures = 0
                for update in found if isinstance(found, list) else [found]:
                    if update:
                        await self.on_update(update)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (failures - 1))
        return delay * (0.5 + self.rng.random() / 2)

    def _failed(self, exc: ZaloError, failures: int) -> None:
        if failures != 1:
            log.debug("zalo: getUpdates failed again (%d): %s", failures, exc)
            return
        hint = ""
        if isinstance(exc, ZaloApiError) and exc.code == BAD_REQUEST:
            hint = ' (Zalo refuses getUpdates while a webhook is set: mode = "webhook", or restart to remove it)'
        log.warning("zalo: getUpdates failed, retrying with backoff: %s%s", exc, hint)
