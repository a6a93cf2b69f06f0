"""Vietnam's provinces: names, mergers, finding them in article text and resolving user input.

The data (``bot/vietnamese/data/provinces.toml``) holds both eras: the 63 units in force until 30
June 2025 and the 34 in force since 1 July 2025. Every unit knows the current unit it is part of
now. ``data/localities.tsv`` adds the 63-era districts and towns and the 34-era communes, each
with its province (derived from a maintained data set by ``tools/derive_localities.py``).

Two matchers with different tolerances: ``find_in_text`` reads articles (``placetext``),
``resolve`` reads what a user typed (``placeinput``).
"""

from __future__ import annotations

import csv
import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.vietnamese.placeinput import SUGGEST_LIMIT, PlaceResolver
from bot.vietnamese.placetext import Locality, PlaceFinder
from bot.vietnamese.textnorm import clean, fold
from bot.vietnamese.units import NATIONAL, Mention, Region, Resolution, Unit

__all__ = ["DATA_FILE", "LOCALITIES_FILE", "NATIONAL", "Gazetteer", "Mention", "Region",
           "Resolution", "Unit", "default_gazetteer", "read_localities"]

DATA_FILE = Path(__file__).parent / "data" / "provinces.toml"
LOCALITIES_FILE = Path(__file__).parent / "data" / "localities.tsv"


