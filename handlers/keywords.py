"""/tukhoa: keyword alerts, matched with or without accents as the user typed them."""

from __future__ import annotations

import re

from bot.core.subscriptions import KEYWORD
from bot.core.text import Text
from bot.delivery.matching import keyword_key, make_keyword
from handlers.context import Context, lines
from handlers.labels import name_list, short
from handlers.lookup import too_many
from handlers.parsing import split_list
from handlers.types import Reply
from storage import subscriptions

MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 50
_HAS_WORD = re.compile(r"\w")


def _identity(text: str) -> tuple[bool, str]:
    """Two keywords are the same alert when they match the same texts."""
    kw = make_keyword(text)
    return kw.accented, keyword_key(kw)


def _names(values: list[str]) -> str:
    return ", ".join(short(v) for v in values)


async def tukhoa(ctx: Context) -> list[Reply]:
    """/tukhoa [phrases…]: keyword alerts."""
    existing = await subscriptions.list_subscriptions(ctx.db, ctx.chat.id, KEYWORD)
    if not ctx.args:
        names = name_list(ctx, (short(s.value) for s in existing))
        text = ctx.t("keyword.current", names=names, limit=MAX_KEYWORDS)
        return [ctx.reply(text + "\n" + ctx.t("keyword.usage"))]
    entries = split_list(ctx.args)
    if refusal := too_many(ctx, entries):
        return refusal
    known = {_identity(s.value) for s in existing}
    room = MAX_KEYWORDS - len(existing)
    to_add: list[str] = []
    already, too_long, invalid, over_limit = [], [], [], []
    for entry in entries:
        if len(entry) > MAX_KEYWORD_CHARS:
            too_long.append(entry)
        elif not _HAS_WORD.search(entry):
            invalid.append(entry)
        elif _identity(entry) in known:
            already.append(entry)
        elif len(to_add) >= room:
            over_limit.append(entry)
        else:
            known.add(_identity(entry))
            to_add.append(entry)
    keywords = [make_keyword(e) for e in to_add]
    added = await subscriptions.add_subscriptions(ctx.db, ctx.chat.id, KEYWORD, keywords, ctx.now)

    out: list[Text] = []
    if added:
        out.append(ctx.t("keyword.added", names=_names(added)))
        if any(not k.accented for k in keywords if k.text in added):
            out.append(ctx.t("keyword.accent_hint"))
    if already:
        out.append(ctx.t("keyword.already", names=_names(already)))
    if too_long:
        out.append(ctx.t("keyword.too_long", names=_names(too_long), limit=MAX_KEYWORD_CHARS))
    if invalid:
        out.append(ctx.t("keyword.invalid", names=_names(invalid)))
    if over_limit:
        out.append(ctx.t("keyword.limit", names=_names(over_limit), limit=MAX_KEYWORDS))
    return [ctx.reply(lines(out))]
