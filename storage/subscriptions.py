"""A chat's subscriptions: add, remove, list."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.subscriptions import (
    KEYWORD,
    KINDS,
    ChatSubscriptions,
    Keyword,
    SubscriptionRow,
    subscriptions_of,
)
from storage.db import Database


def _stored(kind: str, value: str | Keyword) -> tuple[str, str, int]:
    """(value, folded, accented) as stored for one subscription."""
    if kind == KEYWORD:
        if not isinstance(value, Keyword):
            raise TypeError("keyword subscriptions take Keyword values (matching.make_keyword)")
        return value.text, value.folded, int(value.accented)
    return str(value), str(value), 0


async def add_subscriptions(
    db: Database, chat_ref: int, kind: str, values: Iterable[str | Keyword], now: float
) -> list[str]:
    """Subscribe to each value (duplicates ignored); return the values that were new."""
    if kind not in KINDS:
        raise ValueError(f"unknown subscription kind {kind!r}")
    added: list[str] = []
    async with db.transaction() as conn:
        for raw in values:
            value, folded, accented = _stored(kind, raw)
            cursor = await conn.execute(
                """INSERT OR IGNORE INTO subscriptions
                       (chat_ref, kind, value, folded, accented, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (chat_ref, kind, value, folded, accented, now),
            )
            if cursor.rowcount:
                added.append(value)
    return added


async def remove_subscriptions(
    db: Database, chat_ref: int, kind: str, values: Iterable[str]
) -> list[str]:
    """Unsubscribe; return the values that were subscribed."""
    removed: list[str] = []
    async with db.transaction() as conn:
        for value in values:
            cursor = await conn.execute(
                "DELETE FROM subscriptions WHERE chat_ref = ? AND kind = ? AND value = ?",
                (chat_ref, kind, value),
            )
            if cursor.rowcount:
                removed.append(value)
    return removed


async def clear_subscriptions(db: Database, chat_ref: int) -> int:
    return await db.execute("DELETE FROM subscriptions WHERE chat_ref = ?", (chat_ref,))


async def list_subscriptions(
    db: Database, chat_ref: int, kind: str | None = None
) -> list[SubscriptionRow]:
    """A chat's subscriptions, oldest first within each kind."""
    where, params = "chat_ref = ?", [chat_ref]
    if kind is not None:
        where += " AND kind = ?"
        params.append(kind)
    rows = await db.fetchall(
        f"""SELECT chat_ref, kind, value, created_at, folded, accented FROM subscriptions
            WHERE {where}
            ORDER BY CASE kind WHEN 'province' THEN 0 WHEN 'topic' THEN 1 ELSE 2 END,
                     created_at, rowid""",
        params,
    )
    return [SubscriptionRow(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]


async def load_subscriptions(db: Database, chat_ref: int) -> ChatSubscriptions:
    return subscriptions_of(await list_subscriptions(db, chat_ref))
