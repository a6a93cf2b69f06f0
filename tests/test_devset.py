"""The labelled development set (tests/data/devset.toml): routing, splitting and topic figures.

    python -m tests.test_devset      # prints the figures and every miss
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.models import FeedEntry, TaggedItem
from bot.intake.classify import classify_entry
from bot.vietnamese.gazetteer import Gazetteer, default_gazetteer
from bot.vietnamese.topics import Topics, default_topics

DEVSET = Path(__file__).parent / "data" / "devset.toml"


@dataclass
class Figures:
    items: int = 0
    primary_right: int = 0
    passing_taken: int = 0
    posts: int = 0
    posts_split_right: int = 0
    topics_expected: int = 0
    topics_found: int = 0
    misses: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.items} items in {self.posts} posts: primary right {self.primary_right}/"
            f"{self.items} ({self.primary_rate:.1%}), passing taken as primary "
            f"{self.passing_taken}, posts split right {self.posts_split_right}/{self.posts}, "
            f"topic recall {self.topics_found}/{self.topics_expected} ({self.topic_recall:.1%})"
        )

    @property
    def primary_rate(self) -> float:
        return self.primary_right / self.items

    @property
    def topic_recall(self) -> float:
        return self.topics_found / self.topics_expected


def _current(gazetteer: Gazetteer, slugs) -> set[str]:
    return {gazetteer.current_of(s).slug for s in slugs}


def evaluate(gazetteer: Gazetteer, topics: Topics) -> Figures:
    posts = tomllib.loads(DEVSET.read_text(encoding="utf-8"))["post"]
    figures = Figures()
    for n, post in enumerate(posts):
        entry = FeedEntry(
            guid=f"dev-{n}", title=post["title"], content=post["content"],
            link=f"https://example.org/{n}", published=datetime(2024, 5, 10, tzinfo=UTC),
        )
        _period, got = classify_entry(entry, gazetteer=gazetteer,
                                      topics=topics, default_province=post.get("province"))
        expected = post["items"]
        figures.posts += 1
        figures.items += len(expected)
        if len(got) == len(expected):
            figures.posts_split_right += 1
        else:
            figures.misses.append(
                f"split {post['title']!r}: {len(got)} items, want {len(expected)}: "
                + " | ".join(i.title for i in got)
            )
        for want, item in zip(expected, got, strict=False):
            _score_item(figures, gazetteer, post, want, item)
    return figures


def _score_item(figures: Figures, gazetteer: Gazetteer, post, want, item: TaggedItem) -> None:
    where = f"[{post['kind']}] {item.title!r}"
    if set(item.current_units) == _current(gazetteer, want["primary"]):
        figures.primary_right += 1
    else:
        figures.misses.append(
            f"primary {where}: {list(item.primary)}, want {want['primary']}"
        )
    taken = set(want.get("passing", [])) & set(item.primary)
    if taken:
        figures.passing_taken += len(taken)
        figures.misses.append(f"passing taken {where}: {sorted(taken)}")
    for topic in want.get("topics", []):
        figures.topics_expected += 1
        if topic in item.topics:
            figures.topics_found += 1
        else:
            figures.misses.append(f"topic {where}: no {topic} in {list(item.topics)}")


@pytest.fixture(scope="module")
def figures() -> Figures:
    return evaluate(default_gazetteer(), default_topics())


def test_devset_is_large_enough(figures: Figures) -> None:
    assert figures.items >= 60 and figures.posts >= 50


def test_primary_province_as_current_unit(figures: Figures) -> None:
    assert figures.primary_rate >= 0.95, figures.line() + "\n" + "\n".join(figures.misses)


def test_no_passing_mention_is_primary(figures: Figures) -> None:
    assert figures.passing_taken == 0, "\n".join(figures.misses)


def test_every_multi_item_post_is_split(figures: Figures) -> None:
    assert figures.posts_split_right == figures.posts, "\n".join(figures.misses)


def test_topic_recall(figures: Figures) -> None:
    assert figures.topic_recall >= 0.90, figures.line() + "\n" + "\n".join(figures.misses)


if __name__ == "__main__":
    result = evaluate(default_gazetteer(), default_topics())
    print(result.line())
    print("\n".join(result.misses))
