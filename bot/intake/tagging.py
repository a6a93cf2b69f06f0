"""Feed entries → tagged items, in the bot's process for a small batch, in worker processes for
a large one.

Splitting and tagging is pure Python CPU work, about a third of a millisecond per item. A
weekly digest feed (a few entries) is tagged on a thread in a moment. A large batch (a portal's
archive on first poll, a backfill: hundreds of digests, thousands of items) would hold the
interpreter lock for seconds, and the event loop that sends messages and answers commands
shares it; such a batch goes to a small pool of worker processes, which also puts the
machine's other cores to work. Results are the same either way, in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from bot.core.models import FeedEntry, Period, TaggedItem
from bot.intake.classify import classify_entry

if TYPE_CHECKING:  # pragma: no cover
    from bot.vietnamese.gazetteer import Gazetteer
    from bot.vietnamese.topics import Topics

__all__ = ["PARALLEL_MIN_ENTRIES", "TaggingPool", "tag_entries"]

log = logging.getLogger(__name__)

# Below this many entries, sending them to workers and back costs more than it saves.
PARALLEL_MIN_ENTRIES = 32
# Chunks per worker: smaller chunks even out uneven entries; each costs one round trip.
CHUNKS_PER_WORKER = 4

Tagged = tuple[list[TaggedItem], list[Period]]


def tag_entries(
    entries: Sequence[FeedEntry],
    *,
    feed_key: str,
    gazetteer: Gazetteer,
    topics: Topics,
    default_province: str | None = None,
) -> Tagged:
    """Split and tag every entry; items in feed order, duplicates (same id) dropped."""
    merged = _Merge()
    for entry in entries:
        period, items = classify_entry(
            entry, feed_key=feed_key, gazetteer=gazetteer, topics=topics,
            default_province=default_province,
        )
        merged.add(items, [period] if period else [])
    return merged.items, merged.periods


class _Merge:
    """Items and periods gathered in order, each item id and period kept once."""

    def __init__(self) -> None:
        self.items: list[TaggedItem] = []
        self.periods: list[Period] = []
        self._seen: set[str] = set()

    def add(self, items: Sequence[TaggedItem], periods: Sequence[Period]) -> Tagged:
        """Add these; return the items and periods not seen before."""
        new_periods = []
        for period in periods:
            if period not in self.periods:
                self.periods.append(period)
                new_periods.append(period)
        new_items = []
        for item in items:
            if item.item_id not in self._seen:
                self._seen.add(item.item_id)
                new_items.append(item)
        self.items += new_items
        return new_items, new_periods


class TaggingPool:
    """Tags batches of entries; a batch of ``PARALLEL_MIN_ENTRIES`` or more goes to ``workers``
    processes (started at the first such batch, or by ``start``), a smaller one to a thread.

    ``workers=0`` keeps everything in this process. If a worker dies (killed, out of memory),
    the batch is tagged here instead and a new pool is started next time: nothing is lost.
    """

    def __init__(self, gazetteer: Gazetteer, topics: Topics, *, workers: int = 2) -> None:
        self.gazetteer = gazetteer
        self.topics = topics
        self.workers = max(0, workers)
        self.worker_cpu_seconds = 0.0  # CPU time the workers spent tagging, for benchmarks
        self._executor: ProcessPoolExecutor | None = None
        self._lifeline: Connection | None = None  # the workers' end of it reads EOF when we die

    async def tag(
        self,
        entries: Sequence[FeedEntry],
        *,
        feed_key: str,
        default_province: str | None = None,
    ) -> Tagged:
        """``tag_entries`` of the batch, off the event loop."""
        merged = _Merge()
        async for items, periods in self.tag_batches(entries, feed_key=feed_key, default_province=default_province):
            merged.add(items, periods)
        return merged.items, merged.periods

    async def tag_batches(
        self,
        entries: Sequence[FeedEntry],
        *,
        feed_key: str,
        default_province: str | None = None,
    ) -> AsyncIterator[Tagged]:
        """``tag`` in parts, in feed order, each as soon as it is ready: the caller can store
        one part while the workers tag the next. Together the parts are exactly ``tag``'s."""
        merged = _Merge()
        if not self.workers or len(entries) < PARALLEL_MIN_ENTRIES:
            chunks = [list(entries)]
            futures: list[asyncio.Future] = []
        else:
            size = -(-len(entries) // (self.workers * CHUNKS_PER_WORKER))
            chunks = [list(entries[i : i + size]) for i in range(0, len(entries), size)]
            futures = self._submit(chunks, feed_key, default_province)
        try:
            for i, chunk in enumerate(chunks):
                result = await self._result(futures[i] if futures else None, chunk, feed_key, default_province)
                if result is None:  # a worker died: the rest here, and a new pool next time
                    _forget(futures)
                    futures = []
                    result = await self._result(None, chunk, feed_key, default_province)
                items, periods = result
                yield merged.add(items, periods)
        finally:
            _forget(futures)

    def _submit(
        self, chunks: list[list[FeedEntry]], feed_key: str, default_province: str | None
    ) -> list[asyncio.Future]:
        """One future per chunk; none if the pool is found broken (the chunks are then tagged
        on a thread, one by one)."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future] = []
        try:
            for chunk in chunks:
                futures.append(loop.run_in_executor(self._ensure_executor(), _tag_chunk, chunk,
                                                    feed_key, default_province))
        except BrokenProcessPool:
            log.warning("a tagging worker died; tagging the batch in the bot's process")
            self._discard_executor()
            _forget(futures)
            return []
        return futures

    async def _result(
        self,
        future: asyncio.Future | None,
        chunk: list[FeedEntry],
        feed_key: str,
        default_province: str | None,
    ) -> Tagged | None:
        """The chunk's tags from its worker, or (no future) from a thread; None if the worker died."""
        if future is None:
            return await asyncio.to_thread(
                tag_entries, chunk, feed_key=feed_key, gazetteer=self.gazetteer,
                topics=self.topics, default_province=default_province,
            )
        try:
            items, periods, cpu_seconds = await future
        except BrokenProcessPool:
            log.warning("a tagging worker died; tagging the rest of the batch in the bot's process")
            self._discard_executor()
            return None
        self.worker_cpu_seconds += cpu_seconds
        return items, periods

    async def start(self) -> None:
        """Start the workers now and wait until each is ready (else: at the first large batch)."""
        if not self.workers:
            return
        loop = asyncio.get_running_loop()
        executor = self._ensure_executor()
        await asyncio.gather(*(loop.run_in_executor(executor, _ready) for _ in range(self.workers)))

    async def close(self) -> None:
        """Stop the workers (a batch in progress is cancelled)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
        self._cut_lifeline()

    def _ensure_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # "spawn": not "fork", as the bot has threads (SQLite, HTTP) that a forked child
            # would inherit half-way through whatever they were doing; and not "forkserver",
            # whose server process outlives its parent in some exits and keeps its pipes open.
            context = multiprocessing.get_context("spawn")
            # A pipe only this process writes to: when it dies, even of SIGKILL, the kernel
            # closes it and every worker reads EOF and exits; then multiprocessing's resource
            # tracker, whose pipe the workers held too, sees EOF and exits as well.
            watched, self._lifeline = context.Pipe(duplex=False)
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_init_worker,
                initargs=(self.gazetteer, self.topics, watched),
            )
        return self._executor

    def _discard_executor(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            with contextlib.suppress(Exception):
                executor.shutdown(wait=False, cancel_futures=True)
        self._cut_lifeline()

    def _cut_lifeline(self) -> None:
        """Workers still running (of a broken pool) exit when they read EOF."""
        lifeline, self._lifeline = self._lifeline, None
        if lifeline is not None:
            lifeline.close()


def _forget(futures: Sequence[asyncio.Future]) -> None:
    """Cancel what still runs; read the error of what failed, so that none is logged as lost."""
    for future in futures:
        if future.done():
            if not future.cancelled():
                future.exception()
        else:
            future.cancel()


# --------------------------------------------------------------------------- in the workers

_worker: dict[str, object] = {}


def _init_worker(gazetteer: Gazetteer, topics: Topics, lifeline: Connection) -> None:
    # Ctrl-C in a terminal reaches the whole process group; the bot's own process handles it
    # and stops the pool, so a worker must not die of it with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    _worker.update(gazetteer=gazetteer, topics=topics)


def _exit_with_parent(lifeline: Connection) -> None:
    """Wait for EOF on the bot's pipe (nothing is ever sent on it), then exit at once."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os._exit(0)


def _ready() -> bool:
    return True


def _tag_chunk(
    entries: list[FeedEntry], feed_key: str, default_province: str | None
) -> tuple[list[TaggedItem], list[Period], float]:
    cpu0 = time.process_time()
    items, periods = tag_entries(
        entries, feed_key=feed_key, gazetteer=_worker["gazetteer"],  # type: ignore[arg-type]
        topics=_worker["topics"], default_province=default_province,  # type: ignore[arg-type]
    )
    return items, periods, time.process_time() - cpu0
