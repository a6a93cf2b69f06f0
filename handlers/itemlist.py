"""Stored items as a short HTML list for /moinhat, /timkiem and the missed-while-paused offer."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.core.messages import t
from bot.core.models import TaggedItem
from bot.vietnamese.gazetteer import Gazetteer
from bot.vietnamese.sentences import shorten

TITLE_CHARS = 200


def safe_link(url: str) -> str | None:
    """The link if it is a plain http(s) URL, else None (never a javascript: or data: link)."""
    url = (url or "").strip()
    if url.lower().startswith(("http://", "https://")) and not any(c.isspace() for c in url):
        return url
    return None


def _places(item: TaggedItem, lang: str, gazetteer: Gazetteer) -> str:
    names = []
    for slug in item.current_units:
        try:
            names.append(gazetteer.display(slug, lang))
        except KeyError:
            names.append(slug)
    return ", ".join(names) if names else t(lang, "items.national")


def item_entries(items: Sequence[TaggedItem], *, lang: str, gazetteer: Gazetteer) -> list[str]:
    """One self-contained HTML entry per item: number, title, places, link."""
    entries = []
    for number, item in enumerate(items, 1):
        title = html.escape(shorten(" ".join((item.title or item.body).split()), TITLE_CHARS))
        places = html.escape(_places(item, lang, gazetteer))
        entry = t(lang, "items.entry", number=number, title=title, places=places)
        link = safe_link(item.link)
        if link:
            entry += " " + t(lang, "items.link", url=html.escape(link, quote=True))
        entries.append(entry)
    return entries
