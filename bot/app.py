"""The running bot: storage, messengers, feed poller, delivery worker and weekly schedule.

Start order follows the data: storage → messengers' adapters (so senders exist) → delivery
worker → catch-up (items a crash left unmatched, summaries missed while down) → poller and
scheduler. Stop order is the reverse, and storage closes last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Config
from bot.delivery.channels import Channel
from bot.delivery.instant import match_new_items
from bot.delivery.recipient_cache import RecipientCache
from bot.delivery.weekly import queue_due_summaries, schedule_weekly
from bot.delivery.worker import DeliveryWorker
from bot.intake import memory
from bot.intake.ingest import IngestReport
from bot.logsetup import setup_logging
from bot.messengers.base import Messenger, StartFailed
from bot.messengers.registry import build_messengers, profiles
from bot.operations.observed import ObservedIngestor
from bot.operations.running import Operations
from bot.plural import counted
from bot.vietnamese.gazetteer import default_gazetteer
from bot.web.server import ListenFailed
from handlers.types import Services
from storage import feeds as feed_store
from storage.db import Database
from storage.subscribers import chat_ref_of

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


async def open_services(config: Config, clock: Callable[[], float] = time.time) -> Services:
    """Storage and the shared reference data, as every entry point needs them."""
    db = await Database.open(config.storage_path)
    topics = config.topics
    return Services(
        db=db, config=config, gazetteer=default_gazetteer(), topics=topics, clock=clock,
        profiles=profiles(config),
    )


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
    """Everything `diemtin run` starts, wired together; ``await run()`` until a signal.

    ``messengers``: the adapters to run (default: those whose token the config has).
    """

    def __init__(self, config: Config, services: Services, messengers: Sequence[Messenger] | None = None) -> None:
        self.config = config
        self.services = services
        self.stop_event = asyncio.Event()
        self.messengers = list(build_messengers(config, services) if messengers is None else messengers)
        self.ops = Operations(config, services)
        channels = {m.name: Channel(m.profile, self.ops.measured(m.name, m.sender)) for m in self.messengers}
        self.worker = DeliveryWorker(channels, services.db, config.delivery, services.clock)
        self.recipients = RecipientCache()  # who wants what, kept up to date across batches
        for messenger in self.messengers:
            messenger.attach(self.worker.reply)
        self.ingestor = ObservedIngestor(
            services.db, gazetteer=services.gazetteer, topics=services.topics,
            polling=config.polling, clock=services.clock, on_new_items=self._on_new_items,
            metrics=self.ops.metrics,
        )
        self.scheduler = AsyncIOScheduler(timezone=config.timezone)
        services.poll_feed = self.poll_feed_now
        services.wake_delivery = self.worker.wake
        self._poller: asyncio.Task | None = None
        self._started: list[Messenger] = []
        self._matching = asyncio.Lock()  # feeds finish together; one matching pass at a time
        self.ops.watch(self.worker, lambda: self._poller is not None and not self._poller.done(), self.messengers)

    async def _on_new_items(self, _seqs: list[int]) -> None:
        await self.match_and_wake()

    async def match_and_wake(self) -> int:
        """Queue instant pushes for every unmatched item; the worker looks after each chunk."""
        s = self.services
        async with self._matching:
            return await match_new_items(
                s.db, gazetteer=s.gazetteer, profiles=s.profiles, now=s.clock(), recipients=self.recipients,
                chunk=self.config.delivery.fanout_chunk, on_chunk=self.worker.wake,
            )

    async def poll_feed_now(self, feed_id: int) -> IngestReport | None:
        """Admin "poll now": one poll of one feed; its new items are matched as usual."""
        feed = await feed_store.get_feed(self.services.db, feed_id)
        return None if feed is None else await self.ingestor.poll_feed(feed)

    async def start(self) -> None:
        await sync_config_feeds(self.services)
        await self.ops.start_server()  # webhooks answer before Telegram is told where they are
        for messenger in self.messengers:
            await messenger.start()
            self._started.append(messenger)
        await self.worker.start()
        # Read every subscription now, not when the first digest is waiting for it.
        await self.recipients.refresh(self.services.db, now=self.services.clock())
        # Catch up on what a crash or downtime left: fan-outs cut short, unmatched items, missed
        # weekly summaries.
        await self.match_and_wake()
        self.scheduler.start()
        s = self.services
        schedule_weekly(
            self.scheduler, db=s.db, config=self.config, gazetteer=s.gazetteer, topics=s.topics,
            profiles=s.profiles, clock=s.clock, on_queued=lambda _n: self.worker.wake(),
        )
        # Look for due feeds at least as often as the most eager feed wants polling.
        tick = max(0.5, min([5.0, *(f.interval_seconds for f in self.config.feeds)]))
        self._poller = asyncio.create_task(
            self.ingestor.run(self.stop_event, tick=tick), name="feed-poller"
        )
        self.ops.start(self.scheduler)
        log.info(
            "diemtin running: %s; %s; storage %s",
            ", ".join(m.name for m in self.messengers), counted(len(self.config.feeds), "feed"),
            self.config.storage_path,
        )

    async def stop(self) -> None:
        """Stop taking new work, finish or release in-flight sends, close storage cleanly."""
        self.stop_event.set()
        with contextlib.suppress(Exception):
            self.scheduler.shutdown(wait=False)
        if self._poller is not None:
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.ops.stop()  # no more webhook requests; then the messengers finish theirs
        for messenger in reversed(self._started):
            await messenger.stop_receiving()
        await self.worker.stop()  # replies already taken still leave, then connections close
        for messenger in reversed(self.messengers):  # started or not: a half start holds sessions
            await messenger.stop()
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
    setup_logging(config.log_level, secrets=list(config.secrets), style=config.logging.format)
    if not config.messengers:
        names = " or ".join(m.token_env for m in config.all_messengers)
        print(f"diemtin: config: no messenger has a token; export {names}", file=sys.stderr)
        return EXIT_USAGE
    services = await open_services(config)
    app = App(config, services)
    memory.keep_startup_objects()  # the reference data and the wiring live until the process ends
    try:
        await app.run()
    except (StartFailed, ListenFailed) as exc:
        print(f"diemtin: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 — one line for the operator; details in the log
        log.exception("diemtin stopped on an error")
        print(f"diemtin: stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


async def queue_weekly_once(config: Config, *, now_all: bool = False, chat: str | None = None) -> int:
    """`diemtin weekly`: queue due (or, with now_all, all) summaries for the running bot to send."""
    setup_logging(config.log_level, style=config.logging.format)
    services = await open_services(config)
    try:
        chat_ref = None
        if chat is not None:  # a chat id of any messenger (Telegram's are numbers, Zalo's not)
            refs = [await chat_ref_of(services.db, m.name, str(chat)) for m in config.all_messengers]
            chat_ref = next((ref for ref in refs if ref is not None), None)
            if chat_ref is None:
                print(f"diemtin: no chat {chat!r} in {config.storage_path}", file=sys.stderr)
                return EXIT_FAILED
        queued = await queue_due_summaries(
            services.db, now=services.clock(), config=config, gazetteer=services.gazetteer,
            topics=services.topics, profiles=services.profiles, force=now_all, chat_ref=chat_ref,
        )
    finally:
        await services.db.close()
    if queued:
        print(f"{counted(queued, 'summary message')} queued; the running bot sends "
              f"{'it' if queued == 1 else 'them'} within seconds")
    else:
        print("no summary queued" + ("" if now_all or chat else
              ": none is due yet (--now queues one for every active chat)"))
    return EXIT_OK
