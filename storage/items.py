"""Items with their provinces and topics: batch insert, lookups for matching, search."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime

from bot.models import Period, TaggedItem
from bot.textnorm import fold
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
    now: float | None = None,
) -> list[int]:
    """Store new items in one transaction; return the seqs of those not already stored."""
    now = time.time() if now is None else now
    added: list[int] = []
    async with db.transaction() as conn:
        for item in items:
            period = item.period
            cursor = await conn.execute(
                """INSERT OR IGNORE INTO items (id, feed_id, title, body, link, published_at,
                       stored_at, period_start, period_end, period_week, national, folded)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    item.item_id, feed_id, item.title, item.body, item.link,
                    item.published.timestamp() if item.published else None, now,
                    period.start.isoformat() if period else None,
                    period.end.isoformat() if period else None,
                    period.week if period else None,
                    int(item.national), fold(f"{item.title}\n{item.body}"),
                ),
            )
            if cursor.rowcount == 0:
                continue
            seq = cursor.lastrowid
            added.append(seq)
            province_rows = [
                (seq, slug, current_of(slug), role, pos)
                for role, slugs in (("primary", item.primary), ("mentioned", item.mentioned))
                for pos, slug in enumerate(slugs)
            ]
            await conn.executemany(
                "INSERT OR IGNORE INTO item_provinces (item_seq, slug, current, role, position)"
                " VALUES (?, ?, ?, ?, ?)",
                province_rows,
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO item_topics (item_seq, slug, rank) VALUES (?, ?, ?)",
                [(seq, slug, rank) for rank, slug in enumerate(item.topics)],
            )
    return added


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


async def search_items(db: Database, query: str, *, limit: int = 10) -> list[TaggedItem]:
    """Accent-insensitive full-text search, newest first.

    The words as a phrase (the last one as a prefix, for a word still being typed) rank first;
    when the phrase occurs nowhere, items holding every word anywhere.
    """
    tokens = _FTS_TOKEN.findall(fold(query))[:12]
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
