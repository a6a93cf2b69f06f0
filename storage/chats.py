"""Chats and their settings: registration, language, mode, schedule, pause, leaving, moving."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.messages import normalize_lang
from storage.db import Database

# paused_until for "paused until /tieptuc": 9999-12-31T23:59:59Z. A chat is paused while
# paused_until is set and later than now.
PAUSED_FOREVER = 253402300799.0


@dataclass(frozen=True)
class ChatRow:
    id: int
    messenger: str
    chat_id: str
    kind: str
    title: str
    lang: str
    lang_explicit: bool
    mode: str  # 'instant' (pushes + weekly summary) | 'weekly'
    weekly_day: int | None
    weekly_time: str | None
    weekly_empty: bool
    active: bool
    inactive_reason: str | None
    paused_until: float | None
    paused_at: float | None
    last_summary_at: float | None
    last_summary_key: str | None
    created_at: float
    updated_at: float

    def is_paused(self, now: float) -> bool:
        return self.paused_until is not None and self.paused_until > now


_CHAT_COLUMNS = ", ".join(ChatRow.__dataclass_fields__)
_BOOL_FIELDS = ("lang_explicit", "weekly_empty", "active")


def _chat(row) -> ChatRow:
    data = dict(row)
    for name in _BOOL_FIELDS:
        data[name] = bool(data[name])
    return ChatRow(**data)


# ------------------------------------------------------------------------------ chats


async def ensure_chat(
    db: Database,
    messenger: str,
    chat_id: str,
    kind: str,
    title: str,
    user_lang: str | None,
    now: float,
) -> ChatRow:
    """Create the chat, or reactivate and refresh it; a private chat's language follows the
    user's messenger language until /ngonngu sets it explicitly.

    A known, active chat with nothing new is only read: a reading command still works while
    the database cannot be written (full disk, another process's lock)."""
    lang = normalize_lang(user_lang) if user_lang else None
    known = await get_chat(db, messenger, chat_id)
    if known is not None and not _needs_refresh(known, kind, title, lang):
        return known
    async with db.transaction() as conn:
        await conn.execute(
            """INSERT INTO chats (messenger, chat_id, kind, title, lang, created_at, updated_at)
               VALUES (?, ?, ?, ?, COALESCE(?, 'vi'), ?, ?)
               ON CONFLICT (messenger, chat_id) DO UPDATE SET
                   kind = excluded.kind,
                   title = CASE WHEN excluded.title != '' THEN excluded.title ELSE chats.title END,
                   lang = CASE WHEN chats.lang_explicit = 0 AND excluded.kind = 'private'
                               AND ? IS NOT NULL THEN excluded.lang ELSE chats.lang END,
                   active = 1,
                   inactive_reason = NULL,
                   updated_at = excluded.updated_at""",
            (messenger, str(chat_id), kind, title or "", lang, now, now, lang),
        )
        cursor = await conn.execute(
            f"SELECT {_CHAT_COLUMNS} FROM chats WHERE messenger = ? AND chat_id = ?",
            (messenger, str(chat_id)),
        )
        return _chat(await cursor.fetchone())


def _needs_refresh(chat: ChatRow, kind: str, title: str, lang: str | None) -> bool:
    follows_user = not chat.lang_explicit and kind == "private" and lang is not None
    return (
        not chat.active
        or chat.kind != kind
        or bool(title) and chat.title != title
        or follows_user and chat.lang != lang
    )


async def get_chat(db: Database, messenger: str, chat_id: str) -> ChatRow | None:
    row = await db.fetchone(
        f"SELECT {_CHAT_COLUMNS} FROM chats WHERE messenger = ? AND chat_id = ?",
        (messenger, str(chat_id)),
    )
    return _chat(row) if row else None


async def set_lang(db: Database, chat_ref: int, lang: str, now: float) -> None:
    """An explicit language choice: it sticks."""
    await db.execute(
        "UPDATE chats SET lang = ?, lang_explicit = 1, updated_at = ? WHERE id = ?",
        (lang, now, chat_ref),
    )


async def set_mode(db: Database, chat_ref: int, mode: str, now: float) -> None:
    await db.execute(
        "UPDATE chats SET mode = ?, updated_at = ? WHERE id = ?", (mode, now, chat_ref)
    )


async def set_weekly_empty(db: Database, chat_ref: int, send: bool, now: float) -> None:
    """Whether a week with nothing matching still gets its one short line."""
    await db.execute(
        "UPDATE chats SET weekly_empty = ?, updated_at = ? WHERE id = ?", (int(send), now, chat_ref)
    )


async def set_weekly_slot(db: Database, chat_ref: int, day: int, hhmm: str, now: float) -> None:
    await db.execute(
        "UPDATE chats SET weekly_day = ?, weekly_time = ?, updated_at = ? WHERE id = ?",
        (day, hhmm, now, chat_ref),
    )


async def pause_chat(db: Database, chat_ref: int, until: float, now: float) -> None:
    """Pause until ``until`` (PAUSED_FOREVER: until resumed); an ongoing pause keeps its start."""
    await db.execute(
        """UPDATE chats SET paused_until = ?,
               paused_at = CASE WHEN paused_until IS NOT NULL AND paused_until > ?
                                THEN COALESCE(paused_at, ?) ELSE ? END,
               updated_at = ?
           WHERE id = ?""",
        (until, now, now, now, now, chat_ref),
    )


async def resume_chat(db: Database, chat_ref: int, now: float) -> float | None:
    """End a pause; return when it started (None when the chat was not paused)."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT paused_until, paused_at, created_at FROM chats WHERE id = ?", (chat_ref,)
        )
        row = await cursor.fetchone()
        await conn.execute(
            "UPDATE chats SET paused_until = NULL, paused_at = NULL, updated_at = ? WHERE id = ?",
            (now, chat_ref),
        )
    if row is None or row["paused_until"] is None or row["paused_until"] <= now:
        return None
    return row["paused_at"] if row["paused_at"] is not None else row["created_at"]


async def deactivate_chat(
    db: Database, messenger: str, chat_id: str, reason: str, now: float
) -> int:
    """The bot was removed or blocked: mark inactive (subscriptions kept), cancel pending
    outbox rows; return how many rows were cancelled."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            """UPDATE chats SET active = 0, inactive_reason = ?, updated_at = ?
               WHERE messenger = ? AND chat_id = ? RETURNING id""",
            (reason, now, messenger, str(chat_id)),
        )
        row = await cursor.fetchone()
        if row is None:
            return 0
        cursor = await conn.execute(
            "UPDATE outbox SET state = 'cancelled' WHERE chat_ref = ? AND state = 'pending'",
            (row["id"],),
        )
        return cursor.rowcount


_CARRIED_SETTINGS = (
    "lang", "lang_explicit", "mode", "weekly_day", "weekly_time", "weekly_empty",
    "paused_until", "paused_at", "last_summary_at", "last_summary_key",
)


async def migrate_chat(
    db: Database, messenger: str, old_chat_id: str, new_chat_id: str, now: float
) -> ChatRow | None:
    """A group became a supergroup: its settings and subscriptions move to the new id.

    When the new id is unknown the row is simply renamed (outbox rows follow). When it already
    exists (a message from the new id came first), subscriptions are merged into it, the old
    row's settings win, its pending outbox rows are cancelled and it is left inactive.
    """
    old_chat_id, new_chat_id = str(old_chat_id), str(new_chat_id)
    if old_chat_id == new_chat_id:
        return await get_chat(db, messenger, new_chat_id)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            f"SELECT {_CHAT_COLUMNS} FROM chats WHERE messenger = ? AND chat_id = ?",
            (messenger, old_chat_id),
        )
        old = await cursor.fetchone()
        cursor = await conn.execute(
            "SELECT id FROM chats WHERE messenger = ? AND chat_id = ?", (messenger, new_chat_id)
        )
        new = await cursor.fetchone()
        if old is not None:  # a chat never seen under the old id has nothing to carry over
            if new is None:
                await conn.execute(
                    """UPDATE chats SET chat_id = ?, kind = 'supergroup', active = 1,
                           inactive_reason = NULL, updated_at = ? WHERE id = ?""",
                    (new_chat_id, now, old["id"]),
                )
            else:
                old_ref, new_ref = old["id"], new["id"]
                await conn.execute(
                    """INSERT OR IGNORE INTO subscriptions
                           (chat_ref, kind, value, folded, accented, created_at)
                       SELECT ?, kind, value, folded, accented, created_at
                       FROM subscriptions WHERE chat_ref = ?""",
                    (new_ref, old_ref),
                )
                assignments = ", ".join(f"{name} = ?" for name in _CARRIED_SETTINGS)
                await conn.execute(
                    f"UPDATE chats SET {assignments}, active = 1, inactive_reason = NULL,"
                    " updated_at = ? WHERE id = ?",
                    (*(old[name] for name in _CARRIED_SETTINGS), now, new_ref),
                )
                await conn.execute("DELETE FROM subscriptions WHERE chat_ref = ?", (old_ref,))
                # Queued messages follow the group to its new id rather than being lost.
                await conn.execute(
                    "UPDATE outbox SET chat_ref = ? WHERE chat_ref = ? AND state = 'pending'",
                    (new_ref, old_ref),
                )
                await conn.execute(
                    """UPDATE chats SET active = 0, inactive_reason = 'migrated', updated_at = ?
                       WHERE id = ?""",
                    (now, old_ref),
                )
    return await get_chat(db, messenger, new_chat_id)
