"""The ingestion pipeline: fetch a feed → split digests → tag items → store, with per-feed backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx

from bot.config import PollingConfig
from bot.core.models import FeedEntry, Period, TaggedItem
from bot.intake.classify import item_id
from bot.intake.feeds import FeedParseError, FetchResult, FetchState, fetch_feed, make_client
from bot.intake.sourcefile import local_path, read_entries
from bot.intake.tagging import TaggingPool
from bot.vietnamese.gazetteer import NATIONAL, Gazetteer
from bot.vietnamese.textnorm import fold
from bot.vietnamese.topics import Topics
from storage import feeds as feed_store
from storage import items as item_store
from storage.db import Database

log = logging.getLogger(__name__)

# First retry after a minute, doubling each failure, capped by PollingConfig.max_backoff_seconds.
FIRST_RETRY_SECONDS = 60
NO_STATE = FetchState()  # no validators yet: an unconditional GET


@dataclass
class IngestReport:
    """What one poll of one source did."""

    source: str
    status: str  # "ok" | "not_modified" | "error"
    entries: int = 0
    items_found: int = 0
    items_added: int = 0
    new_seqs: list[int] = field(default_factory=list)
    provinces: Counter = field(default_factory=Counter)  # current-unit slug (or toan-quoc) → new items
    topics: Counter = field(default_factory=Counter)
    periods: list[Period] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None


def backoff_seconds(failures: int, cap: int) -> float:
    """Delay before the next try after ``failures`` consecutive failures."""
    return float(min(cap, FIRST_RETRY_SECONDS * 2 ** max(0, failures - 1)))


class Ingestor:
    """Polls feeds and stores their items; tells ``on_new_items`` about what was added."""

    def __init__(
        self,
        db: Database,
        *,
        gazetteer: Gazetteer,
        topics: Topics,
        polling: PollingConfig | None = None,
        clock: Callable[[], float] = time.time,
        client: httpx.AsyncClient | None = None,
        on_new_items: Callable[[list[int]], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.gazetteer = gazetteer
        self.topics = topics
        self.polling = polling or PollingConfig()
        self.tagger = TaggingPool(gazetteer, topics, workers=self.polling.tagging_workers)
        self.clock = clock
        self._client = client
        self._own_client = client is None
        self.on_new_items = on_new_items
        self._ids_by_content = False  # items stored before migration 0003 rekeyed (once)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = make_client(self.polling.timeout_seconds, self.polling.max_redirects)
        return self._client

    async def close(self) -> None:
        await self.tagger.close()
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str, state: FetchState = NO_STATE) -> FetchResult:
        return await fetch_feed(
            url, state, client=self.client, timeout=self.polling.timeout_seconds,
            max_bytes=self.polling.max_bytes, max_redirects=self.polling.max_redirects,
        )

    async def store(
        self,
        entries: Sequence[FeedEntry],
        *,
        source: str,
        feed_id: int | None,
        default_province: str | None = None,
        warning: str | None = None,
    ) -> IngestReport:
        """Tag and store entries; the report counts what was new."""
        report = IngestReport(source=source, status="ok", warning=warning, entries=len(entries))
        if not self._ids_by_content:  # before any new item, or a stored one would come again
            await item_store.rekey_items(self.db, _stored_item_id)
            self._ids_by_content = True

        async def tagged() -> AsyncIterator[list[TaggedItem]]:
            # CPU work, off the event loop (bot/tagging.py); each part is stored while the
            # workers tag the next.
            async for items, periods in self.tagger.tag_batches(
                entries, feed_key=source, default_province=default_province
            ):
                report.items_found += len(items)
                report.periods += periods
                yield items

        current_of = lambda slug: self.gazetteer.current_of(slug).slug  # noqa: E731
        added = await item_store.insert_item_batches(
            self.db, tagged(), feed_id=feed_id, current_of=current_of, fold=fold, now=self.clock()
        )
        report.new_seqs = [seq for seq, _item in added]
        report.items_added = len(added)
        for _seq, item in added:
            report.provinces.update(item.current_units or (NATIONAL,))
            report.topics.update(item.topics)
        return report

    async def ingest_source(
        self, source: str, *, feed_id: int | None = None, default_province: str | None = None
    ) -> IngestReport:
        """Fetch, tag and store one source once (no state kept): the `diemtin ingest` path.

        A local file may also be an HTML page or plain text, as `diemtin classify` accepts.
        """
        path = local_path(source)
        if path is not None:
            try:
                entries, warning = read_entries(path), None
            except (OSError, FeedParseError) as exc:
                return IngestReport(source=source, status="error", error=f"{path}: {exc}")
        else:
            result = await self.fetch(source)
            if result.status == "error":
                return IngestReport(source=source, status="error", error=result.error)
            entries, warning = result.entries, result.warning
        report = await self.store(
            entries, source=source, feed_id=feed_id, default_province=default_province,
            warning=warning,
        )
        await self._announce(report)
        return report

    async def poll_feed(self, feed: feed_store.FeedRow) -> IngestReport:
        """One conditional poll of a stored feed; records state, health and the next poll time."""
        now = self.clock()
        try:
            result = await self.fetch(feed.url, FetchState(feed.etag, feed.last_modified))
            if result.status == "error":
                raise _FeedFailed(result.error or "unknown error")
            if result.status == "not_modified":
                report = IngestReport(source=feed.url, status="not_modified")
            else:
                report = await self.store(
                    result.entries, source=feed.url, feed_id=feed.id,
                    default_province=feed.default_province, warning=result.warning,
                )
            await feed_store.record_success(
                self.db, feed.id, now=now, next_poll_at=now + feed.interval_seconds,
                etag=result.state.etag, last_modified=result.state.last_modified,
                title=result.feed_title, items_added=report.items_added, warning=result.warning,
            )
            if result.warning:
                log.warning("feed %s: %s", feed.url, result.warning)
        except Exception as exc:  # one bad feed must never stop the others
            error = str(exc) if isinstance(exc, _FeedFailed) else f"{type(exc).__name__}: {exc}"
            failures = feed.consecutive_failures + 1
            delay = backoff_seconds(failures, self.polling.max_backoff_seconds)
            log.warning("feed %s failed (%d in a row, retry in %ds): %s",
                        feed.url, failures, delay, error, exc_info=not isinstance(exc, _FeedFailed))
            await feed_store.record_failure(
                self.db, feed.id, now=now, error=error[:500], next_poll_at=now + delay
            )
            return IngestReport(source=feed.url, status="error", error=error)
        await self._announce(report)
        return report

    async def poll_due(self) -> list[IngestReport]:
        """Poll every feed that is due, concurrently; each feed's failure stays its own."""
        due = await feed_store.due_feeds(self.db, self.clock())
        return list(await asyncio.gather(*(self.poll_feed(feed) for feed in due)))

    async def run(self, stop: asyncio.Event, *, tick: float = 5.0) -> None:
        """Poll due feeds until ``stop`` is set; a slow feed never holds up the others."""
        in_flight: dict[int, asyncio.Task] = {}
        while not stop.is_set():
            try:
                for feed in await feed_store.due_feeds(self.db, self.clock()):
                    if feed.id not in in_flight:
                        task = asyncio.create_task(self.poll_feed(feed), name=f"poll:{feed.id}")
                        in_flight[feed.id] = task
                        task.add_done_callback(lambda _t, fid=feed.id: in_flight.pop(fid, None))
            except Exception:  # storage hiccup: log, keep polling
                log.exception("feed poller tick failed")
            with contextlib.suppress(TimeoutError):  # the tick passed: look for due feeds again
                await asyncio.wait_for(stop.wait(), timeout=tick)
        for task in list(in_flight.values()):
            task.cancel()
        await asyncio.gather(*in_flight.values(), return_exceptions=True)

    async def _announce(self, report: IngestReport) -> None:
        if report.new_seqs and self.on_new_items is not None:
            await self.on_new_items(report.new_seqs)


def _stored_item_id(title: str, body: str) -> str:
    """The id classify gives an item, from its stored (already clean) title and body."""
    return item_id(body or title)


class _FeedFailed(Exception):
    """A fetch that returned an error result (HTTP status, timeout, malformed feed …)."""
