"""The weekly summary: which chats are due, what their summary says, and the minute job.

Each chat has its own slot (chats.weekly_day / weekly_time, NULL = the configured default) in
the configured time zone. ``queue_due_summaries`` queues a summary for every chat whose most
recent slot has passed and whose last summary was for an earlier slot, marking it in the same
transaction; run every minute (and at start) it also catches up a summary missed while the
bot was down — at most one per chat per week, thanks to the per-week dedupe key.

Only chats whose next slot has come are read (chats.summary_due_at, indexed): each chat looked
at gets its next slot written back once its summary is dealt with; a changed slot (a trigger)
or a changed configured default (``follow_weekly_schedule``) has it worked out again.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core.models import TaggedItem
from bot.delivery.documents import summary_document
from bot.delivery.instant import profile_for
from bot.delivery.matching import RecipientIndex, item_keys
from bot.delivery.packing import render_document
from bot.delivery.profile import Profile
from bot.plural import counted
from bot.vietnamese.weekday import WeeklySlot
from storage import items as item_store
from storage import outbox
from storage.chats import ChatRow
from storage.outbox import NewMessage
from storage.subscribers import (
    SummaryChat,
    active_subscriptions,
    due_summary_chats,
    follow_weekly_schedule,
    set_summary_due,
    summary_chats,
)

if TYPE_CHECKING:  # pragma: no cover
    from bot.config import Config
    from bot.vietnamese.gazetteer import Gazetteer
    from bot.vietnamese.topics import Topics
    from storage.db import Database

log = logging.getLogger(__name__)

WINDOW_SECONDS = 7 * 24 * 3600  # a summary reaches back at most a week
MAX_SUMMARY_ITEMS = 2000
_CHUNK = 1000  # chats per transaction


def iso_week_key(day: date) -> str:
    """'2022-W19'."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def chat_slot(chat: SummaryChat | ChatRow, default: WeeklySlot) -> WeeklySlot:
    """The chat's weekly summary slot, the configured default filling what it has not set."""
    day = chat.weekly_day if chat.weekly_day is not None else default.day
    hour, minute = default.hour, default.minute
    if chat.weekly_time:
        try:
            hour, minute = (int(x) for x in chat.weekly_time.split(":", 1))
        except ValueError:
            log.warning("chat %d: unreadable weekly_time %r", chat.id, chat.weekly_time)
    return WeeklySlot(day, hour, minute)


def latest_slot(slot: WeeklySlot, now: float, tz: ZoneInfo) -> datetime:
    """The most recent moment (≤ now) of this weekly slot, in ``tz``."""
    local = datetime.fromtimestamp(now, tz)
    monday = local.date() - timedelta(days=local.weekday())
    at = datetime.combine(monday + timedelta(days=slot.day), dtime(slot.hour, slot.minute), tzinfo=tz)
    if at > local:
        at = datetime.combine(at.date() - timedelta(days=7), dtime(slot.hour, slot.minute), tzinfo=tz)
    return at


def next_slot(slot: WeeklySlot, now: float, tz: ZoneInfo) -> datetime:
    """The first moment (> now) of this weekly slot, in ``tz``."""
    latest = latest_slot(slot, now, tz)
    return datetime.combine(latest.date() + timedelta(days=7), dtime(slot.hour, slot.minute), tzinfo=tz)


def schedule_name(config: Config) -> str:
    """The configured time zone and default slot, as the stored next-due times depend on them."""
    slot = config.weekly_default
    return f"{config.timezone.key} {slot.day} {slot.hour:02d}:{slot.minute:02d}"


