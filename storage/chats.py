"""Chats, their subscriptions and settings, admin broadcasts, and the counts /thongke shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.messages import normalize_lang
from bot.core.subscriptions import (
    KEYWORD,
    KINDS,
    ChatSubscriptions,
    Keyword,
    SubscriptionRow,
    subscriptions_of,
)
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


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    text: str
    created_by: str
    state: str  # 'draft' | 'queued' | 'cancelled'
    created_at: float
    queued_at: float | None


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
    user's messenger language until /ngonngu sets it explicitly."""
    lang = normalize_lang(user_lang) if user_lang else None
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


async def get_chat(db: Database, messenger: str, chat_id: str) -> ChatRow | None:
    row = await db.fetchone(
        f"SELECT {_CHAT_COLUMNS} FROM chats WHERE messenger = ? AND chat_id = ?",
        (messenger, str(chat_id)),
    )
    return _chat(row) if row else None


async def get_chat_by_ref(db: Database, chat_ref: int) -> ChatRow | None:
    row = await db.fetchone(f"SELECT {_CHAT_COLUMNS} FROM chats WHERE id = ?", (chat_ref,))
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


# ------------------------------------------------------------------------------ subscriptions


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


# ------------------------------------------------------------------------------ broadcasts


async def create_broadcast(db: Database, text: str, created_by: str, now: float) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO broadcasts (text, created_by, created_at) VALUES (?, ?, ?)",
            (text, str(created_by), now),
        )
        return cursor.lastrowid


async def get_broadcast(db: Database, broadcast_id: int) -> BroadcastRow | None:
    row = await db.fetchone(
        "SELECT id, text, created_by, state, created_at, queued_at FROM broadcasts WHERE id = ?",
        (broadcast_id,),
    )
    return BroadcastRow(**dict(row)) if row else None


async def queue_broadcast(
    db: Database, broadcast_id: int, payload: str, now: float
) -> int | None:
    """Queue a draft for every active chat (outbox kind 'broadcast', dedupe key
    "broadcast:<id>:<chat_ref>"); return rows queued, or None when it was not a draft."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE broadcasts SET state = 'queued', queued_at = ? WHERE id = ? AND state = 'draft'",
            (now, broadcast_id),
        )
        if cursor.rowcount == 0:
            return None
        cursor = await conn.execute(
            """INSERT OR IGNORE INTO outbox (chat_ref, kind, dedupe_key, payload, created_at)
               SELECT id, 'broadcast', 'broadcast:' || ? || ':' || id, ?, ?
               FROM chats WHERE active = 1""",
            (broadcast_id, payload, now),
        )
        return cursor.rowcount


async def cancel_broadcast(db: Database, broadcast_id: int) -> bool:
    """Drop a draft; False when it was already queued or cancelled."""
    changed = await db.execute(
        "UPDATE broadcasts SET state = 'cancelled' WHERE id = ? AND state = 'draft'",
        (broadcast_id,),
    )
    return changed > 0


# ------------------------------------------------------------------------------ statistics


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


async def outbox_counts(db: Database) -> dict[str, int]:
    """Outbox rows per state."""
    rows = await db.fetchall("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
    return {r["state"]: int(r["n"]) for r in rows}


async def dead_reasons(db: Database, *, limit: int = 5) -> list[tuple[str, int]]:
    """The commonest last_error of dead outbox rows."""
    rows = await db.fetchall(
        """SELECT COALESCE(last_error, '') AS reason, COUNT(*) AS n FROM outbox
           WHERE state = 'dead' GROUP BY reason ORDER BY n DESC, reason LIMIT ?""",
        (limit,),
    )
    return [(r["reason"], int(r["n"])) for r in rows]
