"""The outbox: every message is a row before it is sent; all of its SQL lives here.

States: pending → sending (claimed by the one delivery worker) → sent | dead | cancelled.
A row left 'sending' by a crash goes back to 'pending' at the next start (``recover``): a
message Telegram accepted whose row was not yet marked may then be sent twice — at most one
duplicate per message in flight at the crash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.db import Database


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to queue."""

    chat_ref: int
    kind: str
    dedupe_key: str
    payload: dict[str, Any]


@dataclass(slots=True)
class Claimed:
    """A claimed row, with what the sender needs to know about its chat."""

    id: int
    chat_ref: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    messenger: str
    chat_id: str
    chat_kind: str
    first_failed_at: float | None  # when a send first failed: retries stop a span after it


def items_key(chat_ref: int, item_ids: Iterable[str], part: int) -> str:
    digest = hashlib.sha1("\n".join(sorted(item_ids)).encode()).hexdigest()
    return f"items:{chat_ref}:{digest}:{part}"


def summary_key(chat_ref: int, iso_week: str, part: int) -> str:
    return f"summary:{chat_ref}:{iso_week}:{part}"


def broadcast_key(broadcast_id: int, chat_ref: int, part: int) -> str:
    return f"broadcast:{broadcast_id}:{chat_ref}:{part}"


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# ----------------------------------------------------------------------------- queueing


