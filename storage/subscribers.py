"""Read-side SQL for matching and summaries: who is subscribed to what, and chats' settings.

The writer of these tables is storage/chats.py; nothing here changes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.subscriptions import SubscriptionRow
from storage.db import Database


async def instant_subscriptions(db: Database, *, now: float) -> list[SubscriptionRow]:
    """Subscriptions of every chat that takes instant pushes now: active, mode 'instant', not paused."""
    rows = await db.fetchall(
        """SELECT s.chat_ref, s.kind, s.value, s.created_at, s.folded, s.accented
           FROM subscriptions s JOIN chats c ON c.id = s.chat_ref
           WHERE c.active = 1 AND c.mode = 'instant'
             AND (c.paused_until IS NULL OR c.paused_until <= ?)""",
        (now,),
    )
    return [SubscriptionRow(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]


async def active_subscriptions(db: Database) -> list[SubscriptionRow]:
    """Subscriptions of every active chat, whatever its mode or pause."""
    rows = await db.fetchall(
        """SELECT s.chat_ref, s.kind, s.value, s.created_at, s.folded, s.accented
           FROM subscriptions s JOIN chats c ON c.id = s.chat_ref WHERE c.active = 1"""
    )
    return [SubscriptionRow(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]


@dataclass(frozen=True, slots=True)
class Audience:
    """Who reads a chat's messages, as far as preparing them goes."""

    lang: str
    messenger: str


async def chat_audiences(db: Database) -> dict[int, Audience]:
    """Language and messenger of every active chat."""
    rows = await db.fetchall("SELECT id, lang, messenger FROM chats WHERE active = 1")
    return {r[0]: Audience(r[1], r[2]) for r in rows}


@dataclass(frozen=True, slots=True)
class SummaryChat:
    """What the weekly schedule needs to know about a chat."""

    id: int
    lang: str
    messenger: str
    weekly_day: int | None
    weekly_time: str | None
    weekly_empty: bool
    paused_until: float | None
    last_summary_at: float | None
    last_summary_key: str | None
    created_at: float

    def is_paused(self, now: float) -> bool:
        return self.paused_until is not None and self.paused_until > now


async def summary_chats(db: Database, *, chat_ref: int | None = None) -> list[SummaryChat]:
    """Active chats (or the one given) with their weekly settings."""
    where, params = "active = 1", []
    if chat_ref is not None:
        where += " AND id = ?"
        params.append(chat_ref)
    rows = await db.fetchall(
        f"""SELECT id, lang, messenger, weekly_day, weekly_time, weekly_empty, paused_until,
                   last_summary_at, last_summary_key, created_at
            FROM chats WHERE {where} ORDER BY id""",
        params,
    )
    return [
        SummaryChat(
            r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], r[9]
        )
        for r in rows
    ]


async def chat_ref_of(db: Database, messenger: str, chat_id: str) -> int | None:
    return await db.scalar(
        "SELECT id FROM chats WHERE messenger = ? AND chat_id = ?", (messenger, str(chat_id))
    )
