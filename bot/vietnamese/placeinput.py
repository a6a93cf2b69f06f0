"""What a user typed for a province: any case, with or without accents, with prefixes, slugs,
typos (answered with suggestions)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from rapidfuzz import fuzz, process

from bot.vietnamese.textnorm import accent_key, clean, fold

_TOKEN = re.compile(r"[^\W_]+")
_EDGE_JUNK = re.compile(r"^[\W_]+|[\W_]+$")
_SUGGEST_CUTOFF = 60
SUGGEST_LIMIT = 3


def _tokens(key: str) -> list[str]:
    return _TOKEN.findall(key)


def _index(
    spellings: Mapping[str, Sequence[str]], keyfunc: Callable[[str], str]
) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for slug, ss in spellings.items():
        for s in ss:
            index.setdefault(keyfunc(s), set()).add(slug)
    return index


class PlaceResolver:
    """Typed text → unit slugs: exact matches first, then fuzzy suggestions."""

    def __init__(
        self,
        spellings: Mapping[str, Sequence[str]],
        *,
        national: Iterable[str],
        prefixes: Iterable[str],
    ) -> None:
        """``spellings``: unit slug → what a user may type for it (slug forms added here), in
        the order units are suggested when one spelling names several."""
        self._order = {slug: i for i, slug in enumerate(spellings)}
        self._national_keys = {" ".join(_tokens(fold(w))) for w in national}
        self._prefixes = [_tokens(fold(p)) for p in prefixes]
        self._by_accent = _index(spellings, lambda s: " ".join(_tokens(accent_key(s))))
        self._by_fold = _index(spellings, lambda s: " ".join(_tokens(fold(s))))
        self._by_compact = _index(spellings, lambda s: "".join(_tokens(fold(s))))
        for slug in spellings:
            self._by_fold.setdefault(" ".join(slug.split("-")), set()).add(slug)
        self._choices: list[str] = []
        self._choice_slugs: list[str] = []
        for slug, ss in spellings.items():
            for key in dict.fromkeys(" ".join(_tokens(fold(s))) for s in ss):
                self._choices.append(key)
                self._choice_slugs.append(slug)

    def resolve(self, query: str) -> tuple[str | None, bool, list[str]]:
        """(slug of the unit named, means the whole country, slugs to suggest in order)."""
        text = _EDGE_JUNK.sub("", clean(query or ""))
        folded = _tokens(fold(text))
        if not folded:
            return None, False, []
        if " ".join(folded) in self._national_keys:
            return None, True, []

        accented = _tokens(accent_key(text))
        variants = [(accented, folded)]
        stripped = self._strip_prefix(accented, folded)
        if stripped is not None:
            variants.append(stripped)

        candidates: set[str] = set()
        lookups = []
        if accented != folded:  # typed with accents: trust them first
            lookups.append((self._by_accent, 0, " "))
        lookups += [(self._by_fold, 1, " "), (self._by_compact, 1, "")]
        for index, which, joiner in lookups:
            for variant in variants:
                found = index.get(joiner.join(variant[which]), set())
                if len(found) == 1:
                    return next(iter(found)), False, []
                if not candidates:
                    candidates = set(found)
        if candidates:  # the same spelling names several units: let the user pick
            return None, False, sorted(candidates, key=self._order.__getitem__)
        return None, False, self._suggest(" ".join(variants[-1][1]))

    def _strip_prefix(
        self, accented: list[str], folded: list[str]
    ) -> tuple[list[str], list[str]] | None:
        for prefix in self._prefixes:
            n = len(prefix)
            if len(folded) > n and folded[:n] == prefix:
                return accented[n:] if len(accented) == len(folded) else accented, folded[n:]
        return None

    def _suggest(self, query: str) -> list[str]:
        hits = process.extract(
            query, self._choices, scorer=fuzz.WRatio, limit=None, score_cutoff=_SUGGEST_CUTOFF
        )
        slugs = dict.fromkeys(self._choice_slugs[index] for _choice, _score, index in hits)
        return list(slugs)[:SUGGEST_LIMIT]
