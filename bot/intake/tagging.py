"""Feed entries → tagged items, in the bot's process for a small batch, in worker processes for
a large one.

Splitting and tagging is pure Python CPU work, about a third of a millisecond per item. A
weekly digest feed (a few entries) is tagged on a thread in a moment. A large batch (a portal's
archive on first poll, a backfill: hundreds of digests, thousands of items) would hold the
interpreter lock for seconds, and the event loop that sends messages and answers commands
shares it; such a batch goes to a small pool of worker processes, which also puts the
machine's other cores to work. Results are the same either way, in the same order.

A large body (an archive of thousands of entries) is also parsed in a worker process of its own,
its entries stay pickled in parts (``PackedEntries``) on their way to the tagging workers, and
those hand back each part as the rows storage writes (``row_batches``): the bot's process never
holds a large batch one object per entry or item, so its memory and its garbage collector's
pauses stay small.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from bot.core.models import FeedEntry, Period, TaggedItem
from bot.intake import memory
from bot.intake.classify import classify_entry
from bot.intake.feeds import parse_feed_bytes
from bot.vietnamese.textnorm import fold_clean
from storage.items import ItemRows, item_rows

if TYPE_CHECKING:  # pragma: no cover
    from bot.vietnamese.gazetteer import Gazetteer
    from bot.vietnamese.topics import Topics

__all__ = ["PARALLEL_MIN_ENTRIES", "PackedEntries", "TaggingPool", "tag_entries", "tag_rows"]

log = logging.getLogger(__name__)

# Below this many entries, sending them to workers and back costs more than it saves.
PARALLEL_MIN_ENTRIES = 32
# Chunks per worker: smaller chunks even out uneven entries; each costs one round trip.
CHUNKS_PER_WORKER = 4
# A chunk's result is unpickled in the bot's process in one go, holding the interpreter lock
# (and so the event loop) meanwhile: a chunk stays below both bounds, tens of milliseconds.
MAX_CHUNK_ENTRIES = 500
MAX_CHUNK_CHARS = 500_000
# From this size on a body is parsed in a worker: feedparser takes about 2 s per megabyte and
# builds a dozen objects per entry, all of which the bot's process would otherwise hold.
PARSE_IN_WORKER_BYTES = 1 << 20

Tagged = tuple[list[TaggedItem], list[Period]]
Chunk = list[FeedEntry] | bytes  # bytes: the list, pickled


def tag_entries(
    entries: Sequence[FeedEntry],
    *,
    gazetteer: Gazetteer,
    topics: Topics,
    default_province: str | None = None,
) -> Tagged:
    """Split and tag every entry; items in feed order, duplicates (same id) dropped."""
    once = _Once()
    items: list[TaggedItem] = []
    periods: list[Period] = []
    for entry in entries:
        period, tagged = classify_entry(
            entry, gazetteer=gazetteer, topics=topics,
            default_province=default_province,
        )
        new_items, new_periods = once.new(tagged, [period] if period else [])
        items += new_items
        periods += new_periods
    return items, periods


def tag_rows(
    entries: Sequence[FeedEntry],
    *,
    gazetteer: Gazetteer,
    topics: Topics,
    default_province: str | None = None,
) -> tuple[ItemRows, list[Period]]:
    """``tag_entries`` as the rows storage writes (``storage.items.item_rows``)."""
    items, periods = tag_entries(
        entries, gazetteer=gazetteer, topics=topics, default_province=default_province
    )
    current_of = lambda slug: gazetteer.current_of(slug).slug  # noqa: E731
    # A tagged item's title and body are clean text already (``classify``).
    return item_rows(items, current_of=current_of, fold=fold_clean), periods


class _Once:
    """Lets each item id and each period through once, part after part."""

    def __init__(self) -> None:
        self._periods: set[Period] = set()
        self._ids: set[str] = set()

    def new(self, items: Sequence[TaggedItem], periods: Sequence[Period]) -> Tagged:
        """The items and periods of these not seen before."""
        new_periods = [p for p in dict.fromkeys(periods) if p not in self._periods]
        self._periods.update(new_periods)
        new_items = []
        for item in items:
            if item.item_id not in self._ids:
                self._ids.add(item.item_id)
                new_items.append(item)
        return new_items, new_periods


class PackedEntries(Sequence[FeedEntry]):
    """A feed's entries as a worker parsed them: pickled, in the parts tagging will use."""

    def __init__(self, chunks: list[bytes], sizes: list[int]) -> None:
        self.chunks = chunks
        self._sizes = sizes

    def __len__(self) -> int:
        return sum(self._sizes)

    def __iter__(self) -> Iterator[FeedEntry]:
        for chunk in self.chunks:
            yield from pickle.loads(chunk)

    def __getitem__(self, index):  # type: ignore[override]
        return list(self)[index]


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
        self, entries: Sequence[FeedEntry], *, default_province: str | None = None
    ) -> Tagged:
        """``tag_entries`` of the batch, off the event loop."""
        items: list[TaggedItem] = []
        periods: list[Period] = []
        async for new_items, new_periods in self.tag_batches(
            entries, default_province=default_province
        ):
            items += new_items
            periods += new_periods
        return items, periods

    async def tag_batches(
        self, entries: Sequence[FeedEntry], *, default_province: str | None = None
    ) -> AsyncIterator[Tagged]:
        """``tag`` in parts, in feed order, each as soon as it is ready. Together the parts are
        exactly ``tag``'s."""
        once = _Once()
        async for items, periods in self._parts(entries, _Job(default_province, False)):
            yield once.new(items, periods)

    async def row_batches(
        self, entries: Sequence[FeedEntry], *, default_province: str | None = None
    ) -> AsyncIterator[tuple[ItemRows, list[Period]]]:
        """``tag_batches`` as the rows storage writes (``storage.items.item_rows``), built where
        the items were tagged: the caller holds a string per part, not an object per item. An
        item repeated in a later part is left to ``insert_item_batches`` to skip."""
        once = _Once()
        async for rows, periods in self._parts(entries, _Job(default_province, True)):
            yield rows, once.new((), periods)[1]

    async def _parts(self, entries: Sequence[FeedEntry], job: _Job) -> AsyncIterator[tuple]:
        chunks: deque[Chunk]
        if isinstance(entries, PackedEntries):
            chunks = deque(entries.chunks)
        elif self.workers and len(entries) >= PARALLEL_MIN_ENTRIES:
            chunks = deque(_chunked(entries, self.workers))
        else:
            chunks = deque([list(entries)])
        # Consumed chunks and futures are let go at once: a done future holds its result.
        futures = deque(self._submit(chunks, job) if len(chunks) > 1 else ())
        try:
            while chunks:
                chunk = chunks.popleft()
                result = await self._result(futures.popleft() if futures else None, chunk, job)
                if result is None:  # a worker died: the rest here, and a new pool next time
                    _forget(futures)
                    futures.clear()
                    result = await self._result(None, chunk, job)
                yield result
        finally:
            _forget(futures)

    async def parse(
        self, data: bytes, base_url: str, headers: dict[str, str]
    ) -> tuple[Sequence[FeedEntry], str, str | None]:
        """``parse_feed_bytes``, off the event loop: a large body in a worker, whose entries come
        back packed for the tagging workers."""
        if self.workers and len(data) >= PARSE_IN_WORKER_BYTES:
            # A process of its own, which exits after: feedparser's garbage goes with it.
            executor, lifeline = _new_pool(1, None, None)
            try:
                chunks, sizes, title, warning = await asyncio.get_running_loop().run_in_executor(
                    executor, _parse_packed, data, base_url, headers, self.workers
                )
                return PackedEntries(chunks, sizes), title, warning
            except BrokenProcessPool:
                log.warning("the parsing worker died; parsing the feed in the bot's process")
            finally:
                executor.shutdown(wait=False, cancel_futures=True)
                lifeline.close()
        return await asyncio.to_thread(parse_feed_bytes, data, base_url=base_url, headers=headers)

    def _submit(self, chunks: Iterable[Chunk], job: _Job) -> list[asyncio.Future]:
        """One future per chunk; none if there are no workers or the pool is found broken (the
        chunks are then tagged on a thread, one by one)."""
        if not self.workers:
            return []
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future] = []
        try:
            for chunk in chunks:
                futures.append(loop.run_in_executor(self._ensure_executor(), _tag_chunk, chunk, job))
        except BrokenProcessPool:
            log.warning("a tagging worker died; tagging the batch in the bot's process")
            self._discard_executor()
            _forget(futures)
            return []
        return futures

    async def _result(self, future: asyncio.Future | None, chunk: Chunk, job: _Job) -> tuple | None:
        """The chunk's part from its worker, or (no future) from a thread; None if the worker
        died."""
        if future is None:
            return await asyncio.to_thread(job.run, chunk, self.gazetteer, self.topics)
        try:
            *part, cpu_seconds = await future
        except BrokenProcessPool:
            log.warning("a tagging worker died; tagging the rest of the batch in the bot's process")
            self._discard_executor()
            return None
        self.worker_cpu_seconds += cpu_seconds
        return tuple(part)

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
            self._executor, self._lifeline = _new_pool(self.workers, self.gazetteer, self.topics)
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


