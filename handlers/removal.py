"""/xoa: unsubscribe by name or on a keyboard; "/xoa tatca" after a confirmation."""

from __future__ import annotations

import hashlib

from bot.core.subscriptions import KEYWORD, PROVINCE, TOPIC, SubscriptionRow
from bot.core.text import Text
from bot.vietnamese.textnorm import fold
from handlers.context import Context, button, lines, rows_of
from handlers.labels import province_display, short, subscription_display, topic_display
from handlers.lookup import resolve_province, resolve_topic, too_many
from handlers.parsing import folded_words, split_list
from handlers.questions import CANCEL
from handlers.types import Reply
from storage import subscriptions

CLEAR_ALL_WORDS = frozenset({"tatca", "tat ca", "all", "het", "xoa het", "everything"})
CONFIRM_CLEAR = "/xoa_xacnhan"  # the command that answers "yes" to "remove everything?"
_CODES = {PROVINCE: "p", TOPIC: "t", KEYWORD: "k"}
_KINDS = {code: kind for kind, code in _CODES.items()}


def keyword_token(value: str) -> str:
    """A short, stable handle for a keyword in button data ("/xoa k:1a2b3c4d")."""
    return hashlib.sha1(value.encode("utf-8")).hexdigest()[:8]


def _find(ctx: Context, subs: list[SubscriptionRow], entry: str) -> tuple[SubscriptionRow | None, str | None]:
    """The subscription an entry names, or (None, display name of a known-but-unsubscribed
    province/topic), or (None, None)."""
    prefix, sep, rest = entry.partition(":")
    if sep and prefix in _KINDS:
        kind = _KINDS[prefix]
        for sub in subs:
            handle = keyword_token(sub.value) if kind == KEYWORD else sub.value
            if sub.kind == kind and handle == rest:
                return sub, None
        return None, None
    keywords = [s for s in subs if s.kind == KEYWORD]
    for sub in keywords:
        if sub.value.lower() == entry.lower():
            return sub, None
    folded = [s for s in keywords if s.folded == fold(entry)]
    if len(folded) == 1:
        return folded[0], None
    known_name = None
    for kind, resolver, label in (
        (PROVINCE, resolve_province, province_display),
        (TOPIC, resolve_topic, topic_display),
    ):
        found = resolver(ctx, entry)
        if found.value is None:
            continue
        for sub in subs:
            if sub.kind == kind and sub.value == found.value:
                return sub, None
        known_name = known_name or label(ctx, found.value)
    return None, known_name


async def xoa(ctx: Context) -> list[Reply]:
    """/xoa names…: unsubscribe; "/xoa tatca" after a confirmation; no names: a keyboard."""
    subs = await subscriptions.list_subscriptions(ctx.db, ctx.chat.id)
    if not ctx.args:
        return [_remove_keyboard(ctx, subs)]
    if folded_words(ctx.args) in CLEAR_ALL_WORDS:
        if not subs:
            return [ctx.reply(ctx.t("remove.nothing"))]
        ctx.services.questions.ask(ctx.chat_key, CONFIRM_CLEAR, ctx.incoming.user_id, ctx.now)
        rows = [(button(ctx.t("remove.confirm_yes"), CONFIRM_CLEAR), button(ctx.t("common.cancel"), CANCEL))]
        return [ctx.reply(ctx.t("remove.confirm_all", n=len(subs)), rows)]
    entries = split_list(ctx.args)
    if refusal := too_many(ctx, entries):
        return refusal
    removed: list[str] = []
    not_subscribed: list[str] = []
    unknown: list[str] = []
    for entry in entries:
        sub, known_name = _find(ctx, subs, entry)
        if sub is not None:
            if await subscriptions.remove_subscriptions(ctx.db, ctx.chat.id, sub.kind, [sub.value]):
                removed.append(subscription_display(ctx, sub))
            subs = [s for s in subs if s != sub]
        elif known_name is not None:
            not_subscribed.append(known_name)
        else:
            unknown.append(short(entry))
    out: list[Text] = []
    if removed:
        out.append(ctx.t("remove.removed", names=", ".join(removed)))
    if not_subscribed:
        out.append(ctx.t("remove.not_subscribed", names=", ".join(not_subscribed)))
    if unknown:
        out.append(ctx.t("remove.unknown", names=", ".join(unknown)))
    if ctx.is_button:
        notice = ctx.t("common.kb_removed", name=", ".join(removed)) if removed else None
        return [_remove_keyboard(ctx, subs, header=lines(out), notice=notice)]
    rows = [(button(ctx.t("remove.show_list"), "/xoa"),)] if unknown and subs else []
    return [ctx.reply(lines(out), rows)]


def _remove_keyboard(
    ctx: Context, subs: list[SubscriptionRow], header: Text | None = None, notice: Text | None = None
) -> Reply:
    if not subs:
        text = lines(x for x in (header, ctx.t("remove.nothing")) if x)
        return ctx.reply(text, edit=ctx.is_button, notice=notice)
    buttons = []
    for sub in subs:
        handle = keyword_token(sub.value) if sub.kind == KEYWORD else sub.value
        name = short(subscription_display(ctx, sub), 40)
        buttons.append(button("❌ " + name, f"/xoa {_CODES[sub.kind]}:{handle}"))
    rows = rows_of(buttons, 2)
    rows.append((button(ctx.t("remove.all_button"), "/xoa tatca"),))
    text = lines(x for x in (header, ctx.t("remove.pick")) if x)
    return ctx.reply(text, rows, edit=ctx.is_button, notice=notice)


async def xoa_xacnhan(ctx: Context) -> list[Reply]:
    """Confirm "/xoa tatca" (button, or "có"/"yes" typed as the next message)."""
    if ctx.services.questions.take(ctx.chat_key, CONFIRM_CLEAR, ctx.now) is None:
        return [ctx.reply(ctx.t("remove.confirm_expired"), edit=ctx.is_button)]
    count = await subscriptions.clear_subscriptions(ctx.db, ctx.chat.id)
    return [ctx.reply(ctx.t("remove.cleared", n=count), edit=ctx.is_button)]


async def huy(ctx: Context) -> list[Reply]:
    """Cancel the chat's open question."""
    if ctx.services.questions.drop(ctx.chat_key):
        return [ctx.reply(ctx.t("common.cancelled"), edit=ctx.is_button)]
    return [ctx.reply(ctx.t("common.nothing_to_cancel"), edit=ctx.is_button)]
