"""/start (greeting, menu, deep-link subscription) and /trogiup."""

from __future__ import annotations

from handlers.context import Context, button, lines
from handlers.labels import province_display, topic_display
from handlers.lookup import resolve_province, resolve_topic
from handlers.types import Button, Reply
from storage import subscriptions


def menu_buttons(ctx: Context) -> list[tuple[Button, ...]]:
    return [
        (button(ctx.t("menu.provinces"), "/tinh"), button(ctx.t("menu.topics"), "/chude")),
        (button(ctx.t("menu.keywords"), "/tukhoa"), button(ctx.t("menu.schedule"), "/lich")),
        (button(ctx.t("menu.list"), "/dangky"),),
    ]


def greeting(ctx: Context) -> Reply:
    key = "start.greeting_group" if ctx.incoming.is_group else "start.greeting"
    return ctx.reply(ctx.t(key), menu_buttons(ctx))


async def start(ctx: Context) -> list[Reply]:
    """/start [payload]: greet; a deep-link payload ("lam-dong", "chuyen-doi-so") subscribes."""
    if not ctx.args:
        return [greeting(ctx)]
    payload = ctx.args.split()[0][:64]
    province = resolve_province(ctx, payload)
    if province.value is not None:
        kind, value, name = "province", province.value, province_display(ctx, province.value)
    else:
        topic = resolve_topic(ctx, payload)
        if topic.value is None:
            return [greeting(ctx), ctx.reply(ctx.t("start.bad_link"))]
        kind, value, name = "topic", topic.value, topic_display(ctx, topic.value)
    if not await ctx.can_manage():
        return [greeting(ctx), ctx.reply(ctx.t("common.not_manager"))]
    await subscriptions.add_subscriptions(ctx.db, ctx.chat.id, kind, [value], ctx.now)
    out = [ctx.t("start.greeting_short"), ctx.t("start.subscribed", name=name)]
    if province.note:
        out.append(province.note)
    return [ctx.reply(lines(out), menu_buttons(ctx))]


async def trogiup(ctx: Context) -> list[Reply]:
    """/trogiup: the commands, one example each."""
    text = ctx.t("help.text")
    if ctx.is_admin():
        text += "\n\n" + ctx.t("help.admin")
    return [ctx.reply(text)]
