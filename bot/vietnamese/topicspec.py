"""The topic taxonomy's data: the ``Topic`` type, and reading taxonomy files and overrides.

The default taxonomy lives in ``bot/vietnamese/data/topics.toml``. A taxonomy file and the app
config's ``[topics]`` table share one shape (a file may also hold it at top level, without
``[topics]``)::

    [topics]
    min_score = 2.0          # a topic is tagged when its score reaches this (default 2.0)
    lead_bonus = 1.5         # factor for phrases found in the lead sentence (default 1.5)
    ignore = ["Thông tin và Truyền thông"]   # matched, then scored as nothing (shields)
    disable = ["bao-chi"]    # drop topics (an unknown slug is an error)

    [topics.vien-thong.phrases]      # add phrases to a topic or change their weight;
    "Starlink" = 3                   # weight 0 removes a phrase
    "3G" = 0

    [topics.kinh-te-so]
    replace = true                   # phrases/aliases below replace the existing ones
    weight = 2.5                     # weight for phrases given as a list (default 2.0)
    phrases = ["kinh tế số", "thương mại điện tử"]

    [topics.y-te-so]                 # an unknown slug adds a topic: "vi" is required,
    vi = "Y tế số"                   # "en" defaults to "vi"
    en = "Digital health"
    aliases = ["e-health"]           # extra words for resolve() only (extend, or replace)
    min_score = 3.0                  # per-topic threshold (optional)
    phrases = { "y tế số" = 3, "bệnh án điện tử" = 3 }
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.vietnamese.textnorm import clean
from bot.vietnamese.topictagger import phrase_key

DEFAULT_WEIGHT = 2.0
DEFAULT_MIN_SCORE = 2.0
DEFAULT_LEAD_BONUS = 1.5

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD = re.compile(r"\w+")
_TOPIC_KEYS = {"vi", "en", "aliases", "phrases", "weight", "replace", "min_score"}
_SETTING_KEYS = {"min_score", "lead_bonus", "ignore", "disable"}


@dataclass(frozen=True)
class Topic:
    """One topic. ``weights`` runs parallel to ``phrases`` (empty: all DEFAULT_WEIGHT)."""

    slug: str
    name_vi: str
    name_en: str
    phrases: tuple[str, ...]
    weights: tuple[float, ...] = ()
    aliases: tuple[str, ...] = ()
    min_score: float | None = None

    def __post_init__(self) -> None:
        if not _SLUG.match(self.slug):
            raise ValueError(
                f"topic slug must be lower-case ascii words with dashes: {self.slug!r}"
            )
        if self.weights and len(self.weights) != len(self.phrases):
            raise ValueError(
                f"topic {self.slug}: {len(self.phrases)} phrases, {len(self.weights)} weights"
            )
        for phrase in self.phrases:
            if not _WORD.search(phrase):
                raise ValueError(f"topic {self.slug}: phrase {phrase!r} has no letters or digits")

    def label(self, lang: str = "vi") -> str:
        """The English label for "en"/"en-GB"/..., the Vietnamese one otherwise."""
        return self.name_en if (lang or "").lower().startswith("en") else self.name_vi

    @property
    def phrase_weights(self) -> dict[str, float]:
        weights = self.weights or (DEFAULT_WEIGHT,) * len(self.phrases)
        return dict(zip(self.phrases, weights, strict=True))


@dataclass(frozen=True)
class Taxonomy:
    """Topics and the scoring settings, as read from files and overrides."""

    topics: tuple[Topic, ...]
    min_score: float = DEFAULT_MIN_SCORE
    lead_bonus: float = DEFAULT_LEAD_BONUS
    ignore: tuple[str, ...] = ()


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where}: expected a number >= 0, got {value!r}")
    return float(value)


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings")
    return [clean(v) for v in value if clean(v)]


@dataclass
class TaxonomyDraft:
    """Mutable state while files and overrides are applied (``apply``), then ``build``."""

    topics: dict[str, dict[str, Any]] = field(default_factory=dict)
    min_score: float = DEFAULT_MIN_SCORE
    lead_bonus: float = DEFAULT_LEAD_BONUS
    ignore: list[str] = field(default_factory=list)

    def apply(self, spec: Mapping[str, Any], source: str) -> None:
        """Apply one parsed file or ``[topics]`` table; ValueError names what is wrong."""
        if "topics" in spec and isinstance(spec["topics"], Mapping):
            spec = spec["topics"]
        for name, value in spec.items():
            where = f"{source}: topics.{name}"
            if name == "min_score":
                self.min_score = _number(value, where)
            elif name == "lead_bonus":
                self.lead_bonus = _number(value, where)
            elif name == "ignore":
                self.ignore += _strings(value, where)
            elif name == "disable":
                for slug in _strings(value, where):
                    if self.topics.pop(slug, None) is None:
                        raise ValueError(f"{where}: no topic {slug!r} to disable")
            elif isinstance(value, Mapping):
                self._apply_topic(name, value, where)
            else:
                raise ValueError(f"{where}: unknown setting (settings: {sorted(_SETTING_KEYS)})")

    def _apply_topic(self, slug: str, spec: Mapping[str, Any], where: str) -> None:
        if not _SLUG.match(slug):
            raise ValueError(f"{where}: a slug is lower-case ascii words joined by '-'")
        unknown = set(spec) - _TOPIC_KEYS
        if unknown:
            raise ValueError(
                f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_TOPIC_KEYS)})"
            )
        topic = self.topics.get(slug)
        if topic is None:
            if not isinstance(spec.get("vi"), str) or not clean(spec["vi"]):
                raise ValueError(f"{where}: a new topic needs a Vietnamese label 'vi'")
            topic = self.topics[slug] = {
                "vi": "",
                "en": "",
                "aliases": [],
                "phrases": {},
                "min_score": None,
            }
        replace = spec.get("replace", False)
        if not isinstance(replace, bool):
            raise ValueError(f"{where}.replace: expected true or false")
        for lang in ("vi", "en"):
            if lang in spec:
                if not isinstance(spec[lang], str) or not clean(spec[lang]):
                    raise ValueError(f"{where}.{lang}: expected a non-empty string")
                topic[lang] = clean(spec[lang])
        topic["en"] = topic["en"] or topic["vi"]
        if "min_score" in spec:
            topic["min_score"] = _number(spec["min_score"], f"{where}.min_score")
        if "aliases" in spec:
            aliases = _strings(spec["aliases"], f"{where}.aliases")
            topic["aliases"] = aliases if replace else topic["aliases"] + aliases
        default = _number(spec.get("weight", DEFAULT_WEIGHT), f"{where}.weight")
        if "phrases" in spec:
            raw = spec["phrases"]
            if isinstance(raw, Mapping):
                pairs = [(p, _number(w, f"{where}.phrases.{p!r}")) for p, w in raw.items()]
            else:
                pairs = [(p, default) for p in _strings(raw, f"{where}.phrases")]
            phrases = {} if replace else topic["phrases"]  # phrase key -> (phrase, weight)
            for phrase, weight in pairs:
                phrase = clean(phrase)
                if not _WORD.search(phrase):
                    raise ValueError(f"{where}.phrases: {phrase!r} has no letters or digits")
                key = phrase_key(phrase)  # "hoá" and "hóa" are one phrase
                phrases.pop(key, None)  # re-insert: the latest spelling and weight win
                if weight > 0:
                    phrases[key] = (phrase, weight)
            topic["phrases"] = phrases

    def build(self) -> Taxonomy:
        topics = tuple(
            Topic(
                slug=slug,
                name_vi=t["vi"],
                name_en=t["en"],
                phrases=tuple(phrase for phrase, _ in t["phrases"].values()),
                weights=tuple(weight for _, weight in t["phrases"].values()),
                aliases=tuple(dict.fromkeys(t["aliases"])),
                min_score=t["min_score"],
            )
            for slug, t in self.topics.items()
        )
        return Taxonomy(topics, self.min_score, self.lead_bonus, tuple(self.ignore))
