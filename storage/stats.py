"""The counts /thongke and `diemtin status` show."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class ChatCount:
    messenger: str
    active: int
    total: int


async def chat_counts(db: Database) -> list[ChatCount]:
    rows = await db.fetchall(
        """SELECT messenger, SUM(active) AS active, COUNT(*) AS total FROM chats
           GROUP BY messenger ORDER BY messenger"""
    )
    return [ChatCount(r["messenger"], int(r["active"] or 0), int(r["total"])) for r in rows]


async def subscription_counts(db: Database, kind: str, *, limit: int = 10) -> list[tuple[str, int]]:
    """The most subscribed values of one kind among active chats."""
    rows = await db.fetchall(
        """SELECT s.value, COUNT(*) AS n FROM subscriptions s JOIN chats c ON c.id = s.chat_ref
           WHERE s.kind = ? AND c.active = 1 GROUP BY s.value ORDER BY n DESC, s.value LIMIT ?""",
        (kind, limit),
    )
    return [(r["value"], int(r["n"])) for r in rows]


async def dead_reasons(db: Database, *, limit: int = 5) -> list[tuple[str, int]]:
    """The commonest last_error of dead outbox rows."""
    rows = await db.fetchall(
        """SELECT COALESCE(last_error, '') AS reason, COUNT(*) AS n FROM outbox
           WHERE state = 'dead' GROUP BY reason ORDER BY n DESC, reason LIMIT ?""",
        (limit,),
    )
    return [(r["reason"], int(r["n"])) for r in rows]
