"""Items with their provinces and topics: batch insert, lookups for matching, search."""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from datetime import UTC, date, datetime

import aiosqlite

from bot.core.models import Period, TaggedItem
from storage.db import Database

_ITEM_COLUMNS = (
    "seq, id, feed_id, title, body, link, published_at, stored_at, "
    "period_start, period_end, period_week, national"
)


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

    Whole-batch statements (executemany) rather than a round trip per row: with aiosqlite every
    statement is a hop to its thread, and a 1,000-entry feed has ~10,000 items. This is the only
    writer of ``items``, and it also fills the search index (``items_fts``).
    """
    added = await insert_item_batches(
        db, _one(items), feed_id=feed_id, current_of=current_of, fold=fold, now=now
    )
    return [seq for seq, _item in added]


async def insert_item_batches(
    db: Database,
    batches: AsyncIterable[Sequence[TaggedItem]],
    *,
    feed_id: int | None,
    current_of: Callable[[str], str],
    fold: Callable[[str], str],
    now: float | None = None,
) -> list[tuple[int, TaggedItem]]:
    """``insert_items`` of batches that arrive one by one (tagging in worker processes), in one
    transaction: each batch is written while the next is still being tagged. Returns (seq,
    item) of each item not already stored. ``current_of`` maps a province slug to its current
    unit; ``fold`` gives the accent-free copy the search index holds."""
    now = time.time() if now is None else now
    parts = aiter(batches)
    first = await anext(parts, None)  # the write lock is not held while the first is tagged
    if first is None:
        return []
    async with db.transaction() as conn:
        added = await _insert_in(conn, first, feed_id, current_of, fold, now)
        async for items in parts:
            added += await _insert_in(conn, items, feed_id, current_of, fold, now)
    return added


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


async def _one(items: Sequence[TaggedItem]) -> AsyncIterator[Sequence[TaggedItem]]:
    yield items


async def _insert_in(
    conn: aiosqlite.Connection,
    items: Sequence[TaggedItem],
    feed_id: int | None,
    current_of: Callable[[str], str],
    fold: Callable[[str], str],
    now: float,
) -> list[tuple[int, TaggedItem]]:
    by_id: dict[str, TaggedItem] = {}
    for item in items:
        by_id.setdefault(item.item_id, item)
    if not by_id:
        return []
    known: set[str] = set()
    ids = list(by_id)
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        cursor = await conn.execute(
            f"SELECT id FROM items WHERE id IN ({','.join('?' * len(part))})", part
        )
        known.update(row[0] for row in await cursor.fetchall())
    new = [item for item_id, item in by_id.items() if item_id not in known]
    if not new:
        return []
    await conn.executemany(
        """INSERT INTO items (id, feed_id, title, body, link, published_at, stored_at,
               period_start, period_end, period_week, national, folded)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [_item_row(item, feed_id, now, fold) for item in new],
    )
    # Rows just inserted by this transaction hold the highest seqs, in insertion order.
    cursor = await conn.execute("SELECT seq FROM items ORDER BY seq DESC LIMIT ?", (len(new),))
    seqs = sorted(row[0] for row in await cursor.fetchall())
    # The search index, in one statement (migration 0002 explains why not by trigger).
    await conn.execute(
        "INSERT INTO items_fts (rowid, folded) SELECT seq, folded FROM items WHERE seq >= ?",
        (seqs[0],),
    )
    await conn.executemany(
        "INSERT OR IGNORE INTO item_provinces (item_seq, slug, current, role, position)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (seq, slug, current_of(slug), role, pos)
            for seq, item in zip(seqs, new, strict=True)
            for role, slugs in (("primary", item.primary), ("mentioned", item.mentioned))
            for pos, slug in enumerate(slugs)
        ],
    )
    await conn.executemany(
        "INSERT OR IGNORE INTO item_topics (item_seq, slug, rank) VALUES (?, ?, ?)",
        [
            (seq, slug, rank)
            for seq, item in zip(seqs, new, strict=True)
            for rank, slug in enumerate(item.topics)
        ],
    )
    return list(zip(seqs, new, strict=True))


def _item_row(item: TaggedItem, feed_id: int | None, now: float, fold: Callable[[str], str]) -> tuple:
    period = item.period
    return (
        item.item_id, feed_id, item.title, item.body, item.link,
        item.published.timestamp() if item.published else None, now,
        period.start.isoformat() if period else None,
        period.end.isoformat() if period else None,
        period.week if period else None,
        int(item.national), fold(f"{item.title}\n{item.body}"),
    )


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


async def mark_matched(conn, seqs: Sequence[int]) -> None:
    """Inside the caller's transaction: these items' pushes are queued."""
    await conn.executemany("UPDATE items SET matched = 1 WHERE seq = ?", [(s,) for s in seqs])


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


async def province_counts(db: Database, *, since: float) -> dict[str, int]:
    """Items stored since a time, per primary current unit ('toan-quoc' for national ones)."""
    rows = await db.fetchall(
        """SELECT COALESCE(p.current, 'toan-quoc') AS unit, COUNT(DISTINCT i.seq) AS n
           FROM items i LEFT JOIN item_provinces p ON p.item_seq = i.seq AND p.role = 'primary'
           WHERE i.stored_at >= ? GROUP BY unit ORDER BY n DESC""",
        (since,),
    )
    return {r["unit"]: r["n"] for r in rows}
