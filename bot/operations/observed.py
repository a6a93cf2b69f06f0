"""The running bot's pipeline, measured and logged from the outside.

``ObservedIngestor`` is the feed poller with a log line and metrics per poll; ``MeasuredSender``
wraps a messenger's sender to count each send by outcome and time it; ``DeliveryReporter``
turns the delivery worker's counts (``DeliveryWorker.stats``) into one log line per batch. None
of them changes what the wrapped parts do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.delivery.senders import ChatGone, ChatMoved, RateLimited, Rejected, Sender, Transient
from bot.intake.ingest import Ingestor, IngestReport
from bot.logsetup import event
from bot.web.metrics import Metrics
from storage import feeds as feed_store

log = logging.getLogger("bot.operations")

_OUTCOMES: tuple[tuple[type[Exception], str], ...] = (
    (RateLimited, "rate_limited"), (ChatMoved, "chat_moved"), (ChatGone, "chat_gone"),
    (Rejected, "rejected"), (Transient, "retry"),
)


class ObservedIngestor(Ingestor):
    """The Ingestor, with one log line per feed poll (feed, status, items added, duration)."""

    def __init__(self, *args: Any, metrics: Metrics, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.metrics = metrics

    async def poll_feed(self, feed: feed_store.FeedRow) -> IngestReport:
        started = time.monotonic()
        report = await super().poll_feed(feed)
        seconds = time.monotonic() - started
        self.metrics.feed_polls.labels(report.status).inc()
        self.metrics.poll_seconds.observe(seconds)
        self.metrics.items_ingested.inc(report.items_added)
        fields = {"feed": feed.url, "status": report.status, "items_added": report.items_added,
                  "duration_s": round(seconds, 3)}
        if report.error:
            fields["error"] = report.error
        event(log, logging.INFO, "feed polled", **fields)
        return report


class MeasuredSender:
    """A messenger's sender, counted by outcome and timed; errors pass through unchanged."""

    def __init__(self, sender: Sender, messenger: str, metrics: Metrics) -> None:
        self.sender = sender
        self.messenger = messenger
        self.metrics = metrics

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        started = time.monotonic()
        outcome = "error"
        try:
            message_id = await self.sender.send(chat_id, payload)
            outcome = "sent"
            return message_id
        except Exception as exc:
            outcome = next((name for kind, name in _OUTCOMES if isinstance(exc, kind)), "error")
            if outcome == "rate_limited":
                self.metrics.rate_limited.labels(self.messenger).inc()
            raise
        finally:
            self.metrics.messages.labels(self.messenger, outcome).inc()
            self.metrics.send_seconds.labels(self.messenger).observe(time.monotonic() - started)


class DeliveryReporter:
    """One log line per delivery batch: a burst of sending, reported when it ends (or every
    ``long_batch`` seconds while it lasts), with what it sent, retried and lost, and its rate."""

    FIELDS = ("sent", "retried", "dead", "cancelled", "rate_limited", "replies", "replies_dropped")

    def __init__(self, stats: Callable[[], Mapping[str, int]], *, tick: float = 5.0,
                 long_batch: float = 60.0) -> None:
        self.stats = stats
        self.tick = tick
        self.long_batch = long_batch
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="delivery-reporter")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        last = dict(self.stats())
        started = active = 0.0  # the batch's first and latest tick with sending (0: no batch)
        batch: dict[str, int] = dict.fromkeys(self.FIELDS, 0)
        while True:
            await asyncio.sleep(self.tick)
            now, current = time.monotonic(), dict(self.stats())
            delta = {k: current.get(k, 0) - last.get(k, 0) for k in self.FIELDS}
            last = current
            if any(delta.values()):
                started, active = started or now - self.tick, now
                batch = {k: batch[k] + delta[k] for k in self.FIELDS}
                if now - started < self.long_batch:
                    continue
            if not started:
                continue
            seconds = max(active - started, self.tick)
            event(log, logging.INFO, "delivery batch", **batch, duration_s=round(seconds, 1),
                  rate_per_s=round(batch["sent"] / seconds, 2))
            started = active = 0.0
            batch = dict.fromkeys(self.FIELDS, 0)
