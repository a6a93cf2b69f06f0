"""Items with their provinces and topics: batch insert, lookups for matching, search."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import aiosqlite

from bot.core.models import Period, TaggedItem
from storage.db import Database

_ITEM_COLUMNS = (
    "seq, id, feed_id, title, body, link, published_at, stored_at, "
    "period_start, period_end, period_week, national"
)


@dataclass
class StoredBatch:
    """What a batch added: the new items' seqs in feed order, how many name each current unit
    first (national items counted apart) and how many have each topic."""

    seqs: list[int] = field(default_factory=list)
    units: Counter[str] = field(default_factory=Counter)
    national: int = 0
    topics: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class ItemRows:
    """Items as ``insert_item_batches`` writes them: the ids, and the rows of ``items``,
    ``item_provinces`` and ``item_topics`` as plain tuples. Built where the items were tagged
    (a worker process), they cross to the bot's process pickled: tuples of strings and numbers,
    which pickle reads back in C, and which SQLite binds without parsing anything again."""

    ids: tuple[str, ...]
    items: tuple[tuple, ...]  # id, title, body, link, published_at, period (3), national, folded
    provinces: tuple[tuple[str, str, str, str, int], ...]  # id, slug, current, role, position
    topics: tuple[tuple[str, str, int], ...]  # id, slug, rank


def item_rows(
    items: Iterable[TaggedItem], *, current_of: Callable[[str], str], fold: Callable[[str], str]
) -> ItemRows:
    """The rows of these items, each id once. ``current_of`` maps a province slug to its
    current unit; ``fold`` gives the accent-free copy the search index holds."""
    ids: dict[str, None] = {}
    rows, provinces, topics = [], [], []
    for item in items:
        if item.item_id in ids:
            continue
        ids[item.item_id] = None
        period = item.period
        rows.append((
            item.item_id, item.title, item.body, item.link,
            item.published.timestamp() if item.published else None,
            period.start.isoformat() if period else None,
            period.end.isoformat() if period else None,
            period.week if period else None,
            int(item.national), fold(item.search_text),
        ))
        for role, slugs in (("primary", item.primary), ("mentioned", item.mentioned)):
            provinces += [(item.item_id, slug, current_of(slug), role, position)
                          for position, slug in enumerate(slugs)]
        topics += [(item.item_id, slug, rank) for rank, slug in enumerate(item.topics)]
    return ItemRows(tuple(ids), tuple(rows), tuple(provinces), tuple(topics))


async def insert_items(
    db: Database,
    items: Sequence[TaggedItem],
    *,
    feed_id: int | None,
    current_of: Callable[[str], str],
    fold: Callable[[str], str],
    now: float | None = None,
) -> list[int]:
    """Store new items in one transaction; return the seqs of those not already stored.

    This is the only writer of ``items``, and it also fills the search index (``items_fts``).
    """
    rows = await asyncio.to_thread(item_rows, items, current_of=current_of, fold=fold)
    stored = await insert_item_batches(db, _one(rows), feed_id=feed_id, now=now)
    return stored.seqs


async def insert_item_batches(
    db: Database,
    parts: AsyncIterable[ItemRows],
    *,
    feed_id: int | None,
    now: float | None = None,
) -> StoredBatch:
    """``insert_items`` of parts that arrive one by one (tagged in worker processes): all of
    them, or none, in one transaction, taken once the last part is in.

    So the write lock is held only while SQLite writes (three statements a part, each run over
    the part's rows), not while the workers tag. An item already stored, or in an earlier part,
    is skipped with its provinces and topics.
    """
    now = time.time() if now is None else now
    waiting = [rows async for rows in parts if rows.ids]
    if not waiting:
        return StoredBatch()
    async with db.transaction() as conn:
        first = before = await _last_seq(conn)  # every row inserted below gets a higher seq
        for rows in waiting:
            await conn.executemany(_INSERT_ITEM, ((*row, feed_id, now) for row in rows.items))
            cursor = await conn.execute("SELECT id, seq FROM items WHERE seq > ?", (before,))
            seq_of = dict(await cursor.fetchall())  # the items this part added
            await conn.executemany(_INSERT_PROVINCE, _joined(rows.provinces, seq_of))
            await conn.executemany(_INSERT_TOPIC, _joined(rows.topics, seq_of))
            before = await _last_seq(conn)
        # The search index, in one statement (migration 0002 explains why not by trigger).
        await conn.execute(
            "INSERT INTO items_fts (rowid, folded) SELECT seq, folded FROM items WHERE seq > ?",
            (first,),
        )
        return await _added_since(conn, first)


async def _last_seq(conn: aiosqlite.Connection) -> int:
    cursor = await conn.execute("SELECT COALESCE(MAX(seq), 0) FROM items")
    return (await cursor.fetchone())[0]


# One statement per table, run over a part's rows (ItemRows): the rows are bound as they are,
# where an INSERT … SELECT over a JSON array would parse every row once per column. An id seen
# before (stored, or earlier in the batch) is skipped, and so are its provinces and topics.
_INSERT_ITEM = """
    INSERT INTO items (id, title, body, link, published_at, period_start, period_end,
        period_week, national, folded, feed_id, stored_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING"""
_INSERT_PROVINCE = """
    INSERT OR IGNORE INTO item_provinces (item_seq, slug, current, role, position)
    VALUES (?, ?, ?, ?, ?)"""
_INSERT_TOPIC = "INSERT OR IGNORE INTO item_topics (item_seq, slug, rank) VALUES (?, ?, ?)"


def _joined(rows: Iterable[tuple], seq_of: dict[str, int]) -> Iterator[tuple]:
    """Rows keyed by item id, keyed by the item's seq instead; those of items not added dropped."""
    for item_id, *rest in rows:
        seq = seq_of.get(item_id)
        if seq is not None:
            yield (seq, *rest)


async def _added_since(conn: aiosqlite.Connection, before: int) -> StoredBatch:
    stored = StoredBatch()
    cursor = await conn.execute("SELECT seq, national FROM items WHERE seq > ? ORDER BY seq", (before,))
    for seq, national in await cursor.fetchall():
        stored.seqs.append(seq)
        stored.national += national
    cursor = await conn.execute(
        """SELECT current, COUNT(DISTINCT item_seq) FROM item_provinces
           WHERE item_seq > ? AND role = 'primary' GROUP BY current""",
        (before,),
    )
    stored.units.update(dict(await cursor.fetchall()))
    cursor = await conn.execute(
        "SELECT slug, COUNT(*) FROM item_topics WHERE item_seq > ? GROUP BY slug", (before,)
    )
    stored.topics.update(dict(await cursor.fetchall()))
    return stored


async def rekey_items(db: Database, id_of: Callable[[str, str], str]) -> int:
    """Give the items stored before migration 0003 their id by content, ``id_of(title, body)``;
    return how many ids changed.

    Where two such items hold the same text (a feed and its mirror), the first stored takes the
    new id and the other keeps its old one: both stay in the history, and a poll finds the first.
    """
    if not await db.scalar("SELECT EXISTS (SELECT 1 FROM items_legacy_id)"):
        return 0
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT i.seq, i.title, i.body FROM items i JOIN items_legacy_id l ON l.seq = i.seq"
            " ORDER BY i.seq"
        )
        rows = [tuple(row) for row in await cursor.fetchall()]
        cursor = await conn.execute(
            "SELECT id FROM items WHERE seq NOT IN (SELECT seq FROM items_legacy_id)"
        )
        taken = {row[0] for row in await cursor.fetchall()}
        # Hashing Vietnamese text is CPU work: off the event loop.
        new_ids = await asyncio.to_thread(lambda: [id_of(title, body) for _s, title, body in rows])
        changes = []
        for (seq, _title, _body), new_id in zip(rows, new_ids, strict=True):
            if new_id not in taken:
                taken.add(new_id)
                changes.append((new_id, seq))
        await conn.executemany("UPDATE items SET id = ? WHERE seq = ?", changes)
        await conn.execute("DELETE FROM items_legacy_id")
    return len(changes)


async def _one(rows: ItemRows) -> AsyncIterator[ItemRows]:
    yield rows


def _period(row) -> Period | None:
    if not row["period_start"]:
        return None
    return Period(
        start=date.fromisoformat(row["period_start"]),
        end=date.fromisoformat(row["period_end"]),
        week=row["period_week"],
    )


async def _hydrate(db: Database, rows: Iterable) -> list[TaggedItem]:
    """Attach provinces and topics to item rows, keeping the rows' order."""
    rows = list(rows)
    if not rows:
        return []
    seqs = [r["seq"] for r in rows]
    marks = ",".join("?" * len(seqs))
    provinces: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    currents: dict[int, list[str]] = defaultdict(list)
    for p in await db.fetchall(
        f"SELECT item_seq, slug, current, role FROM item_provinces WHERE item_seq IN ({marks})"
        " ORDER BY item_seq, role, position",
        seqs,
    ):
        provinces[p["item_seq"]][p["role"]].append(p["slug"])
        if p["role"] == "primary" and p["current"] not in currents[p["item_seq"]]:
            currents[p["item_seq"]].append(p["current"])
    topics: dict[int, list[str]] = defaultdict(list)
    for t in await db.fetchall(
        f"SELECT item_seq, slug FROM item_topics WHERE item_seq IN ({marks}) ORDER BY item_seq, rank",
        seqs,
    ):
        topics[t["item_seq"]].append(t["slug"])
    return [
        TaggedItem(
            item_id=r["id"],
            title=r["title"],
            body=r["body"],
            link=r["link"],
            published=datetime.fromtimestamp(r["published_at"], UTC) if r["published_at"] else None,
            period=_period(r),
            primary=tuple(provinces[r["seq"]]["primary"]),
            mentioned=tuple(provinces[r["seq"]]["mentioned"]),
            current_units=tuple(currents[r["seq"]]),
            topics=tuple(topics[r["seq"]]),
            seq=r["seq"],
            stored_at=r["stored_at"],
            feed_id=r["feed_id"],
        )
        for r in rows
    ]


async def get_items(db: Database, seqs: Sequence[int]) -> list[TaggedItem]:
    """Items by seq, in the order given."""
    if not seqs:
        return []
    marks = ",".join("?" * len(seqs))
    rows = await db.fetchall(f"SELECT {_ITEM_COLUMNS} FROM items WHERE seq IN ({marks})", list(seqs))
    by_seq = {r["seq"]: r for r in rows}
    return await _hydrate(db, [by_seq[s] for s in seqs if s in by_seq])


async def recent_items(
    db: Database, *, since: float | None = None, limit: int = 500
) -> list[TaggedItem]:
    """Newest first; ``since`` bounds stored_at from below."""
    rows = await db.fetchall(
        f"SELECT {_ITEM_COLUMNS} FROM items WHERE stored_at >= ? ORDER BY seq DESC LIMIT ?",
        (since or 0, limit),
    )
    return await _hydrate(db, rows)


async def unmatched_items(db: Database, limit: int = 5000) -> list[TaggedItem]:
    """Items instant matching has not yet processed (after a crash, or just stored), oldest first."""
    rows = await db.fetchall(
        f"SELECT {_ITEM_COLUMNS} FROM items WHERE matched = 0 ORDER BY seq LIMIT ?", (limit,)
    )
    return await _hydrate(db, rows)


_FTS_TOKEN = re.compile(r"\w+")


async def search_items(db: Database, folded_query: str, *, limit: int = 10) -> list[TaggedItem]:
    """Accent-insensitive full-text search, newest first; the query comes folded as stored.

    The words as a phrase (the last one as a prefix, for a word still being typed) rank first;
    when the phrase occurs nowhere, items holding every word anywhere.
    """
    tokens = _FTS_TOKEN.findall(folded_query)[:12]
    if not tokens:
        return []
    phrase = '"' + " ".join(tokens) + '"*'
    every_word = " ".join(f'"{t}"' for t in tokens)
    for match in (phrase, every_word) if len(tokens) > 1 else (phrase,):
        rows = await db.fetchall(
            f"""SELECT {_ITEM_COLUMNS} FROM items
                WHERE seq IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)
                ORDER BY seq DESC LIMIT ?""",
            (match, limit),
        )
        if rows:
            return await _hydrate(db, rows)
    return []


async def count_items(db: Database, *, since: float = 0) -> int:
    return int(await db.scalar("SELECT COUNT(*) FROM items WHERE stored_at >= ?", (since,)))


async def topic_counts(db: Database, *, since: float) -> dict[str, int]:
    """Items stored since a time, per topic (each item counted once per topic)."""
    rows = await db.fetchall(
        """SELECT t.slug, COUNT(*) AS n FROM item_topics t JOIN items i ON i.seq = t.item_seq
           WHERE i.stored_at >= ? GROUP BY t.slug ORDER BY n DESC""",
        (since,),
    )
    return {r["slug"]: r["n"] for r in rows}
