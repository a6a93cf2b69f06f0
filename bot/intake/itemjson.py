"""The stable JSON shape of a tagged item (`diemtin classify --json`), and a one-line description."""

from __future__ import annotations

from typing import Any

from bot.core.models import Period, TaggedItem
from bot.intake.classify import provinces_of
from bot.vietnamese.gazetteer import NATIONAL, Gazetteer


def period_to_json(period: Period | None) -> dict[str, Any] | None:
    if period is None:
        return None
    return {
        "week": period.week,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "year": period.year,
    }


def item_to_json(item: TaggedItem, gazetteer: Gazetteer) -> dict[str, Any]:
    """Scripts and checks rely on these keys; add keys, never rename or drop them."""
    name = gazetteer.display
    return {
        "id": item.item_id,
        "title": item.title,
        "body": item.body,
        "link": item.link,
        "published": item.published.isoformat() if item.published else None,
        "provinces": {
            "primary": [name(s) for s in item.primary],
            "mentioned": [name(s) for s in item.mentioned],
        },
        "province_slugs": {"primary": list(item.primary), "mentioned": list(item.mentioned)},
        "current_units": [name(s) for s in item.current_units],
        "national": item.national,
        "topics": list(item.topics),
        "period": period_to_json(item.period),
        "evidence": evidence(item, gazetteer),
    }


def evidence(item: TaggedItem, gazetteer: Gazetteer) -> list[dict[str, Any]]:
    """Why each primary province was chosen: its score and the mentions that made it."""
    found = provinces_of(item.title, item.body, gazetteer=gazetteer).evidence
    return [
        {"slug": slug, "province": gazetteer.display(slug), "why": found.get(slug, ["feed province"])}
        for slug in item.primary
    ]


def describe_item(item: TaggedItem, gazetteer: Gazetteer) -> str:
    """"Sóc Trăng (nay TP Cần Thơ) [buu-chinh] Sóc Trăng: Đào tạo …" for terminal listings."""
    if item.national:
        where = gazetteer.display(NATIONAL)
    else:
        parts = []
        for slug in item.primary:
            name, now = gazetteer.display_with_current(slug)
            parts.append(name if now is None else f"{name} (nay {now})")
        where = ", ".join(parts)
    topics = ",".join(item.topics[:3])
    return f"{where} [{topics}] {item.title}"
