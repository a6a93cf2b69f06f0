"""/tinh: subscribe to provinces by name, or pick them on a keyboard by region."""

from __future__ import annotations

from bot.core.subscriptions import NATIONAL, PROVINCE
from handlers.context import Context, button, rows_of
from handlers.keyboards import after_save_buttons, subscribed, tick, toggle
from handlers.labels import name_list, province_display
from handlers.lookup import resolve_province, subscribe_named
from handlers.types import Reply


async def tinh(ctx: Context) -> list[Reply]:
    """/tinh [names…]: subscribe to provinces; without names, a keyboard."""
    if not ctx.args:
        return [await _province_root(ctx)]
    return await subscribe_named(ctx, PROVINCE, "tinh", resolve_province, province_display)


async def _province_root(ctx: Context, notice: str | None = None) -> Reply:
    gaz = ctx.services.gazetteer
    chosen = await subscribed(ctx, PROVINCE)
    region_buttons = []
    for region in gaz.regions:
        count = sum(1 for u in gaz.units_in_region(region.slug) if u.slug in chosen)
        name = region.name_en if ctx.lang == "en" else region.name
        text = f"{name} ({count})" if count else name
        region_buttons.append(button(text, f"/tinh_kb r:{region.slug}"))
    national = gaz.display(NATIONAL, ctx.lang)
    rows = rows_of(region_buttons, 2)
    rows.append((button(tick(NATIONAL in chosen) + national, f"/tinh_kb t:{NATIONAL}"),))
    rows.append((button(ctx.t("common.done"), "/tinh_kb xong"),))
    names = sorted(province_display(ctx, slug) for slug in chosen)
    text = ctx.t("province.kb_root", names=name_list(ctx, names))
    return ctx.reply(text, rows, edit=ctx.is_button, notice=notice)


async def _province_region(ctx: Context, region_slug: str, notice: str | None = None) -> Reply:
    gaz = ctx.services.gazetteer
    region = next(r for r in gaz.regions if r.slug == region_slug)
    chosen = await subscribed(ctx, PROVINCE)
    unit_buttons = [
        button(tick(u.slug in chosen) + gaz.display(u.slug, ctx.lang), f"/tinh_kb t:{u.slug}")
        for u in gaz.units_in_region(region_slug)
    ]
    rows = rows_of(unit_buttons, 2)
    rows.append((button(ctx.t("common.back"), "/tinh_kb"), button(ctx.t("common.done"), "/tinh_kb xong")))
    name = region.name_en if ctx.lang == "en" else region.name
    return ctx.reply(ctx.t("province.kb_region", region=name), rows, edit=ctx.is_button, notice=notice)


async def tinh_kb(ctx: Context) -> list[Reply]:
    """Province keyboard actions: "" (regions), "r:<region>", "t:<unit>" (toggle), "xong"."""
    gaz = ctx.services.gazetteer
    action, _, slug = ctx.args.partition(":")
    action, slug = action.strip().lower(), slug.strip()
    if action in ("xong", "done"):
        names = sorted(province_display(ctx, s) for s in await subscribed(ctx, PROVINCE))
        text = ctx.t("province.kb_saved", names=name_list(ctx, names))
        return [ctx.reply(text, after_save_buttons(ctx), edit=ctx.is_button)]
    if action == "r" and slug in {r.slug for r in gaz.regions}:
        return [await _province_region(ctx, slug)]
    if action == "t":
        found = resolve_province(ctx, slug)
        if found.value is not None:
            name = province_display(ctx, found.value)
            notice = str(await toggle(ctx, PROVINCE, found.value, name))
            if found.value == NATIONAL:
                return [await _province_root(ctx, notice)]
            return [await _province_region(ctx, gaz.get(found.value).region, notice)]
    if ctx.args:
        return [await _province_root(ctx, ctx.plain("common.kb_unknown"))]
    return [await _province_root(ctx)]
