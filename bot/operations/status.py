"""`diemtin status`: what an operator checks first, from the database alone (the bot may be
running or not): feed health, the queue, dead messages and why, chats, the next weekly run."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.delivery.weekly import chat_slot, latest_slot
from bot.plural import counted
from storage import feeds as feed_store
from storage import stats as stats_store
from storage import status as status_store
from storage.db import Database
from storage.subscribers import summary_chats

STATES = ("pending", "sending", "sent", "dead", "cancelled")
MAX_DEAD_REASONS = 10


async def status_lines(db: Database, config: Config, now: float) -> list[str]:
    tz = config.timezone

    def when(at: float | None) -> str:
        if at is None:
            return "never"
        return f"{datetime.fromtimestamp(at, tz):%Y-%m-%d %H:%M} ({_ago(now - at)})"

    facts = await status_store.file_facts(db)
    lines = [f"storage {facts.path}: schema {facts.schema_version}, {facts.bytes / 1e6:.1f} MB, "
             f"{counted(facts.free_pages, 'free page')}, vacuum {facts.vacuum}"]
    feeds = await feed_store.list_feeds(db)
    lines.append(f"\nfeeds ({len(feeds)})")
    for feed in feeds:
        if not feed.enabled:
            health = "disabled"
        elif feed.consecutive_failures:
            health = f"FAILING, {counted(feed.consecutive_failures, 'failure')} in a row"
        else:
            health = "ok"
        lines.append(f"  #{feed.id} {feed.url}: {health}; {counted(feed.items_total, 'item')}")
        lines.append(f"      last success {when(feed.last_success_at)}; next poll "
                     f"{_next(feed.next_poll_at, now, tz) if feed.enabled else '-'}")
        if feed.last_error:
            lines.append(f"      last error {when(feed.last_error_at)}: {feed.last_error[:200]}")
    depth = await status_store.outbox_depth(db)
    totals: Counter = Counter()
    for (_messenger, state), n in depth.items():
        totals[state] += n
    lines.append("\nqueue: " + ", ".join(f"{state} {totals[state]}" for state in STATES))
    for messenger in sorted({m for m, _s in depth}):
        lines.append(f"  {messenger}: " + ", ".join(f"{s} {depth.get((messenger, s), 0)}" for s in STATES))
    reasons = await stats_store.dead_reasons(db, limit=MAX_DEAD_REASONS)
    lines.append(f"\ndead messages ({totals['dead']})" + ("" if reasons else ": none"))
    lines += [f"  {n} × {reason or '(no reason recorded)'}" for reason, n in reasons]
    counts = await stats_store.chat_counts(db)
    lines.append("\nchats: " + ("; ".join(f"{c.messenger} {c.active} active of {c.total}" for c in counts)
                                or "none yet"))
    lines.append(await _next_weekly(db, config, now))
    return lines


async def _next_weekly(db: Database, config: Config, now: float) -> str:
    """When the next weekly summaries go out, and to how many chats."""
    tz = config.timezone
    upcoming: Counter = Counter()
    for chat in await summary_chats(db):
        if not chat.is_paused(now):
            slot = latest_slot(chat_slot(chat, config.weekly_default), now, tz) + timedelta(days=7)
            upcoming[slot] += 1
    if not upcoming:
        return f"next weekly run: {config.weekly_default.label('en')} {tz.key} (no active chat)"
    at = min(upcoming)
    return f"next weekly run: {at:%a %Y-%m-%d %H:%M} {tz.key} ({counted(upcoming[at], 'chat')})"


def _span(seconds: float) -> str:
    """"3 days", "5 h", "12 min", "under a minute"."""
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return counted(n, unit) if unit == "day" else f"{n} {unit}"
    return "under a minute"


def _ago(seconds: float) -> str:
    return f"{_span(max(0.0, seconds))} ago"


def _next(at: float, now: float, tz: ZoneInfo) -> str:
    if at <= now:
        return "due now"
    return f"{datetime.fromtimestamp(at, tz):%Y-%m-%d %H:%M} (in {_span(at - now)})"
