"""Display names for what a chat subscribed to and how it receives news (HTML-escaped)."""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterable

from bot.core.subscriptions import SubscriptionRow
from bot.vietnamese.weekday import WeeklySlot
from handlers.context import Context
from storage.chats import PAUSED_FOREVER, ChatRow


def province_display(ctx: Context, slug: str) -> str:
    """Plain display name (for button texts)."""
    try:
        return ctx.services.gazetteer.display(slug, ctx.lang)
    except KeyError:  # a unit dropped from the data since it was subscribed
        return slug


def topic_display(ctx: Context, slug: str) -> str:
    try:
        return ctx.services.topics.get(slug).label(ctx.lang)
    except KeyError:
        return slug


def subscription_display(ctx: Context, sub: SubscriptionRow) -> str:
    if sub.kind == "province":
        return province_display(ctx, sub.value)
    if sub.kind == "topic":
        return topic_display(ctx, sub.value)
    return sub.value


def province_name(ctx: Context, slug: str) -> str:
    """HTML-escaped display name (for message texts)."""
    return html.escape(province_display(ctx, slug))


def topic_name(ctx: Context, slug: str) -> str:
    return html.escape(topic_display(ctx, slug))


def subscription_name(ctx: Context, sub: SubscriptionRow) -> str:
    return html.escape(subscription_display(ctx, sub))


def name_list(ctx: Context, names: Iterable[str]) -> str:
    """Comma-joined names, or the catalogue's "none" when empty."""
    names = list(names)
    return ", ".join(names) if names else ctx.t("common.none")


def chat_slot(ctx: Context, chat: ChatRow | None = None) -> WeeklySlot:
    """The chat's weekly summary slot, the configured default filling what it has not set."""
    chat = chat or ctx.chat
    default = ctx.services.config.weekly_default
    day = chat.weekly_day if chat.weekly_day is not None else default.day
    hour, minute = default.hour, default.minute
    if chat.weekly_time:
        with contextlib.suppress(ValueError):  # a malformed stored time keeps the default
            hour, minute = (int(part) for part in chat.weekly_time.split(":"))
    return WeeklySlot(day, hour, minute)


def slot_label(ctx: Context, slot: WeeklySlot) -> str:
    return slot.label(ctx.lang)


def mode_label(ctx: Context, mode: str) -> str:
    return ctx.t("mode.label_weekly" if mode == "weekly" else "mode.label_instant")


def pause_state(ctx: Context, chat: ChatRow | None = None) -> str:
    chat = chat or ctx.chat
    if not chat.is_paused(ctx.now):
        return ctx.t("list.receiving")
    if chat.paused_until is not None and chat.paused_until >= PAUSED_FOREVER:
        return ctx.t("list.paused_forever")
    return ctx.t("list.paused_until", date=ctx.format_time(chat.paused_until))
