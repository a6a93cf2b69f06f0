"""Operator commands: /thongke (stats), /guitin (broadcast), /nguon (feeds)."""

from __future__ import annotations

import logging

from bot.core.text import Text, safe_url
from bot.delivery.broadcast import queue_broadcast
from handlers.context import Context, button, lines
from handlers.labels import province_display, short, topic_display
from handlers.types import Reply
from storage import broadcasts, outbox, stats
from storage import feeds as feed_store
from storage import items as item_store

log = logging.getLogger(__name__)

WEEK_SECONDS = 7 * 86400
TOP_N = 10
MAX_BROADCAST_CHARS = 4000  # an announcement worth reading on a phone; longer is split anyway
OUTBOX_STATES = ("pending", "sending", "sent", "dead", "cancelled")
_ADD = frozenset({"them", "add"})
_REMOVE = frozenset({"xoa", "remove", "del", "delete"})
_POLL = frozenset({"quet", "poll", "scan"})


def _pairs(ctx: Context, pairs: list[tuple[str, int]], label) -> Text:
    text = ", ".join(f"{label(ctx, value)} {n}" for value, n in pairs)
    return Text.of(text) if text else ctx.t("common.none")


# ----------------------------------------------------------------------------- /thongke


async def thongke(ctx: Context) -> list[Reply]:
    """/thongke: chats per messenger, subscriptions, items, outbox and feed health at a glance."""
    db = ctx.db
    out: list[Text] = [ctx.t("stats.title")]
    counts = ", ".join(
        str(ctx.t("stats.chat_count", messenger=c.messenger, active=c.active, total=c.total))
        for c in await stats.chat_counts(db)
    )
    out.append(ctx.t("stats.chats", counts=counts or ctx.t("common.none")))
    provinces = await stats.subscription_counts(db, "province", limit=TOP_N)
    out.append(ctx.t("stats.provinces", counts=_pairs(ctx, provinces, province_display)))
    topics = await stats.subscription_counts(db, "topic", limit=TOP_N)
    out.append(ctx.t("stats.topics", counts=_pairs(ctx, topics, topic_display)))
    keywords = await stats.subscription_counts(db, "keyword", limit=TOP_N)
    out.append(ctx.t("stats.keywords", counts=_pairs(ctx, keywords, lambda _c, v: short(v))))
    week = await item_store.count_items(db, since=ctx.now - WEEK_SECONDS)
    out.append(ctx.t("stats.items_week", n=week, total=await item_store.count_items(db)))
    queue = await outbox.counts(db)
    states = ", ".join(f"{ctx.plain('stats.state_' + s)} {queue.get(s, 0)}" for s in OUTBOX_STATES)
    out.append(ctx.t("stats.outbox", counts=states))
    for reason, n in await stats.dead_reasons(db):
        out.append(ctx.t("stats.dead_reason", reason=short(reason, 80) or "?", n=n))
    feeds = await feed_store.list_feeds(db)
    enabled = [f for f in feeds if f.enabled]
    failing = [f for f in enabled if not f.healthy]
    out.append(ctx.t("stats.feeds", ok=len(enabled) - len(failing), failing=len(failing)))
    out += [_feed_line(ctx, feed) for feed in failing[:TOP_N]]
    return [ctx.reply(lines(out))]


# ----------------------------------------------------------------------------- /guitin


async def guitin(ctx: Context) -> list[Reply]:
    """/guitin text: preview an announcement to every active chat, with Send/Cancel buttons."""
    if not ctx.args:
        return [ctx.reply(ctx.t("broadcast.usage"))]
    if len(ctx.args) > MAX_BROADCAST_CHARS:
        return [ctx.reply(ctx.t("broadcast.too_long", limit=MAX_BROADCAST_CHARS))]
    broadcast_id = await broadcasts.create_broadcast(ctx.db, ctx.args, ctx.incoming.user_id or "", ctx.now)
    active = sum(c.active for c in await stats.chat_counts(ctx.db))
    rows = [
        (
            button(ctx.t("broadcast.send_button", n=active), f"/guitin_gui {broadcast_id}"),
            button(ctx.t("common.cancel"), f"/guitin_huy {broadcast_id}"),
        )
    ]
    return [ctx.reply(ctx.t("broadcast.preview", n=active) + "\n\n" + ctx.args, rows)]


def _broadcast_id(ctx: Context) -> int | None:
    arg = ctx.args.strip()
    return int(arg) if arg.isascii() and arg.isdigit() and len(arg) < 12 else None


