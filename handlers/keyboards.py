"""What the pick-from-a-list keyboards of /tinh and /chude share."""

from __future__ import annotations

from bot.core.text import Text
from handlers.context import Context, button
from handlers.types import Button
from storage import subscriptions


async def subscribed(ctx: Context, kind: str) -> set[str]:
    return {s.value for s in await subscriptions.list_subscriptions(ctx.db, ctx.chat.id, kind)}


def tick(on: bool) -> str:
    return "✅ " if on else ""


async def toggle(ctx: Context, kind: str, value: str, name: str) -> Text:
    """Subscribe or unsubscribe; return the notice to show."""
    if await subscriptions.remove_subscriptions(ctx.db, ctx.chat.id, kind, [value]):
        return ctx.t("common.kb_removed", name=name)
    await subscriptions.add_subscriptions(ctx.db, ctx.chat.id, kind, [value], ctx.now)
    return ctx.t("common.kb_added", name=name)


def after_save_buttons(ctx: Context) -> list[tuple[Button, ...]]:
    return [
        (
            button(ctx.t("menu.topics"), "/chude"),
            button(ctx.t("menu.keywords"), "/tukhoa"),
            button(ctx.t("menu.list"), "/dangky"),
        )
    ]
