"""Operator commands: /thongke (stats), /guitin (broadcast), /nguon (feeds)."""

from __future__ import annotations

import html
import json
import logging

from handlers.context import Context, button, join_limited
from handlers.itemlist import safe_link
from handlers.labels import province_display
from handlers.types import Reply
from storage import chats
from storage import feeds as feed_store
from storage import items as item_store

log = logging.getLogger(__name__)

WEEK_SECONDS = 7 * 86400
TOP_N = 10
MAX_BROADCAST_CHARS = 4000  # after HTML escaping, to stay inside one message
_ADD = frozenset({"them", "add"})
_REMOVE = frozenset({"xoa", "remove", "del", "delete"})
_POLL = frozenset({"quet", "poll", "scan"})


def _short(text: str, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _pairs(ctx: Context, pairs: list[tuple[str, int]], label) -> str:
    return ", ".join(f"{html.escape(label(ctx, value))} {n}" for value, n in pairs) or ctx.t("common.none")


# ----------------------------------------------------------------------------- /thongke


async def thongke(ctx: Context) -> list[Reply]:
    """/thongke: chats, subscriptions, items, outbox and feed health at a glance."""
    db = ctx.db
    lines = [ctx.t("stats.title")]
    counts = await chats.chat_counts(db)
    chat_text = ", ".join(
        ctx.t("stats.chat_count", messenger=html.escape(c.messenger), active=c.active, total=c.total)
        for c in counts
    )
    lines.append(ctx.t("stats.chats", counts=chat_text or ctx.t("common.none")))
    provinces = await chats.subscription_counts(db, "province", limit=TOP_N)
    lines.append(ctx.t("stats.provinces", counts=_pairs(ctx, provinces, province_display)))
    topics = await chats.subscription_counts(db, "topic", limit=TOP_N)
    lines.append(ctx.t("stats.topics", counts=_pairs(ctx, topics, _topic_label)))
    keywords = await chats.subscription_counts(db, "keyword", limit=TOP_N)
    lines.append(ctx.t("stats.keywords", counts=_pairs(ctx, keywords, lambda _c, v: v)))
    week = await item_store.count_items(db, since=ctx.now - WEEK_SECONDS)
    lines.append(ctx.t("stats.items_week", n=week, total=await item_store.count_items(db)))
    outbox = await chats.outbox_counts(db)
    states = ("pending", "sending", "sent", "dead", "cancelled")
    queue = ", ".join(f"{s} {outbox.get(s, 0)}" for s in states)
    lines.append(ctx.t("stats.outbox", counts=queue))
    for reason, n in await chats.dead_reasons(db):
        lines.append(ctx.t("stats.dead_reason", reason=_short(reason) or "?", n=n))
    feeds = await feed_store.list_feeds(db)
    enabled = [f for f in feeds if f.enabled]
    failing = [f for f in enabled if not f.healthy]
    lines.append(ctx.t("stats.feeds", ok=len(enabled) - len(failing), failing=len(failing)))
    for feed in failing[:TOP_N]:
        lines.append(_feed_line(ctx, feed))
    return [ctx.reply(join_limited(lines))]


def _topic_label(ctx: Context, slug: str) -> str:
    try:
        return ctx.services.topics.get(slug).label(ctx.lang)
    except KeyError:
        return slug


# ----------------------------------------------------------------------------- /guitin


def broadcast_payload(text: str) -> str:
    """The outbox payload of a broadcast: the admin's words, escaped, as HTML."""
    return json.dumps({"text": html.escape(text), "parse_mode": "HTML"}, ensure_ascii=False)


async def guitin(ctx: Context) -> list[Reply]:
    """/guitin text: preview an announcement to every active chat, with Send/Cancel buttons."""
    if not ctx.args:
        return [ctx.reply(ctx.t("broadcast.usage"))]
    if len(html.escape(ctx.args)) > MAX_BROADCAST_CHARS:
        return [ctx.reply(ctx.t("broadcast.too_long", limit=MAX_BROADCAST_CHARS))]
    broadcast_id = await chats.create_broadcast(ctx.db, ctx.args, ctx.incoming.user_id or "", ctx.now)
    active = sum(c.active for c in await chats.chat_counts(ctx.db))
    rows = [
        (
            button(ctx.t("broadcast.send_button", n=active), f"/guitin_gui {broadcast_id}"),
            button(ctx.t("common.cancel"), f"/guitin_huy {broadcast_id}"),
        )
    ]
    text = ctx.t("broadcast.preview", n=active) + "\n\n" + html.escape(ctx.args)
    return [ctx.reply(text, rows)]


def _broadcast_id(ctx: Context) -> int | None:
    arg = ctx.args.strip()
    return int(arg) if arg.isascii() and arg.isdigit() and len(arg) < 12 else None


async def guitin_gui(ctx: Context) -> list[Reply]:
    """Confirm a broadcast: one outbox row per active chat."""
    broadcast_id = _broadcast_id(ctx)
    draft = await chats.get_broadcast(ctx.db, broadcast_id) if broadcast_id is not None else None
    if draft is None:
        return [ctx.reply(ctx.t("broadcast.unknown"))]
    queued = await chats.queue_broadcast(ctx.db, draft.id, broadcast_payload(draft.text), ctx.now)
    if queued is None:
        return [ctx.reply(ctx.t("broadcast.not_draft", state=draft.state), edit=ctx.is_button)]
    log.info("broadcast %s queued for %s chats by %s", draft.id, queued, ctx.incoming.user_id)
    wake = ctx.services.extra.get("wake_delivery")
    if wake is not None:  # the running bot's worker; otherwise it finds the rows at its next poll
        wake()
    return [ctx.reply(ctx.t("broadcast.queued", n=queued), edit=ctx.is_button)]


async def guitin_huy(ctx: Context) -> list[Reply]:
    broadcast_id = _broadcast_id(ctx)
    if broadcast_id is None or not await chats.cancel_broadcast(ctx.db, broadcast_id):
        return [ctx.reply(ctx.t("broadcast.unknown"), edit=ctx.is_button)]
    return [ctx.reply(ctx.t("broadcast.cancelled"), edit=ctx.is_button)]


# ----------------------------------------------------------------------------- /nguon


def _feed_line(ctx: Context, feed: feed_store.FeedRow) -> str:
    name = _short(feed.title or feed.url, 60)
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
        error=_short(feed.last_error or "?", 120),
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
        return [ctx.reply(ctx.t("feeds.removed" if removed else "feeds.unknown", feed=_short(rest)))]
    if sub in _POLL:
        return [await _poll_feed(ctx, rest)]
    if sub:
        return [ctx.reply(ctx.t("feeds.usage"))]
    feeds = await feed_store.list_feeds(ctx.db)
    if not feeds:
        return [ctx.reply(ctx.t("feeds.empty") + "\n" + ctx.t("feeds.usage"))]
    lines = [ctx.t("feeds.title", n=len(feeds))] + [_feed_line(ctx, f) for f in feeds]
    return [ctx.reply(join_limited(lines))]


async def _add_feed(ctx: Context, rest: str) -> Reply:
    url, _, province_text = rest.partition(" ")
    if not safe_link(url) or len(url) > 500:
        return ctx.reply(ctx.t("feeds.bad_url") + "\n" + ctx.t("feeds.usage"))
    province = None
    if province_text.strip():
        resolution = ctx.services.gazetteer.resolve(province_text)
        if resolution.unit is None:
            return ctx.reply(ctx.t("province.not_found", query=_short(province_text)))
        province = resolution.unit.slug
    feed_id = await feed_store.upsert_feed(ctx.db, url, default_province=province, origin="admin")
    place = html.escape(province_display(ctx, province)) if province else ctx.t("common.none")
    return ctx.reply(ctx.t("feeds.added", id=feed_id, url=_short(url, 200), province=place))


async def _poll_feed(ctx: Context, rest: str) -> Reply:
    feed = await feed_store.get_feed(ctx.db, rest) if rest else None
    if feed is None:
        return ctx.reply(ctx.t("feeds.unknown", feed=_short(rest)))
    await feed_store.poll_now(ctx.db, feed.id)
    poll = ctx.services.extra.get("poll_feed")
    if poll is None:
        return ctx.reply(ctx.t("feeds.poll_scheduled", id=feed.id))
    try:
        result = await poll(feed.id)
    except Exception as exc:
        log.warning("admin poll of feed %s failed", feed.id, exc_info=True)
        return ctx.reply(ctx.t("feeds.poll_failed", id=feed.id, error=_short(type(exc).__name__)))
    if hasattr(result, "status") and hasattr(result, "items_added"):  # an IngestReport
        return ctx.reply(
            ctx.t(
                "feeds.polled_report",
                id=feed.id,
                status=_short(str(result.status)),
                found=getattr(result, "items_found", "?"),
                added=result.items_added,
                error=_short(getattr(result, "error", None) or "", 120),
            )
        )
    return ctx.reply(ctx.t("feeds.polled", id=feed.id))