def read_localities(path: Path = LOCALITIES_FILE) -> list[Locality]:
    """The rows of a localities file (see tools/derive_localities.py)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return [Locality(r["level"], r["kind"], r["name"], r["province"]) for r in rows]


class Gazetteer:
    """The provinces of both eras and the two matchers over their names."""

    def __init__(self, data: Mapping[str, Any], localities: list[Locality] | None = None) -> None:
        self.regions: tuple[Region, ...] = tuple(
            Region(r["slug"], r["name"], r["name_en"]) for r in data["regions"]
        )
        self._regions = {r.slug: r for r in self.regions}
        national = data["national"]
        self._national_names = {"vi": national["name"], "en": national["name_en"]}

        units = []
        self._names_en: dict[str, str] = {}
        text_spellings: dict[str, list[str]] = {}
        any_case: set[str] = set()  # ASCII codes: "daklak.gov.vn" names Đắk Lắk too
        input_spellings: dict[str, list[str]] = {}
        for raw in data["units"]:
            aliases = list(dict.fromkeys(
                ([raw["old_name"]] if raw.get("old_name") else [])
                + raw.get("aliases", [])
                + raw.get("ascii_aliases", [])
                + raw.get("input_aliases", [])
            ))
            unit = Unit(
                slug=raw["slug"],
                name=raw["name"],
                full_name=raw["full_name"],
                kind=raw["kind"],
                region=raw["region"],
                in_old=raw["in_old"],
                in_current=raw["in_current"],
                current=raw["current"],
                aliases=tuple(a for a in aliases if a not in (raw["name"], raw["full_name"])),
                old_name=raw.get("old_name"),
            )
            units.append(unit)
            self._names_en[unit.slug] = raw["name_en"]
            text_spellings[unit.slug] = (
                [unit.name]
                + ([unit.old_name] if unit.old_name else [])
                + raw.get("aliases", [])
                + raw.get("ascii_aliases", [])
            )
            any_case.update(raw.get("ascii_aliases", []))
            input_spellings[unit.slug] = [unit.name, unit.full_name, *aliases]
        self.units: tuple[Unit, ...] = tuple(units)
        self._by_slug = {u.slug: u for u in self.units}
        self._validate()
        places = data.get("localities", {})
        self._finder = PlaceFinder(
            text_spellings,
            not_places=data["text"]["not_places"],
            any_case=any_case,
            localities=self._checked(localities or []),
            kinds={k: v for k, v in places.items() if k not in ("abbreviations", "ranks")},
            abbreviations=places.get("abbreviations", {}),
            ranks=places.get("ranks", {}),
            current={u.slug: u.current for u in self.units},
        )
        self._resolver = PlaceResolver(
            input_spellings,
            national=[*national["aliases"], national["slug"]],
            prefixes=data["input"]["prefixes"],
        )

    @classmethod
    def load(cls, path: Path | None = None, *, with_localities: bool = True) -> Gazetteer:
        """Read a provinces TOML file (the bundled one by default) and the bundled localities."""
        with open(path or DATA_FILE, "rb") as fh:
            data = tomllib.load(fh)
        return cls(data, read_localities() if with_localities else None)

    # -- lookups ---------------------------------------------------------------------------

    def get(self, slug: str) -> Unit:
        """The unit with this slug; KeyError if unknown."""
        return self._by_slug[slug]

    def current_units(self) -> list[Unit]:
        """The 34 units in force since 1 July 2025."""
        return [u for u in self.units if u.in_current]

    def old_units(self) -> list[Unit]:
        """The 63 units in force until 30 June 2025."""
        return [u for u in self.units if u.in_old]

    def current_of(self, slug: str) -> Unit:
        """The 34-era unit that the unit ``slug`` is part of now."""
        return self._by_slug[self.get(slug).current]

    def absorbed_by(self, slug: str) -> list[Unit]:
        """Old units merged into the current unit ``slug``, excluding itself."""
        self.get(slug)
        return [u for u in self.units if u.current == slug and u.slug != slug]

    def units_in_region(self, region_slug: str, *, current_only: bool = True) -> list[Unit]:
        """Units of a region (KeyError if unknown); old units keep their own region."""
        if region_slug not in self._regions:
            raise KeyError(region_slug)
        return [
            u for u in self.units if u.region == region_slug and (u.in_current or not current_only)
        ]

    def display(self, slug: str, lang: str = "vi") -> str:
        """The one display name of a unit or of NATIONAL: "TP Cần Thơ", "Huế", "Toàn quốc".

        English for lang "en", Vietnamese otherwise. Every place that shows a unit uses this.
        """
        if slug == NATIONAL:
            return self._national_names["en" if lang == "en" else "vi"]
        unit = self.get(slug)
        return self._names_en[slug] if lang == "en" else unit.name

    def sort_key(self, slug: str, lang: str = "vi") -> str:
        """Where a unit goes in a list sorted by name: "TP Cần Thơ" among the C's."""
        name = fold(self.display(slug, lang))
        return name.removeprefix("tp ") if lang != "en" else name

    def display_with_current(self, slug: str, lang: str = "vi") -> tuple[str, str | None]:
        """(display name, display name of the unit it is part of now, or None if current).

        "Sóc Trăng" → ("Sóc Trăng", "TP Cần Thơ"): a renderer words it ("Sóc Trăng · nay TP
        Cần Thơ", "Sóc Trăng (nay TP Cần Thơ)").
        """
        current = self.current_of(slug)
        name = self.display(slug, lang)
        return name, None if current.slug == slug else self.display(current.slug, lang)

    # -- article text ----------------------------------------------------------------------

    def find_in_text(self, text: str) -> list[Mention]:
        """Units named in an article, directly or through a locality, in order of appearance."""
        return self._finder.find(clean(text))

    def find_in_clean(self, cleaned: str, *, lowered: str | None = None) -> list[Mention]:
        """``find_in_text`` of text already through ``textnorm.clean``.

        ``lowered`` is ``cleaned.lower()`` or ``textnorm.retone`` of it (every tone placement
        is matched, so both find the same), for callers that hold it already (classification
        computes it once per item).
        """
        return self._finder.find(cleaned, lowered=lowered)

    # -- user input ------------------------------------------------------------------------

    def resolve(self, query: str) -> Resolution:
        """What a typed query names: a unit, the whole country, or suggestions."""
        slug, national, suggested = self._resolver.resolve(query)
        if slug is not None:
            return Resolution(query, self.get(slug), False, ())
        suggestions = tuple(self.get(s) for s in suggested[:SUGGEST_LIMIT])
        return Resolution(query, None, national, suggestions)

    # -- loading ---------------------------------------------------------------------------

    def _validate(self) -> None:
        if len(self._by_slug) != len(self.units):
            raise ValueError("duplicate unit slug in provinces data")
        for unit in self.units:
            if unit.region not in self._regions:
                raise ValueError(f"{unit.slug}: unknown region {unit.region!r}")
            target = self._by_slug.get(unit.current)
            if target is None or not target.in_current:
                raise ValueError(f"{unit.slug}: current {unit.current!r} is not a current unit")
            if unit.in_current and unit.current != unit.slug:
                raise ValueError(f"{unit.slug}: a current unit must be its own current")

    def _checked(self, localities: list[Locality]) -> list[Locality]:
        for place in localities:
            if place.province not in self._by_slug:
                raise ValueError(f"locality {place.name!r}: unknown province {place.province!r}")
        return localities


@functools.cache
def default_gazetteer() -> Gazetteer:
    """The gazetteer of the bundled data files, loaded once."""
    return Gazetteer.load()
