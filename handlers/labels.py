"""Display names for what a chat subscribed to and how it receives news."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.subscriptions import KEYWORD, PROVINCE, TOPIC, SubscriptionRow
from bot.core.text import Text
from bot.delivery.documents import topic_label
from bot.delivery.weekly import chat_slot as weekly_slot_of
from bot.vietnamese.weekday import WeeklySlot
from handlers.context import Context
from storage.chats import PAUSED_FOREVER, ChatRow

MAX_NAME_CHARS = 60  # one name in a list: a pasted paragraph is not repeated whole


def province_display(ctx: Context, slug: str) -> str:
    try:
        return ctx.services.gazetteer.display(slug, ctx.lang)
    except KeyError:  # a unit dropped from the data since it was subscribed
        return slug


def topic_display(ctx: Context, slug: str) -> str:
    return topic_label(slug, ctx.lang, ctx.services.topics)


def subscription_display(ctx: Context, sub: SubscriptionRow) -> str:
    if sub.kind == PROVINCE:
        return province_display(ctx, sub.value)
    if sub.kind == TOPIC:
        return topic_display(ctx, sub.value)
    return short(sub.value) if sub.kind == KEYWORD else sub.value


def short(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """One line, cut with "…" past ``limit`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def name_list(ctx: Context, names: Iterable[str]) -> Text:
    """Comma-joined names, or the catalogue's "none" when empty."""
    names = list(names)
    return Text.of(", ".join(names)) if names else ctx.t("common.none")


def chat_slot(ctx: Context, chat: ChatRow | None = None) -> WeeklySlot:
    """The chat's weekly summary slot, the configured default filling what it has not set."""
    return weekly_slot_of(chat or ctx.chat, ctx.services.config.weekly_default)


def slot_label(ctx: Context, slot: WeeklySlot) -> str:
    return slot.label(ctx.lang)


def mode_label(ctx: Context, mode: str) -> Text:
    return ctx.t("mode.label_weekly" if mode == "weekly" else "mode.label_instant")


def pause_state(ctx: Context, chat: ChatRow | None = None) -> Text:
    chat = chat or ctx.chat
    if not chat.is_paused(ctx.now):
        return ctx.t("list.receiving")
    if chat.paused_until is not None and chat.paused_until >= PAUSED_FOREVER:
        return ctx.t("list.paused_forever")
    return ctx.t("list.paused_until", date=ctx.format_time(chat.paused_until))