async def enqueue_in(
    conn: aiosqlite.Connection, messages: Iterable[NewMessage], *, now: float
) -> int:
    """Inside the caller's transaction: queue messages (an existing dedupe key is left alone);
    return how many were new."""
    before = conn.total_changes
    cache: dict[int, str] = {}  # many rows share one payload object: encode it once

    def encoded(data: dict) -> str:
        key = id(data)
        if key not in cache:
            cache[key] = _dumps(data)
        return cache[key]

    await conn.executemany(
        """INSERT OR IGNORE INTO outbox (chat_ref, kind, dedupe_key, payload, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [(m.chat_ref, m.kind, m.dedupe_key, encoded(m.payload), now, now) for m in messages],
    )
    return conn.total_changes - before


async def mark_summary_in(
    conn: aiosqlite.Connection, chat_refs: Sequence[int], *, week_key: str, now: float, sent: bool
) -> None:
    """Inside the caller's transaction: these chats' summary for ``week_key`` is dealt with
    (``sent``: a summary was queued, so the next one covers items from now on)."""
    if sent:
        await conn.executemany(
            "UPDATE chats SET last_summary_key = ?, last_summary_at = ? WHERE id = ?",
            [(week_key, now, c) for c in chat_refs],
        )
    else:
        await conn.executemany(
            "UPDATE chats SET last_summary_key = ? WHERE id = ?", [(week_key, c) for c in chat_refs]
        )


# ----------------------------------------------------------------------------- the worker's side


async def recover(db: Database) -> int:
    """At start: rows a crashed worker left 'sending' go back to 'pending'; return how many."""
    return await db.execute(
        "UPDATE outbox SET state = 'pending', claimed_at = NULL WHERE state = 'sending'"
    )


async def due_candidates(
    db: Database,
    *,
    now: float,
    messengers: Collection[str],
    exclude_chats: Collection[int],
    limit: int,
) -> list[tuple[int, int, bool]]:
    """(id, chat_ref, chat active) of due pending rows, oldest first, skipping some chats."""
    marks = ",".join("?" * len(messengers))
    rows = await db.fetchall(
        f"""SELECT o.id, o.chat_ref, c.active FROM outbox o JOIN chats c ON c.id = o.chat_ref
            WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND c.messenger IN ({marks})
              AND o.chat_ref NOT IN (SELECT value FROM json_each(?))
            ORDER BY o.next_attempt_at, o.id LIMIT ?""",
        (now, *messengers, json.dumps(list(exclude_chats)), limit),
    )
    return [(r[0], r[1], bool(r[2])) for r in rows]


async def claim(db: Database, ids: Sequence[int], *, now: float) -> list[Claimed]:
    """Mark pending rows 'sending' and return them (in the order given) with their chat."""
    # In these statements "+state" keeps SQLite from walking the (state, …) index over every
    # pending row: the ids are few, the pending rows of a fan-out hundreds of thousands.
    if not ids:
        return []
    async with db.transaction() as conn:
        cursor = await conn.execute(
            """UPDATE outbox SET state = 'sending', claimed_at = ?
               WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'pending' RETURNING id""",
            (now, json.dumps(list(ids))),
        )
        claimed = [r[0] for r in await cursor.fetchall()]
        cursor = await conn.execute(
            """SELECT o.id, o.chat_ref, o.kind, o.payload, o.attempts, c.messenger, c.chat_id, c.kind,
                      o.first_failed_at
               FROM outbox o JOIN chats c ON c.id = o.chat_ref
               WHERE o.id IN (SELECT value FROM json_each(?))""",
            (json.dumps(claimed),),
        )
        rows = await cursor.fetchall()
    by_id = {
        r[0]: Claimed(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7], r[8]) for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]


async def mark_sent(db: Database, sent: Sequence[tuple[int, str]], *, now: float) -> None:
    """Rows Telegram accepted: (id, message id)."""
    if not sent:
        return
    async with db.transaction() as conn:
        await conn.executemany(
            """UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, claimed_at = NULL,
                   attempts = attempts + 1, last_error = NULL
               WHERE id = ? AND state = 'sending'""",
            [(message_id, now, row_id) for row_id, message_id in sent],
        )


async def retry_later(
    db: Database, row_id: int, *, attempts: int, next_attempt_at: float, error: str, now: float
) -> None:
    """A failed send goes back to 'pending' until ``next_attempt_at``; its first failure's time
    is kept."""
    await db.execute(
        """UPDATE outbox SET state = 'pending', attempts = ?, next_attempt_at = ?, last_error = ?,
               claimed_at = NULL, first_failed_at = COALESCE(first_failed_at, ?)
           WHERE id = ? AND state = 'sending'""",
        (attempts, next_attempt_at, error[:500], now, row_id),
    )


async def mark_dead(db: Database, row_id: int, *, attempts: int, error: str) -> None:
    await db.execute(
        """UPDATE outbox SET state = 'dead', attempts = ?, last_error = ?, claimed_at = NULL
           WHERE id = ? AND state = 'sending'""",
        (attempts, error[:500], row_id),
    )


async def release(db: Database, ids: Sequence[int], *, attempted: Sequence[int] = ()) -> int:
    """Claimed rows not sent after all (stopping, chat moved): back to 'pending'; those in
    ``attempted`` count one attempt."""
    if not ids:
        return 0
    async with db.transaction() as conn:
        if attempted:
            await conn.execute(
                """UPDATE outbox SET attempts = attempts + 1
                   WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'sending'""",
                (json.dumps(list(attempted)),),
            )
        cursor = await conn.execute(
            """UPDATE outbox SET state = 'pending', claimed_at = NULL
               WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'sending'""",
            (json.dumps(list(ids)),),
        )
        return cursor.rowcount


async def cancel_chat(db: Database, chat_ref: int, reason: str) -> int:
    """Every unsent row of a chat (pending or claimed) is cancelled."""
    return await db.execute(
        """UPDATE outbox SET state = 'cancelled', last_error = ?, claimed_at = NULL
           WHERE chat_ref = ? AND state IN ('pending', 'sending')""",
        (reason[:500], chat_ref),
    )


async def cancel(db: Database, ids: Sequence[int], reason: str) -> int:
    if not ids:
        return 0
    return await db.execute(
        """UPDATE outbox SET state = 'cancelled', last_error = ?, claimed_at = NULL
           WHERE id IN (SELECT value FROM json_each(?)) AND +state IN ('pending', 'sending')""",
        (reason[:500], json.dumps(list(ids))),
    )


async def move_chat(db: Database, old_ref: int, new_ref: int) -> int:
    """A chat merged into another (group → supergroup): its unsent rows follow, as 'pending'."""
    return await db.execute(
        """UPDATE outbox SET chat_ref = ?, state = 'pending', claimed_at = NULL
           WHERE chat_ref = ? AND state IN ('pending', 'sending')""",
        (new_ref, old_ref),
    )


# ----------------------------------------------------------------------------- looking


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    chat_ref: int
    kind: str
    dedupe_key: str
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    message_id: str | None


async def rows(db: Database, *, chat_ref: int | None = None, state: str | None = None) -> list[OutboxRow]:
    """Outbox rows (all, or of a chat / a state), oldest first."""
    where, params = [], []
    if chat_ref is not None:
        where.append("chat_ref = ?")
        params.append(chat_ref)
    if state is not None:
        where.append("state = ?")
        params.append(state)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    found = await db.fetchall(
        f"""SELECT id, chat_ref, kind, dedupe_key, payload, state, attempts, next_attempt_at,
                   last_error, message_id FROM outbox {clause} ORDER BY id""",
        params,
    )
    return [
        OutboxRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], r[8], r[9])
        for r in found
    ]


async def counts(db: Database) -> dict[str, int]:
    """Rows per state (/thongke, `diemtin status`)."""
    found = await db.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
    return {r[0]: r[1] for r in found}
