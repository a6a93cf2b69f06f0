"""Which provinces an item is about, from where and how its text names them.

Headline-style items and whole articles name their province anywhere, as the actor ("Sở Tư pháp
tỉnh X", "Bưu điện tỉnh X") or the subject of a sentence, and name other provinces in passing: a
partner ("ký kết với X"), a place visited ("khảo sát tại X"), a list of examples ("như X, Y,
Z"), a street ("đường Thái Nguyên"), a person ("Nguyễn Thái Bình"). Every mention weighs
``factor × (1 + bonuses)`` (``data/salience.toml``); the primary provinces are those named in
the title or heading when it names any, else the heaviest of the whole item.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.vietnamese.units import Mention

DATA_FILE = Path(__file__).parent / "data" / "salience.toml"

_CLAUSE_END = re.compile(r"[.,;:!?()\n]")
_LIST_GAP = re.compile(r"\s*(?:,\s*(?:và\s+)?|và\s+|[-–—]\s*)(?:(?:tỉnh|thành phố|TP\.?)\s+)?$")
_OPENS = re.compile(r"(?:^|[.!?:\n]|\s[-–—•*])\s*$")
_PREV_WORD = re.compile(r"(\S+)\s*$")


@dataclass(frozen=True)
class Cited:
    """One mention, weighed: how much it says the item is about ``slug``, and why."""

    slug: str
    weight: float
    role: str  # "normal", "location", "source", "partner", "aside", "example", "caption"
    passing: bool  # named only in passing here: a partner, an aside, an example, a caption
    why: str  # "title", "actor", "lead", "passing: với" …
    surface: str
    heading: bool  # in the title or the heading before ":"


@dataclass(frozen=True)
class Choice:
    """The provinces an item is about, the others it names, and the evidence per primary."""

    primary: tuple[str, ...]
    mentioned: tuple[str, ...]
    evidence: dict[str, list[str]] = field(default_factory=dict)


def _words(values: Iterable[str], *, case_sensitive: bool = False) -> re.Pattern[str]:
    ordered = sorted(values, key=len, reverse=True)
    body = "|".join(re.escape(v if case_sensitive else v.lower()) for v in ordered)
    return re.compile(f"(?<!\\w)(?:{body})(?!\\w)")


class Salience:
    """Weighs mentions by their words and place in the text (one instance per data file)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.weights: dict[str, float] = dict(data["weights"])
        self.factors: dict[str, float] = dict(data["factors"])
        words = data["words"]
        self._kinds = sorted((k.lower() for k in words["kinds"]), key=len, reverse=True)
        self._before = [  # checked on the words right before a mention, in this order
            (set(map(str.lower, words["caption"])), "caption"),
            (set(map(str.lower, words["source"])), "source"),
            (set(map(str.lower, words["partner"])), "partner"),
            (set(map(str.lower, words["example"])), "example"),
            (set(map(str.lower, words["location"])), "location"),
        ]
        self._not_place = set(map(str.lower, words["not_place"]))
        self._person = set(words["person"])
        self._actor = _words(words["actors"], case_sensitive=True)
        self._breaker = _words(words["breakers"])
        self._plural = set(map(str.lower, words["plural"]))
        self._national = _words(map(str.lower, words["national"]))
        self._bare = re.compile(r"(?<!\w)(?:toàn )?tỉnh(?!\w)", re.IGNORECASE)

    @classmethod
    def load(cls, path: Path = DATA_FILE) -> Salience:
        with open(path, "rb") as fh:
            return cls(tomllib.load(fh))

    # -- weighing ------------------------------------------------------------------------

    def cite(
        self, text: str, mentions: Sequence[Mention], *, heading_end: int, lead_end: int,
        whole_is_heading: bool = False,
    ) -> list[Cited]:
        """Each mention of ``text`` (already clean) weighed; false friends left out."""
        listed = self._listed(text, mentions)
        out = []
        prev_end = -10
        for i, m in enumerate(mentions):
            before = text[max(0, m.start - 80):m.start]
            head = self._strip_kinds(before)
            word_before = _last_word(before.rstrip()[: len(head)])
            if m.level == "province" and (
                _tail_in(head, self._not_place) or word_before in self._person
            ):
                prev_end = m.end
                continue  # a street, a building or a person, not the unit
            why = "normal"
            for words, label in self._before:
                if _tail_in(head, words):
                    why = label
                    break
            if i in listed:
                why = "example"
            elif _inside_parentheses(text, m.start) and m.start - prev_end > 2:
                why = "aside"
            prev_end = m.end
            factor = self.factors[why]
            in_heading = whole_is_heading or m.start < heading_end
            bonus = 0.0
            reasons = [why] if why != "normal" else []
            if in_heading:
                bonus += self.weights["heading"]
                reasons.append("title" if whole_is_heading else "heading")
            elif m.start < lead_end:
                bonus += self.weights["lead"]
                reasons.append("lead")
            if self._is_actor(text, m.start):
                bonus += self.weights["actor"]
                reasons.append("actor")
            elif _OPENS.search(head):
                bonus += self.weights["subject"]
                reasons.append("subject")
            if m.level != "province":
                bonus += self.weights["locality"]
                reasons.append(m.level)
            out.append(Cited(m.slug, factor * (1 + bonus), why, factor < self.factors["source"],
                             ", ".join(reasons) or "named", m.surface, in_heading))
        return out

    def cite_bare(
        self, text: str, slug: str, *, heading_end: int, lead_end: int,
        whole_is_heading: bool = False,
    ) -> list[Cited]:
        """"tỉnh", "toàn tỉnh" naming no province: the feed's own province (``slug``)."""
        out = []
        for m in self._bare.finditer(text):
            after = text[m.end():m.end() + 8].lstrip()
            if after[:1].isupper() or after.startswith((",", "/", "thành")):
                continue  # "tỉnh Lâm Đồng", "tỉnh, thành", "tỉnh thành"
            head = text[max(0, m.start() - 20):m.start()].lower()
            if _last_word(head) in self._plural or _tail_in(head, self._plural):
                continue
            in_heading = whole_is_heading or m.start() < heading_end
            bonus = self.weights["heading"] if in_heading else (
                self.weights["lead"] if m.start() < lead_end else 0.0)
            if self._is_actor(text, m.start()):
                bonus += self.weights["actor"]
            out.append(Cited(slug, 1 + bonus, "normal", False, "feed province: " + m.group(), m.group(),
                             in_heading))
        return out

    # -- choosing ------------------------------------------------------------------------

    def national_scope(self, text: str) -> bool:
        """Whether ``text`` speaks of the whole country ("toàn quốc", "63 tỉnh, thành phố")."""
        return self._national.search(text.lower()) is not None

    def choose(
        self, cited: Sequence[Cited], named: Iterable[str], *, national: bool = False
    ) -> Choice:
        """Primary provinces from the weighed mentions; ``named``: every slug found, in order.

        ``national``: the item speaks of the whole country, so a province named only as the
        place where it happens ("tổ chức tại Hà Nội") is not its subject.
        """
        heading: dict[str, float] = {}
        totals: dict[str, float] = {}
        evidence: dict[str, list[str]] = {}
        subjects = {  # named only in passing: never
            c.slug for c in cited if not c.passing and not (national and c.role == "location")
        }
        for c in cited:
            totals[c.slug] = totals.get(c.slug, 0.0) + c.weight
            if c.heading and not c.passing:
                heading[c.slug] = heading.get(c.slug, 0.0) + c.weight
            evidence.setdefault(c.slug, []).append(f"{c.surface} ({c.why})")
        heading = {s: w for s, w in heading.items() if s in subjects}
        pool = heading or {s: w for s, w in totals.items() if s in subjects}
        top = max(pool.values(), default=0.0)
        floor = max(self.weights["min_score"], top * self.weights["share_of_top"])
        primary = tuple(s for s in dict.fromkeys(c.slug for c in cited)
                        if pool.get(s, 0.0) >= floor)
        mentioned = tuple(s for s in dict.fromkeys(named) if s not in primary)
        return Choice(primary, mentioned,
                      {s: [f"score {totals[s]:.1f}", *evidence[s]] for s in primary})

    # -- context -------------------------------------------------------------------------

    def _strip_kinds(self, before: str) -> str:
        """The text before a mention without the kind words right before it, lower-cased."""
        head = before.rstrip().lower()
        changed = True
        while changed:
            changed = False
            for kind in self._kinds:
                if head.endswith(kind) and (len(head) == len(kind) or not head[-len(kind) - 1].isalnum()):
                    head = head[: -len(kind)].rstrip()
                    changed = True
        return head

    def _is_actor(self, text: str, start: int) -> bool:
        clause_start = start
        while clause_start > 0 and start - clause_start < 80:
            if _CLAUSE_END.match(text, clause_start - 1) and not _is_abbreviation_dot(text, clause_start - 1):
                break
            clause_start -= 1
        clause = text[clause_start:start]
        last = None
        for last in self._actor.finditer(clause):  # noqa: B007 — the last actor word counts
            pass
        if last is None:
            return False
        return self._breaker.search(clause.lower(), last.end()) is None

    def _listed(self, text: str, mentions: Sequence[Mention]) -> set[int]:
        """Indexes of mentions in a run of three or more, or after "như"/"gồm"."""
        out: set[int] = set()
        run = [0] if mentions else []
        for i in range(1, len(mentions) + 1):
            joined = i < len(mentions) and _LIST_GAP.fullmatch(
                text[mentions[i - 1].end:mentions[i].start]) is not None
            if joined:
                run.append(i)
                continue
            first = mentions[run[0]]
            opener = self._strip_kinds(text[max(0, first.start - 30):first.start])
            if len(run) >= 3 or _tail_in(opener, self._before[3][0]):
                out.update(run)
            run = [i]
        return out


def _last_word(head: str) -> str:
    m = _PREV_WORD.search(head)
    return m.group(1) if m else ""


def _tail_in(head: str, words: set[str]) -> bool:
    """Whether ``head`` (lower-cased) ends with one of ``words`` as whole words."""
    low = head.lower()
    for w in words:
        if low.endswith(w) and (len(low) == len(w) or not low[-len(w) - 1].isalnum()):
            return True
    return False


def _inside_parentheses(text: str, pos: int) -> bool:
    opened = text.rfind("(", max(0, pos - 120), pos)
    return opened >= 0 and text.find(")", opened, pos) < 0


def _is_abbreviation_dot(text: str, i: int) -> bool:
    """A dot inside "TP.", "TX." or "TT&TT." is not a clause end."""
    return text[i] == "." and i >= 2 and text[i - 2:i].isupper()


@functools.cache
def default_salience() -> Salience:
    """The bundled salience data, loaded once."""
    return Salience.load()
