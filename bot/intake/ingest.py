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
from bot.core.models import FeedEntry, Period
from bot.intake import memory
from bot.intake.classify import item_id
from bot.intake.feeds import FeedParseError, FetchResult, FetchState, fetch_feed, make_client
from bot.intake.sourcefile import UnsupportedSource, local_path, read_entries
from bot.intake.tagging import PARALLEL_MIN_ENTRIES, TaggingPool
from bot.vietnamese.gazetteer import NATIONAL, Gazetteer
from bot.vietnamese.topics import Topics
from storage import feeds as feed_store
from storage import items as item_store
from storage.db import Database, DiskFull, StorageError

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


class SourceError(Exception):
    """A source that could not be read or fetched; the message does not repeat its name."""


async def read_source(
    source: str, polling: PollingConfig, client: httpx.AsyncClient | None = None
) -> tuple[list[FeedEntry], str | None]:
    """The entries of a local file (feed, HTML or text) or a feed URL, and a parse warning."""
    try:
        path = local_path(source)
    except UnsupportedSource as exc:
        raise SourceError(str(exc)) from None
    if path is not None:
        try:
            return read_entries(path), None
        except FileNotFoundError:
            raise SourceError("file not found") from None
        except OSError as exc:
            raise SourceError(exc.strerror or type(exc).__name__) from None
        except FeedParseError as exc:
            raise SourceError(str(exc)) from None
    result = await fetch_feed(
        source, NO_STATE, client=client, timeout=polling.timeout_seconds,
        max_bytes=polling.max_bytes, max_redirects=polling.max_redirects,
    )
    if result.status == "error":
        raise SourceError(result.error or "unknown error")
    return result.entries, result.warning


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
        memory.keep_large_blocks_apart()
        self.clock = clock
        self._client = client
        self._own_client = client is None
        self.on_new_items = on_new_items
        self._ids_by_content = False  # items stored before migration 0003 rekeyed (once)
        self._unrecorded: dict[int, _Unrecorded] = {}  # feed id → a failure not yet written
        self._unannounced: list[int] = []  # new items on_new_items could not take yet

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
            parse=self.tagger.parse,
        )

    async def store(
        self,
        entries: Sequence[FeedEntry],
        *,
        source: str,
        feed_id: int | None,
        default_province: str | None = None,
        warning: str | None = None,
        on_part: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Tag and store entries; the report counts what was new. ``on_part(n)``: n more
        items tagged (a progress display)."""
        report = IngestReport(source=source, status="ok", warning=warning, entries=len(entries))
        if not self._ids_by_content:  # before any new item, or a stored one would come again
            await item_store.rekey_items(self.db, _stored_item_id)
            self._ids_by_content = True

        found: set[str] = set()  # an item may come again in a later part

        async def parts() -> AsyncIterator[item_store.ItemRows]:
            # CPU work, off the event loop (bot/intake/tagging.py); the workers hand back each
            # part as the rows storage writes.
            async for rows, periods in self.tagger.row_batches(
                entries, default_province=default_province
            ):
                found.update(rows.ids)
                report.periods += periods
                if on_part is not None:
                    on_part(len(rows.ids))
                yield rows

        stored = await item_store.insert_item_batches(
            self.db, parts(), feed_id=feed_id, now=self.clock()
        )
        report.items_found = len(found)
        report.new_seqs = stored.seqs
        report.items_added = len(stored.seqs)
        report.provinces.update(stored.units)
        if stored.national:
            report.provinces[NATIONAL] += stored.national
        report.topics.update(stored.topics)
        if len(entries) >= PARALLEL_MIN_ENTRIES:  # a large batch: what it used goes back
            await asyncio.to_thread(memory.give_back_free_memory)
        return report

    async def ingest_source(
        self, source: str, *, feed_id: int | None = None, default_province: str | None = None
    ) -> IngestReport:
        """Fetch, tag and store one source once (no state kept): the `diemtin ingest` path.

        A local file may also be an HTML page or plain text, as `diemtin classify` accepts.
        """
        try:
            entries, warning = await read_source(source, self.polling, self.client)
        except SourceError as exc:
            return IngestReport(source=source, status="error", error=str(exc))
        report = await self.store(
            entries, source=source, feed_id=feed_id, default_province=default_province,
            warning=warning,
        )
        await self._announce(report.new_seqs)
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
            return await self._failed(feed, exc, now)
        self._unrecorded.pop(feed.id, None)
        await self._announce(report.new_seqs)
        return report

    async def _failed(self, feed: feed_store.FeedRow, exc: Exception, now: float) -> IngestReport:
        """Record a failed poll and back off; in memory if the database cannot take it."""
        expected = isinstance(exc, _FeedFailed | StorageError)  # no traceback for these
        error = str(exc) if expected else f"{type(exc).__name__}: {exc}"
        held = self._unrecorded.get(feed.id)
        failures = (held.failures if held else feed.consecutive_failures) + 1
        delay = backoff_seconds(failures, self.polling.max_backoff_seconds)
        if not isinstance(exc, DiskFull):  # storage logs a full disk itself, once a minute
            log.warning("feed %s failed (%d in a row, retry in %ds): %s",
                        feed.url, failures, delay, error, exc_info=not expected)
        try:
            await feed_store.record_failure(
                self.db, feed.id, now=now, error=error[:500], next_poll_at=now + delay,
                failures=failures,
            )
        except Exception as record_exc:  # noqa: BLE001 - kept below; the poller goes on
            self._unrecorded[feed.id] = _Unrecorded(failures, now + delay)
            if not isinstance(record_exc, StorageError):
                log.exception("feed %s: its failure could not be recorded", feed.url)
        else:
            self._unrecorded.pop(feed.id, None)
        return IngestReport(source=feed.url, status="error", error=error)

    async def poll_due(self) -> list[IngestReport]:
        """Poll every feed that is due, concurrently; each feed's failure stays its own."""
        return list(await asyncio.gather(*(self.poll_feed(feed) for feed in await self._due())))

    async def run(self, stop: asyncio.Event, *, tick: float = 5.0) -> None:
        """Poll due feeds until ``stop`` is set; a slow feed never holds up the others."""
        in_flight: dict[int, asyncio.Task] = {}
        while not stop.is_set():
            try:
                await self._announce([])  # what a full disk kept from being matched
                for feed in await self._due():
                    if feed.id not in in_flight:
                        task = asyncio.create_task(self.poll_feed(feed), name=f"poll:{feed.id}")
                        in_flight[feed.id] = task
                        task.add_done_callback(lambda _t, fid=feed.id: in_flight.pop(fid, None))
            except Exception as exc:  # storage hiccup: log, keep polling
                log.warning("feed poller tick failed: %s", exc,
                            exc_info=not isinstance(exc, StorageError))
            with contextlib.suppress(TimeoutError):  # the tick passed: look for due feeds again
                await asyncio.wait_for(stop.wait(), timeout=tick)
        for task in list(in_flight.values()):
            task.cancel()
        await asyncio.gather(*in_flight.values(), return_exceptions=True)

    async def _due(self) -> list[feed_store.FeedRow]:
        """Feeds due by the database, less those backing off from a failure it could not take."""
        now = self.clock()
        return [
            feed for feed in await feed_store.due_feeds(self.db, now)
            if feed.id not in self._unrecorded or self._unrecorded[feed.id].next_poll_at <= now
        ]

    async def _announce(self, seqs: list[int]) -> None:
        """Tell ``on_new_items``; if that fails (a full disk), again at the next tick. The items
        stay unmatched in storage meanwhile, so a restart matches them too."""
        if self.on_new_items is None:
            return
        pending, self._unannounced = self._unannounced + seqs, []
        if not pending:
            return
        try:
            await self.on_new_items(pending)
        except Exception as exc:  # noqa: BLE001 - retried; storage logs a full disk itself
            self._unannounced = pending + self._unannounced
            if not isinstance(exc, DiskFull):
                log.warning("matching %d new items failed, again in a moment: %s", len(pending),
                            exc, exc_info=not isinstance(exc, StorageError))


@dataclass(frozen=True)
class _Unrecorded:
    """A feed's failure the database could not take (a full disk), kept so that backoff holds."""

    failures: int
    next_poll_at: float


def _stored_item_id(title: str, body: str) -> str:
    """The id classify gives an item, from its stored (already clean) title and body."""
    return item_id(body or title)


class _FeedFailed(Exception):
    """A fetch that returned an error result (HTTP status, timeout, malformed feed …)."""