def _new_pool(
    workers: int, gazetteer: Gazetteer | None, topics: Topics | None
) -> tuple[ProcessPoolExecutor, Connection]:
    """Worker processes, and the end of their lifeline this process keeps."""
    # "spawn": not "fork", as the bot has threads (SQLite, HTTP) that a forked child would
    # inherit half-way through whatever they were doing; and not "forkserver", whose server
    # process outlives its parent in some exits and keeps its pipes open.
    context = multiprocessing.get_context("spawn")
    # A pipe only this process writes to: when it dies, even of SIGKILL, the kernel closes it
    # and every worker reads EOF and exits; then multiprocessing's resource tracker, whose pipe
    # the workers held too, sees EOF and exits as well. Closing it ends the workers, too.
    watched, lifeline = context.Pipe(duplex=False)
    executor = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker,
        initargs=(gazetteer, topics, watched),
    )
    return executor, lifeline


@dataclass(frozen=True)
class _Job:
    """What to do with each chunk of a batch, in a worker or here."""

    default_province: str | None
    as_rows: bool  # storage's rows (ItemRows) rather than the tagged items

    def run(self, chunk: Chunk, gazetteer: Gazetteer, topics: Topics) -> tuple:
        """(tagged items or their rows, periods) of the chunk."""
        tag = tag_rows if self.as_rows else tag_entries
        return tag(_unpacked(chunk), gazetteer=gazetteer, topics=topics,
                   default_province=self.default_province)


