"""What the gazetteer hands out: regions, units of both eras, mentions in text, resolved input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

NATIONAL = "toan-quoc"


@dataclass(frozen=True)
class Region:
    slug: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Unit:
    slug: str
    name: str
    full_name: str
    kind: str  # "tỉnh" or "thành phố"
    region: str  # region slug
    in_old: bool  # one of the 63 units before 1 July 2025
    in_current: bool  # one of the 34 units since 1 July 2025
    current: str  # slug of the 34-era unit it is part of now (itself if current)
    aliases: tuple[str, ...]
    old_name: str | None = None  # 63-era name when it differs ("Thừa Thiên Huế" for hue)


class Mention(NamedTuple):
    """A unit named in a text; offsets index ``textnorm.clean(text)``.

    ``level`` says how: "province" (its own name), or through one of its "district"s or
    "town"s (63-era) or "commune"s (34-era), the kind word included in ``surface``.
    """

    # A named tuple, not a frozen dataclass: just as immutable, and made several times faster
    # (every item of every feed makes a few).

    slug: str
    start: int
    end: int
    surface: str
    level: str = "province"


@dataclass(frozen=True)
class Resolution:
    """What a user's query names."""

    query: str
    unit: Unit | None  # exact (accent-, case-, prefix-insensitive) hit, else None
    national: bool  # the query means "Toàn quốc"
    suggestions: tuple[Unit, ...]  # up to 3 closest units when unit is None


def distinct_slugs(slugs: Iterable[str]) -> tuple[str, ...]:
    """The slugs in first-seen order, each once, without NATIONAL or empty ones."""
    return tuple(dict.fromkeys(s for s in slugs if s and s != NATIONAL))
