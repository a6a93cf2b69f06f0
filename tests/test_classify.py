"""Tagging items with provinces and topics; stable item ids."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import FeedEntry, Period, RawItem
from bot.intake.classify import classify, classify_entry, item_id
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.textnorm import accent_key
from bot.vietnamese.topics import default_topics
from tests.test_digest import BULLETS, INTRO, SAMPLE_TEXT, SAMPLE_TITLE, sample_entry, xml_entry

WEEK_19 = Period(date(2022, 5, 7), date(2022, 5, 13), 19)
EXPECTED_PRIMARY = [
    ("thai-nguyen",),
    ("soc-trang",),
    ("lam-dong",),
    ("da-nang",),
    ("thanh-hoa",),
    ("quang-tri",),
    ("lang-son",),
    ("ba-ria-vung-tau",),
    (),
]


@pytest.fixture(scope="module")
def gaz():
    return default_gazetteer()


@pytest.fixture(scope="module")
def topics():
    return default_topics()


def run(entry, gaz, topics, **kw):
    return classify_entry(entry, gazetteer=gaz,
                          topics=topics, **kw)


@pytest.mark.parametrize("make", [sample_entry, xml_entry], ids=["text", "rss"])
def test_sample_provinces_and_topics(make, gaz, topics):
    period, items = run(make(), gaz, topics)
    assert period == WEEK_19
    assert len(items) == 9
    assert [i.primary for i in items] == EXPECTED_PRIMARY
    assert items[1].current_units == ("can-tho",)  # Sóc Trăng merged into Cần Thơ
    assert items[7].current_units == ("ho-chi-minh",)  # Bà Rịa – Vũng Tàu into TP HCM
    for item, primary in zip(items, EXPECTED_PRIMARY, strict=True):
        assert item.current_units == tuple(gaz.current_of(s).slug for s in primary)
        assert item.period == WEEK_19
        assert re.fullmatch(r"[0-9a-f]{24}", item.item_id)
        assert item.topics, item.title
    assert items[3].mentioned == ("son-la",)  # the festival, not what the item is about
    assert all(i.mentioned == () for i in items if i is not items[3])
    national = items[8]
    assert national.national and national.primary == () and national.current_units == ()
    assert national.topics[0] == "an-toan-thong-tin"
    assert "chuyen-doi-so" in items[4].topics
    assert len({i.item_id for i in items}) == 9


def test_text_and_rss_sample_give_the_same_ids(gaz, topics):
    _, a = run(sample_entry(), gaz, topics)
    _, b = run(xml_entry(), gaz, topics)
    assert [i.item_id for i in a] == [i.item_id for i in b]


def test_republished_digest_keeps_its_ids(gaz, topics):
    _, first = run(sample_entry(), gaz, topics)
    again = FeedEntry(
        guid="mic-2-new-guid",
        title=SAMPLE_TITLE + " (cập nhật)",
        content=SAMPLE_TEXT.replace("Thanh Hóa", "Thanh Hoá").replace("\n\n", "\n\n\n"),
        link="https://mic.gov.vn/y",
        published=datetime(2022, 5, 14, tzinfo=UTC),
    )
    _, second = run(again, gaz, topics)
    assert [i.item_id for i in first] == [i.item_id for i in second]


def test_item_id():
    a = item_id("Thanh Hóa  thúc đẩy\nchuyển đổi số.")
    assert a == item_id("Thanh Hoá thúc đẩy chuyển đổi số.")
    assert a == item_id("thanh hóa thúc đẩy chuyển đổi số. ")
    assert a != item_id("Thanh Hóa thúc đẩy chuyển đổi số!")
    assert item_id("Lâm Đồng") != item_id("làm đồng")
    assert len(a) == 24 and int(a, 16) >= 0


def raw(body: str, title: str | None = None) -> RawItem:
    from bot.vietnamese.sentences import make_title

    return RawItem(title=make_title(body) if title is None else title, body=body)


def test_lead_before_colon_wins(gaz, topics):
    item = classify(
        raw("Lâm Đồng: Hợp tác với Bưu điện TP Đà Nẵng về chuyển đổi số. Sơn La cũng tham gia."),
        gazetteer=gaz, topics=topics,
    )
    assert item.primary == ("lam-dong",)
    assert item.mentioned == ("da-nang", "son-la")


def test_heading_without_province_falls_back_to_first_sentence(gaz, topics):
    item = classify(
        raw("Chuyển đổi số: Quảng Trị và Lạng Sơn dẫn đầu khu vực. Hà Nội theo sau."),
        gazetteer=gaz, topics=topics,
    )
    assert item.primary == ("quang-tri", "lang-son")
    assert item.mentioned == ("ha-noi",)


def test_lead_is_the_whole_first_sentence_not_the_cut_title(gaz, topics):
    body = "Hội Nông dân " + "và các tổ chức đoàn thể " * 6 + "ở Lâm Đồng ký kết. Tiếp theo."
    item = classify(raw(body), gazetteer=gaz, topics=topics)
    assert "Lâm Đồng" not in item.title  # cut at 120 characters
    assert item.primary == ("lam-dong",)


def test_default_province_for_provincial_portals(gaz, topics):
    article = RawItem(
        title="Tỉnh tổ chức hội nghị chuyển đổi số",
        body="Sáng nay, UBND tỉnh tổ chức hội nghị về chuyển đổi số. Đại diện Bộ TT&TT dự.",
    )
    item = classify(article, gazetteer=gaz, topics=topics,
                    default_province="lam-dong")
    assert item.primary == ("lam-dong",) and item.current_units == ("lam-dong",)
    assert classify(article, gazetteer=gaz, topics=topics).primary == ()
    named = dataclasses.replace(article, title="Sóc Trăng tổ chức hội nghị chuyển đổi số")
    item = classify(named, gazetteer=gaz, topics=topics,
                    default_province="lam-dong")
    assert item.primary == ("soc-trang",) and item.current_units == ("can-tho",)


def test_article_title_is_its_lead(gaz, topics):
    entry = FeedEntry(
        guid="a1",
        title="Quảng Trị: Khai trương Trung tâm IOC",
        content="<p>Sáng 12/5, trung tâm chính thức hoạt động.</p><p>Đà Nẵng cử đoàn dự.</p>",
        published=datetime(2022, 5, 12, tzinfo=UTC),
    )
    period, (item,) = run(entry, gaz, topics)
    assert item.title == "Quảng Trị: Khai trương Trung tâm IOC"
    assert item.primary == ("quang-tri",) and item.mentioned == ("da-nang",)
    assert period == Period(date(2022, 5, 9), date(2022, 5, 15), 19)


def test_classify_entry_formats(gaz, topics):
    content = f"<p>{INTRO}</p><ol>" + "".join(f"<li>{b}</li>" for b in BULLETS) + "</ol>"
    period, items = run(FeedEntry("g", "Điểm tin", content), gaz, topics)
    assert period == WEEK_19
    assert [i.primary for i in items] == [("soc-trang",), ("lam-dong",), ("quang-tri",)]


def test_identical_items_are_kept_once(gaz, topics):
    content = "\n\n".join([INTRO] + ["- " + BULLETS[0]] * 2 + ["- " + BULLETS[1]])
    _, items = run(FeedEntry("g", "Điểm tin", content), gaz, topics)
    assert [i.primary for i in items] == [("soc-trang",), ("lam-dong",)]


def test_empty_entry(gaz, topics):
    assert run(FeedEntry("g", "", ""), gaz, topics) == (None, [])


def test_sample_is_fast(gaz, topics):
    entry = xml_entry()
    run(entry, gaz, topics)
    start = time.perf_counter()
    for _ in range(50):
        run(entry, gaz, topics)
    per_digest = (time.perf_counter() - start) / 50
    assert per_digest < 0.05, per_digest


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aAoóòỏọeéuúyýHđĐ \n\t\u00a0\u200b.-"), max_size=60)
       | st.text(max_size=60))
def test_item_id_is_the_specified_hash(body):
    normalised = " ".join(accent_key(body).split())
    expected = hashlib.sha256(normalised.encode()).hexdigest()[:24]
    assert item_id(body) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["<p>", "</p>", "<li>", "- ", "Lâm Đồng", ": ", ". ", "Sơn La", "TP. ",
                         "Sóc Trăng", "\n\n", "an toàn thông tin", "&amp;", "<script>x</script>"])
        | st.text(max_size=10),
        max_size=40,
    ),
    st.sampled_from([None, "lam-dong"]),
)
def test_classify_entry_never_raises(gaz, topics, parts, default):
    entry = FeedEntry("g", "Điểm tin", "".join(parts))
    period, items = run(entry, gaz, topics, default_province=default)
    for item in items:
        assert set(item.primary).isdisjoint(item.mentioned)
        assert len(item.current_units) <= len(item.primary)
        if default:
            assert item.primary