def _chunked(entries: Sequence[FeedEntry], workers: int) -> Iterator[list[FeedEntry]]:
    """Consecutive chunks, CHUNKS_PER_WORKER per worker at least, none over the bounds."""
    most = min(MAX_CHUNK_ENTRIES, -(-len(entries) // (workers * CHUNKS_PER_WORKER)))
    chunk: list[FeedEntry] = []
    chars = 0
    for entry in entries:
        chunk.append(entry)
        chars += len(entry.content)
        if len(chunk) >= most or chars >= MAX_CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def _unpacked(chunk: Chunk) -> list[FeedEntry]:
    return pickle.loads(chunk) if isinstance(chunk, bytes) else chunk


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


def _init_worker(gazetteer: Gazetteer | None, topics: Topics | None, lifeline: Connection) -> None:
    # Ctrl-C in a terminal reaches the whole process group; the bot's own process handles it
    # and stops the pool, so a worker must not die of it with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    memory.keep_large_blocks_apart()
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    _worker.update(gazetteer=gazetteer, topics=topics)
    memory.keep_startup_objects()


def _exit_with_parent(lifeline: Connection) -> None:
    """Wait for EOF on the bot's pipe (nothing is ever sent on it), then exit at once."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os._exit(0)


def _ready() -> bool:
    return True


def _parse_packed(
    data: bytes, base_url: str, headers: dict[str, str], workers: int
) -> tuple[list[bytes], list[int], str, str | None]:
    entries, title, warning = parse_feed_bytes(data, base_url=base_url, headers=headers)
    chunks = list(_chunked(entries, workers))
    packed = [pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL) for chunk in chunks]
    return packed, [len(chunk) for chunk in chunks], title, warning


def _tag_chunk(chunk: Chunk, job: _Job) -> tuple:
    cpu0 = time.process_time()
    part = job.run(chunk, _worker["gazetteer"], _worker["topics"])  # type: ignore[arg-type]
    return (*part, time.process_time() - cpu0)