async def guitin_gui(ctx: Context) -> list[Reply]:
    """Confirm a broadcast: one outbox row per active chat (and message part)."""
    broadcast_id = _broadcast_id(ctx)
    draft = await broadcasts.get_broadcast(ctx.db, broadcast_id) if broadcast_id is not None else None
    if draft is None:
        return [ctx.reply(ctx.t("broadcast.unknown"))]
    queued = await queue_broadcast(ctx.db, draft, ctx.services.profiles, ctx.now)
    if queued is None:
        return [ctx.reply(ctx.t("broadcast.not_draft", state=draft.state), edit=ctx.is_button)]
    log.info("broadcast %s queued: %s messages, by %s", draft.id, queued, ctx.incoming.user_id)
    if ctx.services.wake_delivery is not None:  # else the running bot finds them at its next poll
        ctx.services.wake_delivery()
    return [ctx.reply(ctx.t("broadcast.queued", n=queued), edit=ctx.is_button)]


async def guitin_huy(ctx: Context) -> list[Reply]:
    broadcast_id = _broadcast_id(ctx)
    if broadcast_id is None or not await broadcasts.cancel_broadcast(ctx.db, broadcast_id):
        return [ctx.reply(ctx.t("broadcast.unknown"), edit=ctx.is_button)]
    return [ctx.reply(ctx.t("broadcast.cancelled"), edit=ctx.is_button)]


# ----------------------------------------------------------------------------- /nguon


def _feed_line(ctx: Context, feed: feed_store.FeedRow) -> Text:
    name = short(feed.title or feed.url)
    if not feed.enabled:
        return ctx.t("feeds.line_disabled", id=feed.id, name=name)
    last = ctx.format_time(feed.last_success_at) if feed.last_success_at else ctx.t("feeds.never")
    if feed.healthy:
        return ctx.t("feeds.line_ok", id=feed.id, name=name, items=feed.items_total, last=last)
    return ctx.t(
        "feeds.line_failing",
        id=feed.id,
        name=name,
        failures=feed.consecutive_failures,
        error=short(feed.last_error or "?", 120),
        last=last,
    )


async def nguon(ctx: Context) -> list[Reply]:
    """/nguon: list feeds; "/nguon them <url> [tỉnh]", "/nguon xoa <url|id>", "/nguon quet <id>"."""
    sub, _, rest = ctx.args.partition(" ")
    sub, rest = sub.lower(), rest.strip()
    if sub in _ADD:
        return [await _add_feed(ctx, rest)]
    if sub in _REMOVE:
        if not rest:
            return [ctx.reply(ctx.t("feeds.usage"))]
        removed = await feed_store.remove_feed(ctx.db, rest)
        return [ctx.reply(ctx.t("feeds.removed" if removed else "feeds.unknown", feed=short(rest, 80)))]
    if sub in _POLL:
        return [await _poll_feed(ctx, rest)]
    if sub:
        return [ctx.reply(ctx.t("feeds.usage"))]
    feeds = await feed_store.list_feeds(ctx.db)
    if not feeds:
        return [ctx.reply(ctx.t("feeds.empty") + "\n" + ctx.t("feeds.usage"))]
    return [ctx.reply(lines([ctx.t("feeds.title", n=len(feeds)), *(_feed_line(ctx, f) for f in feeds)]))]


async def _add_feed(ctx: Context, rest: str) -> Reply:
    url, _, province_text = rest.partition(" ")
    if not safe_url(url) or len(url) > 500:
        return ctx.reply(ctx.t("feeds.bad_url") + "\n" + ctx.t("feeds.usage"))
    province = None
    if province_text.strip():
        resolution = ctx.services.gazetteer.resolve(province_text)
        if resolution.unit is None:
            return ctx.reply(ctx.t("province.not_found", query=short(province_text, 80)))
        province = resolution.unit.slug
    feed_id = await feed_store.upsert_feed(ctx.db, url, default_province=province, origin="admin")
    place = province_display(ctx, province) if province else ctx.t("common.none")
    return ctx.reply(ctx.t("feeds.added", id=feed_id, url=short(url, 200), province=place))


async def _poll_feed(ctx: Context, rest: str) -> Reply:
    feed = await feed_store.get_feed(ctx.db, rest) if rest else None
    if feed is None:
        return ctx.reply(ctx.t("feeds.unknown", feed=short(rest, 80)))
    await feed_store.poll_now(ctx.db, feed.id)
    poll = ctx.services.poll_feed
    if poll is None:
        return ctx.reply(ctx.t("feeds.poll_scheduled", id=feed.id))
    try:
        report = await poll(feed.id)
    except Exception as exc:
        log.warning("admin poll of feed %s failed", feed.id, exc_info=True)
        return ctx.reply(ctx.t("feeds.poll_failed", id=feed.id, error=type(exc).__name__))
    if report is None:
        return ctx.reply(ctx.t("feeds.polled", id=feed.id))
    return ctx.reply(
        ctx.t(
            "feeds.polled_report",
            id=feed.id,
            status=short(str(report.status), 80),
            found=report.items_found,
            added=report.items_added,
            error=short(report.error or "", 120),
        )
    )
