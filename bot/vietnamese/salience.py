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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from bot.vietnamese.units import Mention
from bot.vietnamese.wordtrie import WordTrie

DATA_FILE = Path(__file__).parent / "data" / "salience.toml"

_CLAUSE_END = re.compile(r"[.,;:!?()\n]")
_LIST_GAP = re.compile(r"\s*(?:,\s*(?:và\s+)?|và\s+|[-–—]\s*)(?:(?:tỉnh|thành phố|TP\.?)\s+)?$")


class Cited(NamedTuple):
    """One mention, weighed: how much it says the item is about ``slug``, and why."""

    # A named tuple for the reason ``units.Mention`` is one.

    slug: str
    weight: float
    role: str  # "normal", "location", "source", "partner", "aside", "example", "caption"
    passing: bool  # named only in passing here: a partner, an aside, an example, a caption
    why: str  # what made its weight: "heading, subject", "location, lead, district" …
    surface: str
    heading: bool  # in the title or the heading before ":"
    acts: bool = False  # the actor or the subject of its sentence (or joined to one: "X và Y")


@dataclass(frozen=True)
class Choice:
    """The provinces an item is about, the others it names, and what they were chosen from."""

    primary: tuple[str, ...]
    mentioned: tuple[str, ...]
    cited: tuple[Cited, ...] = ()
    default: str | None = None  # the feed's province, taken for want of any other

    @property
    def evidence(self) -> dict[str, list[str]]:
        """Per primary slug: its score, then each mention that counted ("Sở TT&TT X (actor)")."""
        out: dict[str, list[str]] = {}
        for slug in self.primary:
            mine = [c for c in self.cited if c.slug == slug and c.weight > 0]
            if slug == self.default and not mine:
                out[slug] = ["feed province"]
                continue
            score = sum(c.weight for c in mine)
            out[slug] = [f"score {score:.1f}", *(f"{c.surface} ({c.why})" for c in mine)]
        return out


def _words(values: Iterable[str], *, case_sensitive: bool = False) -> re.Pattern[str]:
    """The values as whole words, the longest first where several match; in the sparse form,
    which the regex engine searches several times faster than a leading look-behind."""
    trie = WordTrie(re.escape).update(v if case_sensitive else v.lower() for v in values if v)
    return trie.sparse_pattern() if trie else re.compile(r"(?!)")  # no words: never matches


