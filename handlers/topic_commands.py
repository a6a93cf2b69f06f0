"""/chude: subscribe to topics by name, or pick them on a keyboard."""

from __future__ import annotations

from bot.core.subscriptions import TOPIC
from handlers.context import Context, button, rows_of
from handlers.keyboards import after_save_buttons, subscribed, tick, toggle
from handlers.labels import name_list, topic_display
from handlers.lookup import resolve_topic, subscribe_named
from handlers.types import Reply


async def chude(ctx: Context) -> list[Reply]:
    """/chude [names…]: subscribe to topics; without names, a keyboard."""
    if not ctx.args:
        return [await _topic_keyboard(ctx)]
    return await subscribe_named(ctx, TOPIC, "chude", resolve_topic, topic_display)


def _chosen_names(ctx: Context, chosen: set[str]) -> list[str]:
    return [topic_display(ctx, tp.slug) for tp in ctx.services.topics.topics if tp.slug in chosen]


async def _topic_keyboard(ctx: Context, notice: str | None = None) -> Reply:
    chosen = await subscribed(ctx, TOPIC)
    topic_buttons = [
        button(tick(tp.slug in chosen) + tp.label(ctx.lang), f"/chude_kb t:{tp.slug}")
        for tp in ctx.services.topics.topics
    ]
    rows = rows_of(topic_buttons, 2)
    rows.append((button(ctx.t("common.done"), "/chude_kb xong"),))
    text = ctx.t("topic.kb", names=name_list(ctx, _chosen_names(ctx, chosen)))
    return ctx.reply(text, rows, edit=ctx.is_button, notice=notice)


async def chude_kb(ctx: Context) -> list[Reply]:
    """Topic keyboard actions: "" (show), "t:<topic>" (toggle), "xong"."""
    action, _, slug = ctx.args.partition(":")
    action, slug = action.strip().lower(), slug.strip()
    if action in ("xong", "done"):
        names = _chosen_names(ctx, await subscribed(ctx, TOPIC))
        text = ctx.t("topic.kb_saved", names=name_list(ctx, names))
        return [ctx.reply(text, after_save_buttons(ctx), edit=ctx.is_button)]
    if action == "t" and slug in ctx.services.topics:
        notice = await toggle(ctx, TOPIC, slug, topic_display(ctx, slug))
        return [await _topic_keyboard(ctx, str(notice))]
    return [await _topic_keyboard(ctx, ctx.plain("common.kb_unknown") if ctx.args else None)]
