"""Feeds and their polling state (validators, health, backoff)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class FeedRow:
    id: int
    url: str
    title: str
    default_province: str | None
    interval_seconds: int
    enabled: bool
    origin: str
    etag: str | None
    last_modified: str | None
    last_polled_at: float | None
    last_success_at: float | None
    last_error: str | None
    last_error_at: float | None
    consecutive_failures: int
    next_poll_at: float
    items_total: int

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures == 0


_COLUMNS = ", ".join(FeedRow.__dataclass_fields__)


def _row(row) -> FeedRow:
    data = dict(row)
    data["enabled"] = bool(data["enabled"])
    return FeedRow(**data)


async def upsert_feed(
    db: Database,
    url: str,
    *,
    interval_seconds: int = 900,
    default_province: str | None = None,
    origin: str = "config",
    title: str = "",
) -> int:
    """Add a feed, or refresh its settings (state kept); return its id. A disabled feed added
    again is enabled, and belongs to whoever added it now."""
    async with db.transaction() as conn:
        await conn.execute(
            """INSERT INTO feeds (url, title, default_province, interval_seconds, origin, created_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (url) DO UPDATE SET
                   default_province = excluded.default_province,
                   interval_seconds = excluded.interval_seconds,
                   origin = CASE WHEN enabled THEN origin ELSE excluded.origin END,
                   enabled = 1""",
            (url, title, default_province, interval_seconds, origin, time.time()),
        )
        cursor = await conn.execute("SELECT id FROM feeds WHERE url = ?", (url,))
        return (await cursor.fetchone())[0]


async def remove_feed(db: Database, url_or_id: str) -> bool:
    """Disable a feed (its items stay); True if one matched."""
    key = int(url_or_id) if str(url_or_id).isdigit() else None
    changed = await db.execute(
        "UPDATE feeds SET enabled = 0 WHERE url = ? OR id = ?", (str(url_or_id), key)
    )
    return changed > 0


async def disable_config_feeds_except(db: Database, urls: Iterable[str]) -> list[str]:
    """Disable the enabled feeds that came from the config but are no longer in ``urls`` (their
    items and history stay); return their URLs. Feeds an admin added are left alone."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            """UPDATE feeds SET enabled = 0
               WHERE origin = 'config' AND enabled = 1
                 AND url NOT IN (SELECT value FROM json_each(?))
               RETURNING url""",
            (json.dumps(list(urls)),),
        )
        return sorted(row[0] for row in await cursor.fetchall())


async def get_feed(db: Database, url_or_id: str | int) -> FeedRow | None:
    key = int(url_or_id) if str(url_or_id).isdigit() else None
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM feeds WHERE url = ? OR id = ?", (str(url_or_id), key)
    )
    return _row(row) if row else None


async def list_feeds(db: Database, *, enabled_only: bool = False) -> list[FeedRow]:
    where = "WHERE enabled = 1" if enabled_only else ""
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM feeds {where} ORDER BY id")
    return [_row(r) for r in rows]


async def due_feeds(db: Database, now: float) -> list[FeedRow]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM feeds WHERE enabled = 1 AND next_poll_at <= ? ORDER BY next_poll_at",
        (now,),
    )
    return [_row(r) for r in rows]


async def record_success(
    db: Database,
    feed_id: int,
    *,
    now: float,
    next_poll_at: float,
    etag: str | None,
    last_modified: str | None,
    title: str | None = None,
    items_added: int = 0,
    warning: str | None = None,
) -> None:
    """A 200 or 304: store validators, clear the failure count, schedule the next poll."""
    await db.execute(
        """UPDATE feeds SET etag = ?, last_modified = ?, last_polled_at = ?, last_success_at = ?,
               consecutive_failures = 0, next_poll_at = ?, items_total = items_total + ?,
               title = COALESCE(NULLIF(?, ''), title),
               last_error = ?, last_error_at = CASE WHEN ? IS NULL THEN last_error_at ELSE ? END
           WHERE id = ?""",
        (etag, last_modified, now, now, next_poll_at, items_added, title or "",
         warning, warning, now, feed_id),
    )


async def record_failure(
    db: Database, feed_id: int, *, now: float, error: str, next_poll_at: float,
    failures: int | None = None,
) -> None:
    """A failed poll: ``failures`` in a row (by default one more than stored)."""
    await db.execute(
        """UPDATE feeds SET last_polled_at = ?, last_error = ?, last_error_at = ?,
               consecutive_failures = COALESCE(?, consecutive_failures + 1), next_poll_at = ?
           WHERE id = ?""",
        (now, error, now, failures, next_poll_at, feed_id),
    )


async def poll_now(db: Database, feed_id: int) -> None:
    """Make a feed due immediately (admin "poll now")."""
    await db.execute("UPDATE feeds SET next_poll_at = 0, enabled = 1 WHERE id = ?", (feed_id,))