class Salience:
    """Weighs mentions by their words and place in the text (one instance per data file)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.weights: dict[str, float] = dict(data["weights"])
        self.factors: dict[str, float] = dict(data["factors"])
        words = data["words"]
        # The words right before a mention (up to three, lower case) → what they make of it;
        # a longer phrase wins over a shorter one.
        self._tails: dict[str, str] = {}
        for role in ("location", "example", "partner", "source", "caption", "not_place", "kind"):
            for phrase in words["kinds" if role == "kind" else role]:
                self._tails[" ".join(phrase.lower().split())] = role
        self._example_words = [" ".join(w.lower().split()) for w in words["example"]]
        self._person = set(words["person"])
        self._actor = _words(words["actors"], case_sensitive=True)
        self._breaker = _words(words["breakers"])
        self._plural = {" ".join(w.lower().split()) for w in words["plural"]}
        self._national = _words(map(str.lower, words["national"]))
        self._bare = re.compile(r"(?<!\w)(?:toàn )?tỉnh(?!\w)", re.IGNORECASE)

    @classmethod
    def load(cls, path: Path = DATA_FILE) -> Salience:
        with open(path, "rb") as fh:
            return cls(tomllib.load(fh))

    # -- weighing ------------------------------------------------------------------------

    def cite(
        self, text: str, mentions: Sequence[Mention], *, heading_end: int, lead_end: int,
        whole_is_heading: bool = False, enough: float | None = None,
    ) -> list[Cited]:
        """Each mention of ``text`` (already clean) weighed; false friends left out.

        ``enough``: stop once the mentions that make a subject weigh this much (for mentions
        all of one unit, whose choice is then made).
        """
        listed = self._listed(text, mentions) if len(mentions) > 1 else ()
        subject_weight = 0.0
        parenthesised = "(" in text
        out = []
        prev_end = -10
        prev_acts = False
        for i, m in enumerate(mentions):
            role, tokens = self._role(text, m)
            if role is None:
                prev_end = m.end
                continue  # a street, a building or a person, not the unit
            if i in listed:
                role = "example"
            elif (parenthesised and role == "normal" and m.start - prev_end > 2
                  and _inside_parentheses(text, m.start)):
                role = "aside"
            gap_start, prev_end = prev_end, m.end
            factor = self.factors[role]
            in_heading = whole_is_heading or m.start < heading_end
            bonus = 0.0
            reasons = [role] if role != "normal" else []
            if in_heading:
                bonus += self.weights["heading"]
                reasons.append("title" if whole_is_heading else "heading")
            elif m.start < lead_end:
                bonus += self.weights["lead"]
                reasons.append("lead")
            acts = True
            if m.start and self._is_actor(text, m.start):
                bonus += self.weights["actor"]
                reasons.append("actor")
            elif not tokens or tokens[-1][-1] in _OPENERS or _line_starts(text, m.start):
                bonus += self.weights["subject"]
                reasons.append("subject")
            else:
                acts = prev_acts and _LIST_GAP.fullmatch(text, gap_start, m.start) is not None
            if m.level != "province":
                bonus += self.weights["locality"]
                reasons.append(m.level)
            cited = Cited(m.slug, factor * (1 + bonus), role, factor < self.factors["source"],
                          ", ".join(reasons) or "named", m.surface, in_heading, acts)
            out.append(cited)
            prev_acts = acts
            if enough is not None and not cited.passing and role != "location":
                subject_weight += cited.weight
                if subject_weight >= enough:
                    break
        return out

    def cite_names(
        self, text: str, mentions: Sequence[Mention], known: Iterable[str] = ()
    ) -> list[Cited]:
        """The mentions of ``text`` that name a unit, unweighed: for what else an item names
        once its heading has decided what it is about. ``known``: slugs already settled."""
        known = set(known)
        return [Cited(m.slug, 0.0, "named", True, "named", m.surface, False)
                for m in mentions
                if m.slug not in known and self._role(text, m)[0] is not None]

    def _role(self, text: str, m: Mention) -> tuple[str | None, list[str]]:
        """What the words before a mention make of it (None: not the unit), and those words
        with the kind words right before the mention taken off."""
        if m.start == 0:
            return "normal", []
        tokens = text[max(0, m.start - 48):m.start].split()
        found = None
        while tokens:  # past the kind words: "tại tỉnh Sơn La" is "tại"
            found = _tail(tokens, self._tails)
            if found is None or found[1] != "kind":
                break
            del tokens[-found[0]:]
            found = None
        role = "normal" if found is None else found[1]
        if m.level == "province" and (role == "not_place" or (tokens and tokens[-1] in self._person)):
            return None, tokens
        return role, tokens

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
            if _tail(text[max(0, m.start() - 20):m.start()].split(), self._plural) is not None:
                continue
            in_heading = whole_is_heading or m.start() < heading_end
            bonus = self.weights["heading"] if in_heading else (
                self.weights["lead"] if m.start() < lead_end else 0.0)
            if self._is_actor(text, m.start()):
                bonus += self.weights["actor"]
            out.append(Cited(slug, 1 + bonus, "normal", False, "feed province: " + m.group(),
                             m.group(), in_heading, bonus >= self.weights["actor"]))
        return out

    # -- choosing ------------------------------------------------------------------------

    @property
    def settles(self) -> float:
        """What a unit's subject mentions must weigh to be primary when it is the only one."""
        return self.weights["min_score"]

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
        # A heading that names an actor or a subject is about those: "Bưu điện tỉnh giúp nông
        # dân bán xoài Khánh Hòa" is the feed's province's post office, not Khánh Hòa.
        acting = any(c.heading and c.acts and not c.passing for c in cited)
        for c in cited:
            if c.passing or (national and c.role == "location"):
                continue  # named only in passing: never primary
            totals[c.slug] = totals.get(c.slug, 0.0) + c.weight
            if c.heading and (c.acts or not acting):
                heading[c.slug] = heading.get(c.slug, 0.0) + c.weight
        pool = heading or totals
        top = max(pool.values(), default=0.0)
        floor = max(self.weights["min_score"], top * self.weights["share_of_top"])
        primary = tuple(s for s, w in pool.items() if w >= floor)
        mentioned = tuple(s for s in dict.fromkeys(named) if s not in primary)
        return Choice(primary, mentioned, tuple(cited))

    # -- context -------------------------------------------------------------------------

    def _after_example_word(self, before: str) -> bool:
        """Whether ``before`` ends with "như", "gồm" …, kind words skipped ("như tỉnh X")."""
        low = before.lower()
        if not any(w in low for w in self._example_words):
            return False
        tokens = before.split()
        while tokens:
            found = _tail(tokens, self._tails)
            if found is None:
                return False
            if found[1] == "example":
                return True
            if found[1] != "kind":
                return False
            del tokens[-found[0]:]
        return False

    def _is_actor(self, text: str, start: int) -> bool:
        window = max(0, start - 80)
        if self._actor.search(text, window, start) is None:
            return False
        clause_start = window
        for end in _CLAUSE_END.finditer(text, window, start):
            if not _is_abbreviation_dot(text, end.start()):
                clause_start = end.end()
        clause = text[clause_start:start]
        actors = list(self._actor.finditer(clause))
        if not actors:
            return False
        return self._breaker.search(clause.lower(), actors[-1].end()) is None  # the last actor counts

    def _listed(self, text: str, mentions: Sequence[Mention]) -> set[int]:
        """Indexes of mentions in a run of three or more, or after "như"/"gồm"."""
        out: set[int] = set()
        run = [0] if mentions else []
        for i in range(1, len(mentions) + 1):
            joined = i < len(mentions) and _LIST_GAP.fullmatch(
                text, mentions[i - 1].end, mentions[i].start) is not None
            if joined:
                run.append(i)
                continue
            first = mentions[run[0]].start
            # A run of one after "như" is the role of its own mention already (``_role``).
            if len(run) >= 3 or (
                len(run) == 2 and self._after_example_word(text[max(0, first - 24):first])
            ):
                out.update(run)
            run = [i]
        return out


_OPENERS = frozenset(".!?:-–—•*")


def _tail(tokens: list[str], phrases: Mapping[str, str] | set[str]) -> tuple[int, str] | None:
    """(words, what) of the longest phrase (up to three words) that ``tokens`` end with."""
    for n in (3, 2, 1):
        if len(tokens) >= n:
            candidate = " ".join(tokens[-n:]).lower()
            if candidate in phrases:
                return n, phrases[candidate] if isinstance(phrases, Mapping) else candidate
    return None


def _line_starts(text: str, pos: int) -> bool:
    """Whether only spaces and kind words stand between a line break and ``pos``."""
    line = text.rfind("\n", max(0, pos - 48), pos)
    return line >= 0 and len(text[line + 1:pos].split()) <= 1


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
