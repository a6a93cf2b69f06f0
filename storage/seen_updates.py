"""Update ids a messenger has already delivered: a retried or repeated update runs once."""

from __future__ import annotations

from storage.db import Database


async def first_sighting(db: Database, messenger: str, update_key: str, now: float) -> bool:
    """Record the update; True the first time it is seen, False for a repeat."""
    changed = await db.execute(
        "INSERT OR IGNORE INTO seen_updates (messenger, update_key, seen_at) VALUES (?, ?, ?)",
        (messenger, update_key, now),
    )
    return changed == 1


async def forget_before(db: Database, cutoff: float) -> int:
    """Drop ids seen before ``cutoff`` (no retry comes that late); returns how many."""
    return await db.execute("DELETE FROM seen_updates WHERE seen_at < ?", (cutoff,))
