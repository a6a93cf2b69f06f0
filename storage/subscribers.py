"""Read-side SQL for matching and summaries: who is subscribed to what, and chats' settings.

The writer of chats and subscriptions is storage/chats.py; what is written here is the weekly
check's own bookkeeping (chats.summary_due_at, schedule_state).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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


@dataclass(slots=True)
class Subscriber:
    """An active chat in instant mode (paused or not) with its subscriptions."""

    messenger: str
    lang: str
    paused_until: float | None
    rows: list[SubscriptionRow]

    def is_paused(self, now: float) -> bool:
        return self.paused_until is not None and self.paused_until > now


_IN_LIST = 500  # chat refs per IN (...) list


async def instant_subscribers(db: Database, chat_refs: range | Collection[int]) -> dict[int, Subscriber]:
    """The chats among ``chat_refs`` that are active, in instant mode and subscribed to something;
    each read with its subscriptions in one statement."""
    sql = """SELECT c.id, c.messenger, c.lang, c.paused_until,
                    s.kind, s.value, s.created_at, s.folded, s.accented
             FROM chats c JOIN subscriptions s ON s.chat_ref = c.id
             WHERE c.active = 1 AND c.mode = 'instant' AND {refs}"""
    if isinstance(chat_refs, range) and chat_refs.step == 1:
        pages = [(sql.format(refs="c.id >= ? AND c.id < ?"), (chat_refs.start, chat_refs.stop))]
    else:
        refs = list(chat_refs)
        pages = [
            (sql.format(refs=f"c.id IN ({','.join('?' * len(page))})"), page)
            for page in (refs[i : i + _IN_LIST] for i in range(0, len(refs), _IN_LIST))
        ]
    found: dict[int, Subscriber] = {}
    for query, params in pages:
        for r in await db.fetchall(query, params):
            chat = found.get(r[0])
            if chat is None:
                chat = found[r[0]] = Subscriber(r[1], r[2], r[3], [])
            chat.rows.append(SubscriptionRow(r[0], r[4], r[5], r[6], r[7], bool(r[8])))
    return found


async def last_chat_ref(db: Database) -> int:
    return await db.scalar("SELECT COALESCE(MAX(id), 0) FROM chats")


async def change_version(db: Database) -> int:
    """How many changes that matter to instant matching have been logged (chat_changes)."""
    return await db.scalar(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'chat_changes'), 0)"
    )


async def changed_chats(db: Database, *, since: int) -> tuple[int, set[int]] | None:
    """(the version now, the chats changed after version ``since``), or None when the log no
    longer reaches back that far (pruned): then everything must be read again."""
    rows = await db.fetchall(
        "SELECT seq, chat_ref FROM chat_changes WHERE seq > ? ORDER BY seq", (since,)
    )
    if not rows or rows[0][0] != since + 1:
        return None
    return rows[-1][0], {r[1] for r in rows}


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
    return await _summary_chats(db, where + " ORDER BY id", params)


async def due_summary_chats(db: Database, *, now: float) -> list[SummaryChat]:
    """Active chats the weekly check must look at now (summary_due_at reached; indexed)."""
    # Ordered as the index is: by id alone, the planner would rather walk every active chat.
    return await _summary_chats(
        db, "active = 1 AND summary_due_at <= ? ORDER BY summary_due_at, id", [now]
    )


async def _summary_chats(db: Database, where: str, params: list) -> list[SummaryChat]:
    rows = await db.fetchall(
        f"""SELECT id, lang, messenger, weekly_day, weekly_time, weekly_empty, paused_until,
                   last_summary_at, last_summary_key, created_at
            FROM chats WHERE {where}""",
        params,
    )
    return [
        SummaryChat(
            r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], r[9]
        )
        for r in rows
    ]


async def set_summary_due(db: Database, due: Sequence[tuple[int, float]]) -> None:
    """(chat ref, when the weekly check should look at it next) for each chat given."""
    if due:
        await db.executemany(
            "UPDATE chats SET summary_due_at = ? WHERE id = ?", [(at, ref) for ref, at in due]
        )


async def follow_weekly_schedule(db: Database, schedule: str) -> bool:
    """``schedule`` names the configured time zone and default slot. When it is not the one the
    stored summary_due_at were worked out with, every chat's is worked out again at the next
    check (True)."""
    stored = await db.scalar("SELECT value FROM schedule_state WHERE name = 'weekly'")
    if stored == schedule:
        return False
    async with db.transaction() as conn:
        await conn.execute("UPDATE chats SET summary_due_at = 0")
        await conn.execute(
            "INSERT INTO schedule_state (name, value) VALUES ('weekly', ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (schedule,),
        )
    return True


async def chat_ref_of(db: Database, messenger: str, chat_id: str) -> int | None:
    return await db.scalar(
        "SELECT id FROM chats WHERE messenger = ? AND chat_id = ?", (messenger, str(chat_id))
    )