async def queue_due_summaries(
    db: Database,
    *,
    now: float,
    config: Config,
    gazetteer: Gazetteer,
    topics: Topics,
    profiles: Mapping[str, Profile],
    force: bool = False,
    chat_ref: int | None = None,
) -> int:
    """Queue the weekly summary of every chat that is due (``force``: of every active chat, for
    this week); return how many messages were queued."""
    tz = config.timezone
    this_week = iso_week_key(datetime.fromtimestamp(now, tz).date())
    due: dict[str, list[SummaryChat]] = {}  # week key → chats
    skipped: dict[str, list[int]] = {}  # paused at their slot: no summary this week
    next_due: list[tuple[int, float]] = []  # chat → when to look at it again
    if force or chat_ref is not None:
        candidates = await summary_chats(db, chat_ref=chat_ref)
    else:
        await follow_weekly_schedule(db, schedule_name(config))
        candidates = await due_summary_chats(db, now=now)
    for chat in candidates:
        if force:
            key = this_week
        else:
            slot = chat_slot(chat, config.weekly_default)
            slot_at = latest_slot(slot, now, tz)
            key = iso_week_key(slot_at.date())
            next_due.append((chat.id, next_slot(slot, now, tz).timestamp()))
            if chat.created_at > slot_at.timestamp():
                continue  # the chat did not exist yet at its slot: its first summary comes next week
        if chat.last_summary_key == key:
            continue
        if chat.is_paused(now):
            skipped.setdefault(key, []).append(chat.id)
        else:
            due.setdefault(key, []).append(chat)
    if skipped:
        async with db.transaction() as conn:
            for key, refs in skipped.items():
                await outbox.mark_summary_in(conn, refs, week_key=key, now=now, sent=False)
    if not due:
        await set_summary_due(db, next_due)
        return 0

    wanted = {c.id for chats in due.values() for c in chats}
    rows = [
        replace(r, created_at=0.0)
        for r in await active_subscriptions(db)
        if r.chat_ref in wanted
    ]
    index = RecipientIndex(rows)
    window_start = now - WINDOW_SECONDS
    recent = list(reversed(await item_store.recent_items(db, since=window_start, limit=MAX_SUMMARY_ITEMS)))
    matched: dict[int, list[TaggedItem]] = {}
    for item in recent:
        keys = item_keys(item) if index.has_keywords else None
        for chat in index.recipients(item, keys):
            matched.setdefault(chat, []).append(item)
    totals = await item_store.topic_counts(db, since=window_start)

    queued = 0
    rendered: dict[tuple, list[dict]] = {}
    for key, chats in due.items():
        for start in range(0, len(chats), _CHUNK):
            chunk = chats[start : start + _CHUNK]
            messages: list[NewMessage] = []
            done: list[int] = []
            nothing: list[int] = []
            for chat in chunk:
                if chat.id not in index:  # no subscriptions: nothing to sum up
                    nothing.append(chat.id)
                    continue
                since = max(chat.last_summary_at or 0.0, window_start)
                chat_items = [
                    i for i in matched.get(chat.id, ())
                    if (i.stored_at or 0.0) >= since
                    and (chat.last_summary_at is None or (i.stored_at or 0.0) > chat.last_summary_at)
                ]
                if not chat_items and not chat.weekly_empty:
                    nothing.append(chat.id)
                    continue
                window = (
                    datetime.fromtimestamp(since, config.timezone).date(),
                    datetime.fromtimestamp(now, config.timezone).date(),
                )
                cache_key = (chat.messenger, chat.lang, tuple(i.item_id for i in chat_items), window)
                payloads = rendered.get(cache_key)
                if payloads is None:
                    document = summary_document(
                        chat_items, lang=chat.lang, gazetteer=gazetteer, topics=topics,
                        totals=totals, window=window,
                    )
                    payloads = render_document(document, profile_for(profiles, chat.messenger))
                    rendered[cache_key] = payloads
                for part, data in enumerate(payloads):
                    messages.append(NewMessage(chat.id, "summary", outbox.summary_key(chat.id, key, part), data))
                done.append(chat.id)
            async with db.transaction() as conn:
                queued += await outbox.enqueue_in(conn, messages, now=now) if messages else 0
                await outbox.mark_summary_in(conn, done, week_key=key, now=now, sent=True)
                await outbox.mark_summary_in(conn, nothing, week_key=key, now=now, sent=False)
    await set_summary_due(db, next_due)  # only now: a crash before it has them looked at again
    log.info("weekly: %s queued for %s", counted(queued, "summary message"), counted(len(wanted), "chat"))
    return queued


def schedule_weekly(
    scheduler: Any,
    *,
    db: Database,
    config: Config,
    gazetteer: Gazetteer,
    topics: Topics,
    profiles: Mapping[str, Profile],
    clock: Callable[[], float] = _time.time,
    on_queued: Callable[[int], Any] | None = None,
) -> Any:
    """Check every minute (and once right away, to catch up) for due summaries.

    ``scheduler``: an APScheduler 3 AsyncIOScheduler. Day-of-week numbering never enters the
    scheduler — each chat's slot is computed here. Late runs (a busy loop, a suspended machine)
    are coalesced and still run: the grace time is an hour, not APScheduler's default second.
    Returns the job.
    """

    async def tick() -> int:
        try:
            queued = await queue_due_summaries(
                db, now=clock(), config=config, gazetteer=gazetteer, topics=topics, profiles=profiles
            )
        except Exception:  # noqa: BLE001 - next minute will try again
            log.exception("weekly: queueing summaries failed")
            return 0
        if queued and on_queued is not None:
            result = on_queued(queued)
            if isinstance(result, Awaitable):
                await result
        return queued

    job_kwargs = {"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1}
    # A one-off run now (catch-up after downtime), then at second 0 of every minute.
    scheduler.add_job(tick, "date", id="weekly-summaries-start", replace_existing=True, misfire_grace_time=3600)
    return scheduler.add_job(
        tick, "cron", second=0, id="weekly-summaries", replace_existing=True, **job_kwargs
    )
