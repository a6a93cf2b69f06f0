"""One regex for many names or phrases: a trie of their characters, so matching is one pass in C.

The gazetteer (province, district and commune names) and the topic tagger (phrases) both build
their patterns here; each says how one character of a key is written in the regex.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

Fragment = Callable[[str], str]


class WordTrie:
    """Keys (strings) sharing prefixes; ``fragment`` turns one character into regex source."""

    def __init__(self, fragment: Fragment = re.escape) -> None:
        self._root: dict[str, dict] = {}
        self._fragment = fragment

    def add(self, key: str) -> None:
        node = self._root
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}

    def update(self, keys: Iterable[str]) -> WordTrie:
        for key in keys:
            self.add(key)
        return self

    def __bool__(self) -> bool:
        return bool(self._root)

    def alternatives(self) -> str:
        """Regex for every key; where one key is a prefix of another the longer is tried first."""
        return self._alternatives(self._root)

    def word_pattern(self) -> re.Pattern[str]:
        """The keys as whole words: starting a word and not followed by a word character."""
        return re.compile(r"(?<!\w)(?:" + self.alternatives() + r")(?!\w)")

    def sparse_pattern(self) -> re.Pattern[str]:
        r"""``word_pattern``'s matches, for keys whose first characters are rare in the text.

        The word-start check comes after the first character ("A(?<!\w\w)I"), so that every
        branch starts with a literal and the regex engine skips ahead to those characters.
        """
        firsts = []
        for ch, child in sorted(self._root.items()):
            head = self._fragment(ch)
            head = head + r"(?<!\w\w)" if re.match(r"\w", ch) else r"(?<!\w)" + head
            firsts.append(head + self._alternatives(child))
        return re.compile("(?:" + "|".join(firsts) + r")(?!\w)")

    def _alternatives(self, node: dict[str, dict]) -> str:
        alts = [self._fragment(ch) + self._alternatives(child)
                for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        # "(?:X|)" rather than "(?:X)?": the same match, and a plain branch is cheaper for the
        # regex engine than a repeat.
        return f"(?:{body}|)" if "" in node else body
