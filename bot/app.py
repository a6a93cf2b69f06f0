"""The running bot: storage, messenger adapters, feed poller, delivery worker and weekly schedule.

Start order follows the data: storage → adapters (so senders exist) → delivery worker →
catch-up (items a crash left unmatched, summaries missed while down) → poller and scheduler.
Stop order is the reverse, and storage closes last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.error import InvalidToken, NetworkError

from bot.config import Config
from bot.delivery.instant import match_new_items
from bot.delivery.senders import TelegramSender
from bot.delivery.weekly import queue_due_summaries, schedule_weekly
from bot.delivery.worker import DeliveryWorker
from bot.intake.ingest import Ingestor, IngestReport
from bot.logsetup import setup_logging
from bot.messengers.telegram.aiohttp_request import AiohttpRequest
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import Topics
from handlers.types import Services
from storage import feeds as feed_store
from storage.db import Database
from storage.subscribers import chat_ref_of

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


async def open_services(config: Config, clock: Callable[[], float] = time.time) -> Services:
    """Storage and the shared reference data, as every entry point needs them."""
    db = await Database.open(config.storage_path)
    topics = config.topics or Topics.load()
    return Services(db=db, config=config, gazetteer=default_gazetteer(), topics=topics, clock=clock)


async def sync_config_feeds(services: Services) -> None:
    """Make sure every [[feeds]] entry is in storage (settings refreshed, polling state kept),
    and that a feed taken out of the config is no longer polled (its items and history kept)."""
    for feed in services.config.feeds:
        await feed_store.upsert_feed(
            services.db, feed.url, interval_seconds=feed.interval_seconds,
            default_province=feed.province, origin="config",
        )
    gone = await feed_store.disable_config_feeds_except(
        services.db, [feed.url for feed in services.config.feeds]
    )
    for url in gone:
        log.info("feed %s is no longer in the config: disabled, its items kept", url)


class App:
    """Everything `diemtin run` starts, wired together; ``await run()`` until a signal."""

    def __init__(self, config: Config, services: Services) -> None:
        from bot.messengers.telegram.adapter import TelegramAdapter

        self.config = config
        self.services = services
        self.stop_event = asyncio.Event()
        self.telegram = TelegramAdapter(
            services, token=config.telegram.token or "", base_url=config.telegram.base_url,
            base_file_url=config.telegram.base_file_url, poll_timeout=config.telegram.poll_timeout,
            # Well above the worker's concurrency, so a send never waits for a connection.
            request=AiohttpRequest(connection_pool_size=max(64, 2 * config.delivery.concurrency)),
        )
        self.worker = DeliveryWorker(
            {"telegram": TelegramSender(self.telegram.bot)}, services.db, config.delivery,
            services.clock,
        )
        self.ingestor = Ingestor(
            services.db, gazetteer=services.gazetteer, topics=services.topics,
            polling=config.polling, clock=services.clock, on_new_items=self._on_new_items,
        )
        self.scheduler = AsyncIOScheduler(timezone=config.timezone)
        services.extra["poll_feed"] = self.poll_feed_now
        services.extra["wake_delivery"] = self.worker.wake
        self._poller: asyncio.Task | None = None
        self._matching = asyncio.Lock()  # feeds finish together; one matching pass at a time

    async def _on_new_items(self, _seqs: list[int]) -> None:
        await self.match_and_wake()

    async def match_and_wake(self) -> int:
        """Queue instant pushes for every unmatched item, then let the worker look."""
        s = self.services
        async with self._matching:
            queued = await match_new_items(s.db, gazetteer=s.gazetteer, topics=s.topics, now=s.clock())
        if queued:
            self.worker.wake()
        return queued

    async def poll_feed_now(self, feed_id: int) -> IngestReport | None:
        """Admin "poll now": one poll of one feed; its new items are matched as usual."""
        feed = await feed_store.get_feed(self.services.db, feed_id)
        return None if feed is None else await self.ingestor.poll_feed(feed)

    async def start(self) -> None:
        await sync_config_feeds(self.services)
        await self.telegram.start()
        await self.worker.start()
        # Catch up on what a crash or downtime left: unmatched items, missed weekly summaries.
        await self.match_and_wake()
        self.scheduler.start()
        schedule_weekly(
            self.scheduler, db=self.services.db, config=self.config,
            gazetteer=self.services.gazetteer, topics=self.services.topics,
            clock=self.services.clock, on_queued=lambda _n: self.worker.wake(),
        )
        # Look for due feeds at least as often as the most eager feed wants polling.
        tick = max(0.5, min([5.0, *(f.interval_seconds for f in self.config.feeds)]))
        self._poller = asyncio.create_task(
            self.ingestor.run(self.stop_event, tick=tick), name="feed-poller"
        )
        log.info("diemtin running: %d feeds, storage %s", len(self.config.feeds), self.config.storage_path)

    async def stop(self) -> None:
        """Stop taking new work, finish or release in-flight sends, close storage cleanly."""
        self.stop_event.set()
        with contextlib.suppress(Exception):
            self.scheduler.shutdown(wait=False)
        if self._poller is not None:
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.telegram.stop()
        await self.worker.stop()
        await self.ingestor.close()
        await self.services.db.close()
        log.info("diemtin stopped")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.stop_event.set)
        try:
            await self.start()
            await self.stop_event.wait()
        finally:  # also after a failed start: nothing may keep the process alive
            await self.stop()


async def run_app(config: Config) -> int:
    """`diemtin run`: returns the process exit code."""
    setup_logging(config.log_level, secrets=[config.telegram.token or ""])
    if not config.telegram.token:
        print("diemtin: config: [telegram].token: not set; export TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return EXIT_USAGE
    services = await open_services(config)
    app = App(config, services)
    try:
        await app.run()
    except InvalidToken:
        print("diemtin: config: [telegram].token: the Bot API rejected the token", file=sys.stderr)
        return EXIT_USAGE
    except NetworkError as exc:  # also TimedOut: the Bot API server cannot be reached
        print(f"diemtin: cannot reach the Bot API at {config.telegram.base_url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 — one line for the operator; details in the log
        log.exception("diemtin stopped on an error")
        print(f"diemtin: stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


async def queue_weekly_once(config: Config, *, now_all: bool = False, chat: str | None = None) -> int:
    """`diemtin weekly`: queue due (or, with now_all, all) summaries for the running bot to send."""
    setup_logging(config.log_level)
    services = await open_services(config)
    try:
        chat_ref = None
        if chat is not None:
            chat_ref = await chat_ref_of(services.db, "telegram", str(chat))
            if chat_ref is None:
                print(f"diemtin: no chat {chat!r} in {config.storage_path}", file=sys.stderr)
                return EXIT_FAILED
        queued = await queue_due_summaries(
            services.db, now=services.clock(), config=config, gazetteer=services.gazetteer,
            topics=services.topics, force=now_all, chat_ref=chat_ref,
        )
    finally:
        await services.db.close()
    print(f"{queued} summary messages queued; the running bot sends them within seconds")
    return EXIT_OK
