"""Chats and their subscriptions out of and into a database (`diemtin export` / `import`).

Rows travel as plain dicts of the columns below, in a fixed order (chats by messenger and chat
id, subscriptions by kind, value), so that an export of an import of an export is the same
file. The chats' own ids (chat_ref) stay behind: a chat is its (messenger, chat_id). Checking
what is imported is the caller's job (bot/operations/transfer.py); ``write_chats`` writes
everything in one transaction, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from storage.db import Database

CHAT_COLUMNS = (
    "messenger", "chat_id", "kind", "title", "lang", "lang_explicit", "mode", "weekly_day",
    "weekly_time", "weekly_empty", "active", "inactive_reason", "paused_until", "paused_at",
    "last_summary_at", "last_summary_key", "created_at", "updated_at",
)
BOOL_COLUMNS = frozenset({"lang_explicit", "weekly_empty", "active"})
SUBSCRIPTION_COLUMNS = ("kind", "value", "created_at")
_KIND_ORDER = "CASE s.kind WHEN 'province' THEN 0 WHEN 'topic' THEN 1 ELSE 2 END"


async def read_chats(db: Database) -> list[dict[str, Any]]:
    """Every chat with its settings and ``subscriptions`` (a list of dicts), in a fixed order."""
    chats = await db.fetchall(
        f"SELECT id, {', '.join(CHAT_COLUMNS)} FROM chats ORDER BY messenger, chat_id"
    )
    subs = await db.fetchall(
        f"""SELECT s.chat_ref, s.kind, s.value, s.created_at FROM subscriptions s
            ORDER BY s.chat_ref, {_KIND_ORDER}, s.value"""
    )
    by_chat: dict[int, list[dict[str, Any]]] = {}
    for row in subs:
        by_chat.setdefault(row[0], []).append(dict(zip(SUBSCRIPTION_COLUMNS, row[1:], strict=True)))
    out = []
    for row in chats:
        chat = dict(zip(CHAT_COLUMNS, row[1:], strict=True))
        for name in BOOL_COLUMNS:
            chat[name] = bool(chat[name])
        chat["subscriptions"] = by_chat.get(row[0], [])
        out.append(chat)
    return out


async def write_chats(
    db: Database, chats: Sequence[dict[str, Any]], keyword_form: Callable[[str], tuple[str, bool]]
) -> tuple[int, int]:
    """Create or update each chat (matched by messenger and chat id) and set its subscriptions
    to exactly the given ones, all in one transaction; return (chats created, subscriptions).
    ``keyword_form(text)`` gives a keyword's stored (folded, accented)."""
    created = subscriptions = 0
    columns = ", ".join(CHAT_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in CHAT_COLUMNS[2:])
    async with db.transaction() as conn:
        for chat in chats:
            cursor = await conn.execute(
                "SELECT id FROM chats WHERE messenger = ? AND chat_id = ?", (chat["messenger"], chat["chat_id"])
            )
            known = await cursor.fetchone()
            values = [int(chat[c]) if c in BOOL_COLUMNS else chat[c] for c in CHAT_COLUMNS]
            cursor = await conn.execute(
                f"""INSERT INTO chats ({columns}) VALUES ({', '.join('?' * len(CHAT_COLUMNS))})
                    ON CONFLICT (messenger, chat_id) DO UPDATE SET {updates} RETURNING id""",
                values,
            )
            chat_ref = (await cursor.fetchone())[0]
            created += known is None
            await conn.execute("DELETE FROM subscriptions WHERE chat_ref = ?", (chat_ref,))
            rows = []
            for sub in chat["subscriptions"]:
                folded, accented = keyword_form(sub["value"]) if sub["kind"] == "keyword" else (sub["value"], False)
                rows.append((chat_ref, sub["kind"], sub["value"], folded, int(accented), sub["created_at"]))
            await conn.executemany(
                """INSERT INTO subscriptions (chat_ref, kind, value, folded, accented, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                rows,
            )
            subscriptions += len(rows)
    return created, subscriptions
