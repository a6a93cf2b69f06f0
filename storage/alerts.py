"""What the admins' alerts remember (table admin_alerts), and their messages queued with it.

An alert's messages and the row that says it was told are written in one transaction, so a
crash can neither tell twice nor forget that it told. Alerts are outbox rows of kind 'reply'
(a message to one person, not to subscribers) with dedupe keys that begin with "alert:".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from storage import outbox
from storage.db import Database
from storage.outbox import NewMessage

ALERT_KIND = "reply"


@dataclass(frozen=True)
class AlertState:
    key: str
    since: float
    value: str
    notified_at: float | None


async def alert_states(db: Database) -> dict[str, AlertState]:
    rows = await db.fetchall("SELECT key, since, value, notified_at FROM admin_alerts")
    return {r[0]: AlertState(r[0], r[1], r[2], r[3]) for r in rows}


async def admin_chats(db: Database, messenger: str, user_ids: Collection[str]) -> list[tuple[int, str]]:
    """(chat_ref, lang) of each admin's active private chat with the bot."""
    if not user_ids:
        return []
    marks = ",".join("?" * len(user_ids))
    rows = await db.fetchall(
        f"""SELECT id, lang FROM chats WHERE messenger = ? AND kind = 'private' AND active = 1
            AND chat_id IN ({marks}) ORDER BY id""",
        (messenger, *user_ids),
    )
    return [(r[0], r[1]) for r in rows]


async def save(db: Database, state: AlertState, messages: Sequence[NewMessage], *, now: float) -> int:
    """Remember ``state`` and queue ``messages`` together; return how many were queued."""
    async with db.transaction() as conn:
        await conn.execute(
            """INSERT INTO admin_alerts (key, since, value, notified_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET since = excluded.since, value = excluded.value,
                   notified_at = excluded.notified_at""",
            (state.key, state.since, state.value, state.notified_at),
        )
        return await outbox.enqueue_in(conn, messages, now=now) if messages else 0


async def forget(db: Database, key: str, messages: Sequence[NewMessage], *, now: float) -> int:
    """The condition is over: forget it and queue ``messages`` (a recovery) together."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM admin_alerts WHERE key = ?", (key,))
        return await outbox.enqueue_in(conn, messages, now=now) if messages else 0
