"""Stored items as a short numbered list for /moinhat, /timkiem and the missed-while-paused offer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messages import t
from bot.core.models import TaggedItem
from bot.core.text import Text, safe_url
from bot.vietnamese.gazetteer import Gazetteer
from bot.vietnamese.sentences import shorten

TITLE_CHARS = 200


def _places(item: TaggedItem, lang: str, gazetteer: Gazetteer) -> str:
    names = []
    for slug in item.current_units:
        try:
            names.append(gazetteer.display(slug, lang))
        except KeyError:
            names.append(slug)
    return ", ".join(names) if names else str(t(lang, "items.national"))


def item_entries(items: Sequence[TaggedItem], *, lang: str, gazetteer: Gazetteer) -> list[Text]:
    """One entry per item: number, title, places, link."""
    entries = []
    for number, item in enumerate(items, 1):
        title = shorten(" ".join((item.title or item.body).split()), TITLE_CHARS)
        places = _places(item, lang, gazetteer)
        entry = t(lang, "items.entry", number=number, title=title, places=places)
        if safe_url(item.link):
            entry += " " + t(lang, "items.link", url=item.link)
        entries.append(entry)
    return entries
