"""Who gets an item: the index answers exactly what the one-chat rule answers, chat by chat."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.models import TaggedItem
from bot.core.subscriptions import NATIONAL, ChatSubscriptions, SubscriptionRow, subscriptions_of
from bot.delivery.matching import (
    KeywordAutomaton,
    RecipientIndex,
    item_keys,
    item_matches,
    make_keyword,
)
from bot.vietnamese.gazetteer import NATIONAL as GAZETTEER_NATIONAL

PROVINCES = ["lam-dong", "can-tho", "ha-noi", "da-nang"]
TOPICS = ["chuyen-doi-so", "buu-chinh", "an-toan-thong-tin"]
WORDS = [
    "Lâm Đồng", "lam dong", "Postmart", "postmart.vn", "IOC", "ioc", "chuyển đổi số", "chuyen doi",
    "chuyển đổi", "số", "so", "đồng", "dong", "Hoá", "hóa", "hoa", "5G", "c++", "_x", "a", "AI",
    "Thủy", "thuỷ", "bưu điện", "Bưu Điện", "-", "!!", "ai-ot",
]
SEPARATORS = [" ", ", ", "-", "_", ".", "", "\n", " (", ") "]


def item(text: str = "", *, units=(), topics=(), stored_at: float | None = 10.0, seq: int = 1) -> TaggedItem:
    return TaggedItem(
        item_id=f"i{seq}", title=text[:40], body=text, link="", published=None, period=None,
        primary=tuple(units), current_units=tuple(units), topics=tuple(topics), seq=seq,
        stored_at=stored_at,
    )


def row_of(chat_ref: int, kind: str, value: str, created_at: float = 0.0) -> SubscriptionRow:
    """A stored subscription row, keyed as storage keeps keywords."""
    if kind != "keyword":
        return SubscriptionRow(chat_ref, kind, value, created_at)
    kw = make_keyword(value)
    return SubscriptionRow(chat_ref, kind, kw.text, created_at, kw.folded, kw.accented)


def brute_force(rows: list[SubscriptionRow], it: TaggedItem) -> set[int]:
    by_chat: dict[int, list[SubscriptionRow]] = {}
    for row in rows:
        by_chat.setdefault(row.chat_ref, []).append(row)
    return {
        chat
        for chat, chat_rows in by_chat.items()
        if item_matches(subscriptions_of(chat_rows, as_of=it.stored_at), it)
    }


# ----------------------------------------------------------------------------- the automaton


def test_automaton_finds_overlapping_keys_at_word_boundaries():
    automaton = KeywordAutomaton(["chuyen doi", "chuyen doi so", "doi so", "so", "c++", "ioc"])
    assert automaton.find("day manh chuyen doi so tai dia phuong") == {
        "chuyen doi", "chuyen doi so", "doi so", "so",
    }
    assert automaton.find("chuyen doiso") == set()  # "doi" runs on into "so": no whole word
    assert automaton.find("hoc c++, ioc.") == {"c++", "ioc"}
    assert automaton.find("iocs and sioc") == set()
    assert not KeywordAutomaton([])


def test_keyword_accent_modes_as_in_item_matches():
    text = item("Lâm Đồng triển khai IOC")
    index = RecipientIndex([
        row_of(1, "keyword", "lam dong"),  # unaccented: any accents
        row_of(2, "keyword", "Lâm Đồng"),  # accented: accent-aware
        row_of(3, "keyword", "làm đồng"),  # different accents: no
        row_of(4, "keyword", "ioc"),
    ])
    assert index.recipients(text) == {1, 2, 4}


# ----------------------------------------------------------------------------- the rule, indexed


def test_province_and_topic_filters_and_national():
    rows = [
        SubscriptionRow(1, "province", "lam-dong"),
        SubscriptionRow(2, "province", "lam-dong"), SubscriptionRow(2, "topic", "buu-chinh"),
        SubscriptionRow(3, "topic", "chuyen-doi-so"),
        SubscriptionRow(4, "province", NATIONAL),
        SubscriptionRow(5, "province", NATIONAL), SubscriptionRow(5, "province", "can-tho"),
        row_of(6, "keyword", "Postmart"),
    ]
    index = RecipientIndex(rows)
    lam_dong_cds = item("Lâm Đồng: hỗ trợ nông dân lên sàn Postmart", units=["lam-dong"], topics=["chuyen-doi-so"])
    assert index.recipients(lam_dong_cds) == {1, 3, 6}
    national = item("Bộ ban hành chỉ số DTI", topics=["chuyen-doi-so"])
    assert index.recipients(national) == {3, 4, 5}
    assert index.recipients(item("Cần Thơ", units=["can-tho"], topics=["buu-chinh"])) == {5}


def test_subscriptions_made_after_an_item_was_stored_do_not_count():
    rows = [
        SubscriptionRow(1, "province", "lam-dong", created_at=5.0),
        SubscriptionRow(2, "province", "lam-dong", created_at=20.0),
        # Province before, topic after: at store time the chat took every Lâm Đồng item.
        SubscriptionRow(3, "province", "lam-dong", created_at=5.0),
        SubscriptionRow(3, "topic", "buu-chinh", created_at=20.0),
        row_of(4, "keyword", "postmart", created_at=11.0),
    ]
    index = RecipientIndex(rows)
    it = item("Lâm Đồng Postmart", units=["lam-dong"], topics=["chuyen-doi-so"], stored_at=10.0)
    assert index.recipients(it) == {1, 3}
    assert index.recipients(item("Lâm Đồng Postmart", units=["lam-dong"], stored_at=30.0)) == {1, 2, 4}


def test_nothing_subscribed_gets_nothing():
    assert RecipientIndex([]).recipients(item("anything", units=["ha-noi"])) == set()
    assert not item_matches(ChatSubscriptions(), item("x"))


@st.composite
def texts(draw) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), max_size=8))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True))


subscription_rows = st.lists(
    st.builds(
        SubscriptionRow,
        chat_ref=st.integers(1, 12),
        kind=st.sampled_from(["province", "topic", "keyword"]),
        value=st.text(max_size=0),  # replaced below according to kind
        created_at=st.sampled_from([0.0, 5.0, 10.0, 15.0]),
    ),
    max_size=40,
)


@st.composite
def subscriptions(draw) -> list[SubscriptionRow]:
    rows = []
    for row in draw(subscription_rows):
        if row.kind == "province":
            value = draw(st.sampled_from([*PROVINCES, NATIONAL]))
        elif row.kind == "topic":
            value = draw(st.sampled_from(TOPICS))
        else:
            value = draw(st.sampled_from(WORDS))
        rows.append(row_of(row.chat_ref, row.kind, value, row.created_at))
    return rows


@st.composite
def items(draw) -> TaggedItem:
    return item(
        draw(texts()),
        units=draw(st.lists(st.sampled_from(PROVINCES), max_size=2, unique=True)),
        topics=draw(st.lists(st.sampled_from(TOPICS), max_size=2, unique=True)),
        stored_at=draw(st.sampled_from([None, 0.0, 5.0, 7.5, 10.0, 30.0])),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=subscriptions(), its=st.lists(items(), min_size=1, max_size=5))
def test_index_equals_brute_force(rows, its):
    index = RecipientIndex(rows)
    for it in its:
        assert index.recipients(it) == brute_force(rows, it)
        assert index.recipients(it, item_keys(it)) == brute_force(rows, it)


@settings(max_examples=300, deadline=None)
@given(keys=st.lists(st.text(alphabet="ab -đĐô.", min_size=1, max_size=5), max_size=6), text=st.text(alphabet="ab -đĐô.", max_size=30))
def test_automaton_equals_regex(keys, text):
    expected = {k for k in keys if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text)}
    assert KeywordAutomaton(keys).find(text) == expected


def test_keyword_accents_are_what_the_user_typed():
    assert make_keyword("Lâm Đồng").accented and not make_keyword("lam dong").accented
    assert make_keyword(" Lâm  Đồng ").text == "Lâm Đồng"


def test_the_national_value_is_the_gazetteers():
    assert NATIONAL == GAZETTEER_NATIONAL


@st.composite
def batches(draw) -> dict[int, list[SubscriptionRow]]:
    """New subscriptions for some chats; some chats left with none."""
    batch: dict[int, list[SubscriptionRow]] = {}
    for row in draw(subscriptions()):
        batch.setdefault(row.chat_ref, []).append(row)
    for chat in draw(st.lists(st.integers(1, 12), max_size=4)):
        batch.setdefault(chat, [])
    return batch


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=subscriptions(), changes=st.lists(st.tuples(batches(), st.booleans()), max_size=4),
    its=st.lists(items(), min_size=1, max_size=4),
)
def test_index_updated_in_place_equals_brute_force(rows, changes, its):
    index = RecipientIndex(rows)
    state: dict[int, list[SubscriptionRow]] = {}
    for row in rows:
        state.setdefault(row.chat_ref, []).append(row)
    for batch, compact in changes:
        index.update(batch)
        if compact:
            index.compact()
        state.update(batch)
        now_rows = [r for chat_rows in state.values() for r in chat_rows]
        assert len(index) == sum(1 for chat_rows in state.values() if chat_rows)
        for it in its:
            assert index.recipients(it) == brute_force(now_rows, it)


def test_many_chats_leave_a_value_at_once():
    index = RecipientIndex([SubscriptionRow(c, "province", "ha-noi") for c in range(1, 41)])
    index.update({c: [] for c in range(1, 31)})
    index.update({c: [SubscriptionRow(c, "topic", "buu-chinh")] for c in range(35, 38)})
    assert index.recipients(item("Hà Nội", units=["ha-noi"])) == {31, 32, 33, 34, 38, 39, 40}
    assert index.recipients(item("Hà Nội", units=["ha-noi"], topics=["buu-chinh"])) == set(range(31, 41))
    assert len(index) == 10 and 30 not in index and 35 in index
