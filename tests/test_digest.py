"""Splitting feed entries into items; periods; HTML to text; sentences and titles."""

from __future__ import annotations

import calendar
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.models import FeedEntry, Period
from bot.intake.digest import split_entry
from bot.intake.htmltext import html_to_blocks
from bot.intake.period import parse_period
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.sentences import (
    ABBREVIATIONS,
    TITLE_MAX,
    first_sentence_end,
    make_title,
    split_sentences,
)
from bot.vietnamese.textnorm import clean

DATA = Path(__file__).parent / "data"
SAMPLE_TEXT = (DATA / "diem-tin-2022-tuan-19.txt").read_text(encoding="utf-8")
SAMPLE_TITLE = "Điểm tin địa phương - ngành Thông tin và Truyền thông"
WEEK_19 = Period(date(2022, 5, 7), date(2022, 5, 13), 19)

EXPECTED_LEADS = [
    "Hội Nông dân và Bưu điện TP. Phổ Yên, Thái Nguyên ký kết",
    "Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá",
    "Lâm Đồng: Hỗ trợ nông dân chuyển đổi số",
    "Hội Nông dân và Bưu điện TP Đà Nẵng ký kết",
    "Thanh Hóa thúc đẩy sử dụng nền tảng số quốc gia",
    "Quảng Trị: Chuyển biến tích cực từ chuyển đổi số",
    "Lạng Sơn huy động 7.776 thành viên",
    "Bà Rịa - Vũng Tàu đặt mục tiêu đến năm 2030",
    "Nhiều địa phương, cả tỉnh không có một chuyên gia an toàn thông tin",
]


@pytest.fixture(scope="module")
def gaz():
    return default_gazetteer()


def text_entry(content: str, title: str = SAMPLE_TITLE, **kw) -> FeedEntry:
    return FeedEntry(guid=kw.pop("guid", "g1"), title=title, content=content, **kw)


def sample_entry() -> FeedEntry:
    return text_entry(SAMPLE_TEXT, link="https://mic.gov.vn/x", guid="mic-1")


def xml_entry() -> FeedEntry:
    data = resources.files("bot").joinpath("data/sample-digest.xml").read_bytes()
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    (e,) = parsed.entries
    published = datetime.fromtimestamp(calendar.timegm(e.published_parsed), UTC)
    return FeedEntry(
        guid=e.id, title=e.title, content=e.summary, link=e.link, published=published
    )


# ---------------------------------------------------------------------------------------------
# The real sample


@pytest.mark.parametrize("make", [sample_entry, xml_entry], ids=["text", "rss"])
def test_sample_digest_splits_into_nine_items(make, gaz):
    entry = make()
    digest = split_entry(entry, gazetteer=gaz)
    assert digest.is_digest
    assert digest.period == WEEK_19
    assert len(digest.items) == 9
    for item, lead in zip(digest.items, EXPECTED_LEADS, strict=True):
        assert item.body.startswith(lead), (item.body[:80], lead)
        assert item.title.startswith(lead[:40])
        assert item.period == WEEK_19
        assert item.link == entry.link
        assert item.published == entry.published
        assert unicodedata.is_normalized("NFC", item.body)
        assert "\u00a0" not in item.body and "  " not in item.body
        for junk in ("20220513-m03", "Ảnh minh họa", "Thông tin hoạt động ngành", "- "):
            assert not item.body.startswith(junk)
            assert not item.title.startswith(junk)
        assert "20220513-m03.jpg" not in item.body and "Ảnh minh họa" not in item.body


def test_sample_text_and_rss_give_the_same_items(gaz):
    a = split_entry(sample_entry(), gazetteer=gaz)
    b = split_entry(xml_entry(), gazetteer=gaz)
    assert [i.body for i in a.items] == [i.body for i in b.items]
    assert [i.title for i in a.items] == [i.title for i in b.items]


def test_rss_sample_metadata():
    entry = xml_entry()
    assert entry.title == SAMPLE_TITLE
    assert entry.link.startswith("https://mic.gov.vn/")
    assert entry.published == datetime(2022, 5, 13, 9, 30, tzinfo=UTC)


def test_da_nang_paragraph_is_its_own_item(gaz):
    items = split_entry(sample_entry(), gazetteer=gaz).items
    lam_dong, da_nang = items[2], items[3]
    assert "Đà Nẵng" not in lam_dong.body
    assert lam_dong.body.endswith("Hội Nông dân tỉnh và một số nội dung khác.")
    assert "TP Sơn La (tỉnh Sơn La)" in da_nang.body
    assert da_nang.body.endswith("giúp nông dân tiêu thụ sản phẩm.")


def test_sample_titles(gaz):
    titles = [i.title for i in split_entry(sample_entry(), gazetteer=gaz).items]
    assert titles[1] == "Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá"
    assert titles[5] == "Quảng Trị: Chuyển biến tích cực từ chuyển đổi số"
    assert titles[8] == "Nhiều địa phương, cả tỉnh không có một chuyên gia an toàn thông tin"
    assert all(len(t) <= TITLE_MAX for t in titles)
    # The Thái Nguyên lead is one sentence despite "TP." and is cut at a word.
    assert titles[0].startswith("Hội Nông dân và Bưu điện TP. Phổ Yên, Thái Nguyên ký kết")
    assert titles[0].endswith("…") and not titles[0].endswith(" …")


def test_sample_bodies_keep_numbers_and_text(gaz):
    items = split_entry(sample_entry(), gazetteer=gaz).items
    assert "7.776 thành viên" in items[6].body
    assert "2,8 người" in items[8].body
    assert "Bộ TT&TT" in items[4].body
    assert items[2].body.count("\n") == 0  # Đà Nẵng split off, nothing else joined


def test_split_without_explicit_gazetteer_uses_default():
    assert len(split_entry(sample_entry()).items) == 9


# ---------------------------------------------------------------------------------------------
# Other digest shapes

BULLETS = [
    "Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá. Bưu điện tỉnh tổ chức lớp học.",
    "Lâm Đồng: Hỗ trợ nông dân chuyển đổi số. Hội Nông dân tỉnh phối hợp với Bưu điện.",
    "Quảng Trị: Chuyển biến tích cực từ chuyển đổi số. 100% đơn vị có trang thông tin.",
]
INTRO = "Thông tin hoạt động ngành các địa phương tuần 19 (từ ngày 07/5 đến ngày 13/5/2022)."


def _assert_three(digest):
    assert digest.is_digest
    assert digest.period == WEEK_19
    assert [i.body for i in digest.items] == BULLETS
    assert digest.items[0].title == "Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá"


def test_html_list_items(gaz):
    lis = "".join(f"<li><p><span>{b}</span></p></li>" for b in BULLETS)
    content = f"<div><p>{INTRO}</p><figure><img src='a.jpg'><figcaption>Ảnh: Báo Lâm Đồng"
    content += f"</figcaption></figure><ul>{lis}</ul></div>"
    _assert_three(split_entry(text_entry(content), gazetteer=gaz))


def test_numbered_bullets(gaz):
    content = f"{INTRO}\n\n1. {BULLETS[0]}\n\n2) {BULLETS[1]}\n\n3. {BULLETS[2]}"
    _assert_three(split_entry(text_entry(content), gazetteer=gaz))


def test_dot_bullets_in_html(gaz):
    content = f"<p>{INTRO}</p>" + "".join(f"<p>•&nbsp;{b}</p>" for b in BULLETS)
    _assert_three(split_entry(text_entry(content), gazetteer=gaz))


@pytest.mark.parametrize("marker", ["- ", "– ", "— ", "• ", "+ ", "* ", "-"])
def test_bullet_markers(marker, gaz):
    content = INTRO + "\n" + "\n".join(marker + b for b in BULLETS)  # single newlines
    _assert_three(split_entry(text_entry(content), gazetteer=gaz))


def test_br_separated_bullets(gaz):
    content = f"<p>{INTRO}<br>" + "<br />".join("- " + b for b in BULLETS) + "</p>"
    _assert_three(split_entry(text_entry(content), gazetteer=gaz))


def test_continuation_paragraphs(gaz):
    content = "\n\n".join(
        [
            INTRO,
            "- " + BULLETS[1],
            "Bưu điện tỉnh Lâm Đồng cho biết sẽ mở rộng chương trình.",  # same province
            "Trước đó, Hà Nội cũng đã triển khai mô hình này.",  # opener: continuation
            "Chương trình kéo dài đến hết năm.",  # no province: continuation
            "Bưu điện TP Đà Nẵng ký kết thỏa thuận với Hội Nông dân.",  # another province
            "Theo kế hoạch, hai bên phối hợp đưa nông sản lên sàn.",
            "- " + BULLETS[2],
        ]
    )
    items = split_entry(text_entry(content), gazetteer=gaz).items
    assert len(items) == 3
    assert items[0].body.split("\n") == [
        BULLETS[1],
        "Bưu điện tỉnh Lâm Đồng cho biết sẽ mở rộng chương trình.",
        "Trước đó, Hà Nội cũng đã triển khai mô hình này.",
        "Chương trình kéo dài đến hết năm.",
    ]
    assert items[1].body.startswith("Bưu điện TP Đà Nẵng")
    assert items[1].body.endswith("đưa nông sản lên sàn.")
    assert items[2].body == BULLETS[2]


def test_headings_captions_and_sources_between_items_are_dropped(gaz):
    content = "\n\n".join(
        [
            INTRO,
            "Bưu chính",
            "- " + BULLETS[0],
            "20220513-m04.png",
            "Lãnh đạo Bưu điện tỉnh tại lớp học",
            "(Ảnh minh hoạ)",
            "- " + BULLETS[1],
            "Ảnh: Báo Lâm Đồng",
            "- " + BULLETS[2],
            "Nguồn: Báo Quảng Trị",
        ]
    )
    _assert_three(split_entry(text_entry(content), gazetteer=gaz))


def test_plain_article_is_one_item(gaz):
    body = (
        "Sáng 12/5, Sở TT&TT tỉnh Lâm Đồng tổ chức hội nghị về chuyển đổi số.\n\n"
        "Tại hội nghị, các đại biểu đã thảo luận nhiều giải pháp.\n\n"
        "Ảnh minh họa\n\nHội nghị kết thúc cùng ngày."
    )
    entry = text_entry(
        body,
        title="Lâm Đồng tổ chức hội nghị chuyển đổi số",
        published=datetime(2022, 5, 12, 3, 0, tzinfo=UTC),
    )
    digest = split_entry(entry, gazetteer=gaz)
    assert not digest.is_digest
    (item,) = digest.items
    assert item.title == "Lâm Đồng tổ chức hội nghị chuyển đổi số"
    assert item.body == (
        "Sáng 12/5, Sở TT&TT tỉnh Lâm Đồng tổ chức hội nghị về chuyển đổi số.\n"
        "Tại hội nghị, các đại biểu đã thảo luận nhiều giải pháp.\n"
        "Hội nghị kết thúc cùng ngày."
    )
    assert item.period == Period(date(2022, 5, 9), date(2022, 5, 15), 19)


def test_article_with_a_numbered_list_stays_one_item(gaz):
    content = (
        "<p>UBND tỉnh Lâm Đồng ban hành kế hoạch chuyển đổi số năm 2022 gồm:</p>"
        "<ol><li>Phát triển hạ tầng số.</li><li>Phát triển dữ liệu số.</li>"
        "<li>Bảo đảm an toàn thông tin.</li></ol>"
    )
    digest = split_entry(text_entry(content, title="Lâm Đồng ban hành kế hoạch"), gazetteer=gaz)
    assert not digest.is_digest
    (item,) = digest.items
    assert item.body.split("\n")[1:] == [
        "- Phát triển hạ tầng số.",
        "- Phát triển dữ liệu số.",
        "- Bảo đảm an toàn thông tin.",
    ]


def test_empty_and_junk_content():
    assert split_entry(text_entry("", title="")).items == ()
    assert split_entry(text_entry("<div><img src='x.jpg'></div>", title="")).items == ()
    (item,) = split_entry(text_entry("<div><img src='x.jpg'><br></div>", title="Tin ngắn")).items
    assert item.title == item.body == "Tin ngắn"
    assert split_entry(text_entry("   \n\u00a0\n", title="")).items == ()


def test_script_and_literal_markup(gaz):
    html = (
        f"<p>{INTRO}</p><p>- Lâm Đồng: giá &lt; 5 triệu &amp; lãi &gt; 3%, "
        "R&D, a < b, 1<2 <script>alert(1)</script>"
        "còn &lt;script&gt;alert(2)&lt;/script&gt; chỉ là chữ.</p>"
        "<style>p { color: red }</style>"
        f"<p>- {BULLETS[2]}</p>"
    )
    items = split_entry(text_entry(html), gazetteer=gaz).items
    assert len(items) == 2
    body = items[0].body
    assert body == (
        "Lâm Đồng: giá < 5 triệu & lãi > 3%, R&D, a < b, 1<2 "
        "còn <script>alert(2)</script> chỉ là chữ."
    )
    assert "alert(1)" not in body and "color" not in items[1].body


def test_plain_text_with_lt_and_amp_is_kept(gaz):
    text = f"{INTRO}\n\n- Lâm Đồng: chỉ số < 5 & > 3, R&D &amp; TT&TT.\n\n- {BULLETS[2]}"
    items = split_entry(text_entry(text), gazetteer=gaz).items
    assert items[0].body == "Lâm Đồng: chỉ số < 5 & > 3, R&D & TT&TT."


def test_very_long_bullet(gaz):
    long_text = "Lâm Đồng: " + " ".join(["chuyển đổi số"] * 800)  # no sentence end
    long_text = long_text[:10_000]
    content = f"{INTRO}\n\n- {long_text}\n\n- {BULLETS[2]}"
    digest = split_entry(text_entry(content), gazetteer=gaz)
    first = digest.items[0]
    assert first.body == long_text.strip()
    assert len(first.title) <= TITLE_MAX and first.title.endswith("…")
    assert first.title.startswith("Lâm Đồng: chuyển đổi số")


def test_unclosed_caption_does_not_swallow_the_digest(gaz):
    content = f"<p>{INTRO}</p><figcaption>Ảnh minh họa<ul>" + "".join(
        f"<li>{b}</li>" for b in BULLETS
    ) + "</ul>"
    _assert_three(split_entry(text_entry(content), gazetteer=gaz))


def test_markup_the_stdlib_parser_rejects(gaz):
    # Word's conditional comments are dropped; "<![x]>" makes html.parser raise: regex fallback.
    content = (
        f"<p>{INTRO}</p><![if !supportLists]><p>- {BULLETS[0]}</p><![endif]>"
        f"<p>- {BULLETS[1]}<script>alert(1)</script></p><p>- {BULLETS[2]}</p>"
    )
    _assert_three(split_entry(text_entry(content), gazetteer=gaz))
    broken = content.replace("<![endif]>", "<![ [<b>") + "<!-- tail"
    _assert_three(split_entry(text_entry(broken), gazetteer=gaz))
    assert html_to_blocks("<p>Một <b>hai</b></p><![ [<p>ba</p>") == ["Một hai", "<![ [", "ba"]


# ---------------------------------------------------------------------------------------------
# Periods


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (INTRO, WEEK_19),
        ("tuần 19 (từ 07/5 - 13/5/2022)", WEEK_19),
        ("Điểm tin tuần 19 từ ngày 7 đến 13/5/2022", WEEK_19),
        ("(từ ngày 07/05/2022 đến ngày 13/05/2022)", Period(date(2022, 5, 7), date(2022, 5, 13))),
        (
            "Tuần 1 (từ ngày 30/12/2021 đến ngày 05/01/2022)",
            Period(date(2021, 12, 30), date(2022, 1, 5), 1),
        ),
        (
            "tuần 52 (từ ngày 24/12 đến ngày 30/12/2021)",
            Period(date(2021, 12, 24), date(2021, 12, 30), 52),
        ),
        ("từ 31/12 – 06/01/2023", Period(date(2022, 12, 31), date(2023, 1, 6))),
        ("TUẦN 19 (TỪ NGÀY 07/5 ĐẾN NGÀY 13/5/2022)", WEEK_19),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tuần 19",
        "từ ngày 15 đến 19/5",  # no year: a festival, not a period
        "giai đoạn 2022-2025",
        "từ ngày 31/02 đến ngày 05/03/2022",  # no 31 February
        "từ ngày 01/01/2022 đến ngày 31/12/2022",  # a year, not a week
        "từ ngày 13/5/2022 đến ngày 07/5/2022",  # backwards
    ],
)
def test_parse_period_rejects(text):
    assert parse_period(text) is None


def test_period_from_the_title(gaz):
    entry = text_entry(
        "\n\n".join("- " + b for b in BULLETS), title="Điểm tin tuần 19 (từ 07/5 - 13/5/2022)"
    )
    digest = split_entry(entry, gazetteer=gaz)
    assert digest.period == WEEK_19 and digest.is_digest


def test_period_from_iso_week_of_published_time(gaz):
    content = "\n\n".join("- " + b for b in BULLETS)
    # Sunday 15 May 2022 20:00 UTC is Monday 16 May in Hà Nội: ISO week 20.
    entry = text_entry(content, title="Tin", published=datetime(2022, 5, 15, 20, tzinfo=UTC))
    assert split_entry(entry, gazetteer=gaz).period == Period(
        date(2022, 5, 16), date(2022, 5, 22), 20
    )
    naive = text_entry(content, title="Tin", published=datetime(2022, 5, 15, 16, 59))
    assert split_entry(naive, gazetteer=gaz).period == Period(
        date(2022, 5, 9), date(2022, 5, 15), 19
    )
    other_tz = text_entry(
        content,
        title="Tin",
        published=datetime(2022, 1, 2, 23, tzinfo=timezone(timedelta(hours=7))),
    )
    assert split_entry(other_tz, gazetteer=gaz).period == Period(
        date(2021, 12, 27), date(2022, 1, 2), 52
    )
    assert split_entry(text_entry(content, title="Tin"), gazetteer=gaz).period is None


# ---------------------------------------------------------------------------------------------
# HTML and sentences


def test_html_to_blocks():
    html = (
        "<html><head><title>Trang</title><style>.a{}</style></head><body>"
        "<h2>Tiêu đề</h2><p>Đoạn <b>một</b>&nbsp;có <a href='#'>liên kết</a>.</p>"
        "<div>Dòng 1<br>Dòng 2</div><script>var x = '<p>no</p>';</script>"
        "<ul><li>Mục A</li><li><p>Mục B</p></li></ul>"
        "<figure><img src='x.jpg' alt='ảnh'><figcaption>Chú thích</figcaption></figure>"
        "<p>Ho\u0300a Bi\u0300nh &amp; Thu&#7927; &#x110;i&#7879;n</p></body></html>"
    )
    assert html_to_blocks(html) == [
        "Tiêu đề",
        "Đoạn một có liên kết.",
        "Dòng 1",
        "Dòng 2",
        "Mục A",
        "Mục B",
        "Hòa Bình & Thuỷ Điện",
    ]


def test_html_to_blocks_plain_text():
    assert html_to_blocks("Một\n\n  Hai\u00a0 ba  \nbốn\n") == ["Một", "Hai ba bốn"]
    assert html_to_blocks("") == []


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (
            "Bưu điện TP. Phổ Yên, Thái Nguyên ký kết hợp tác. Nội dung tập trung.",
            "Bưu điện TP. Phổ Yên, Thái Nguyên ký kết hợp tác.",
        ),
        ("Có 7.776 thành viên và 2,8 người. Tiếp theo.", "Có 7.776 thành viên và 2,8 người."),
        ("Tp. Hồ Chí Minh dẫn đầu. Tiếp.", "Tp. Hồ Chí Minh dẫn đầu."),
        ("ThS. Nguyễn Văn A. phát biểu. Tiếp.", "ThS. Nguyễn Văn A. phát biểu."),
        ("Gồm sách, báo v.v. Và hơn nữa.", "Gồm sách, báo v.v. Và hơn nữa."),
        ("Bộ TT&TT. Theo đó, tỉnh làm.", "Bộ TT&TT."),
        ("Tại TP.HCM, hội thảo diễn ra. Sau đó.", "Tại TP.HCM, hội thảo diễn ra."),
        ("Giải pháp khác nhau.Đồng thời, thúc đẩy.", "Giải pháp khác nhau."),
        ("Sàn Postmart.vn hoạt động. Tiếp.", "Sàn Postmart.vn hoạt động."),
        ("Chương trình “Festival 2022”. Bưu điện hỗ trợ.", "Chương trình “Festival 2022”."),
        ("Ông nói: “Rất tốt.” Sau đó.", "Ông nói: “Rất tốt.”"),
        ("Hoạt động từ năm 2021. 100% đơn vị.", "Hoạt động từ năm 2021."),
        ("để lựa chọn… Tại Phiên họp.", "để lựa chọn…"),
        ("an ninh trật tự… trên địa bàn.", "an ninh trật tự… trên địa bàn."),
        ("Không có dấu chấm", "Không có dấu chấm"),
    ],
)
def test_first_sentence(text, first):
    assert text[: first_sentence_end(text)] == first


def test_split_sentences():
    assert split_sentences("Một câu. Hai câu! Ba câu? bốn") == [
        "Một câu.", "Hai câu!", "Ba câu? bốn",
    ]


def test_abbreviations_are_a_module_tuple():
    assert isinstance(ABBREVIATIONS, tuple) and "TP" in ABBREVIATIONS and "ThS" in ABBREVIATIONS


def test_make_title():
    assert make_title("Sóc Trăng: Đào tạo bưu tá. Bưu điện tỉnh.") == "Sóc Trăng: Đào tạo bưu tá"
    assert make_title("Có nên không? Có.") == "Có nên không?"
    long = "Lâm Đồng " + "rất " * 60 + "dài."
    title = make_title(long)
    assert len(title) <= TITLE_MAX and title.endswith("rất…")


# ---------------------------------------------------------------------------------------------
# Robustness

_HTML_BITS = st.sampled_from(
    [
        "<p>", "</p>", "<li>", "</li>", "<ul>", "<br>", "<script>", "</script>", "<style>",
        "<figcaption>", "</figure>", "<![if", "<!--", "-->", "<!doctype html>", "&amp;", "&nbsp;",
        "&#", "&#x", ";", "<", ">", "&", "- ", "1. ", "• ", "\n\n", ":", ". ", "Lâm Đồng",
        "tuần 19 (từ ngày 07/5 đến ngày 13/5/2022)", "TP.", "x.jpg", "Ảnh minh họa", "\u00a0",
        "từ 31/02 - 13/5/99", "</", "<a href='", "'>", "\u0300",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400), st.one_of(st.none(), st.datetimes()))
def test_split_never_raises_on_text(content, published):
    digest = split_entry(text_entry(content, title="t", published=published))
    for item in digest.items:
        assert item.body and item.title


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_HTML_BITS, st.text(max_size=12)), max_size=60), st.text(max_size=30))
def test_split_never_raises_on_html(parts, title):
    digest = split_entry(text_entry("".join(parts), title=title))
    assert isinstance(digest.items, tuple)
    html_to_blocks("".join(parts))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Đ\u00a0\u200b\ufeff\t\r\n\u3000\u0301o\u2003.") , max_size=30)
       | st.text(max_size=30))
def test_clean_is_idempotent(text):
    # clean() returns already-clean text as it is: the fast path every stage relies on.
    assert clean(clean(text)) == clean(text)


_ODD_TEXT = st.text(
    alphabet=st.sampled_from("ab Đ\u00d0\u00f0\u00a0\u200b\ufeff\t\r\n\u3000\u0301o\u2003.-:•"),
    max_size=40,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_HTML_BITS, _ODD_TEXT, st.text(max_size=12)), max_size=40), _ODD_TEXT)
def test_split_gives_clean_text(parts, title):
    # Tagging takes split_entry's titles and bodies as they are, without cleaning them again.
    for content in ("".join(parts), "\n".join(parts)):
        for item in split_entry(text_entry(content, title=title)).items:
            assert clean(item.title) == item.title
            assert clean(item.body) == item.body


def test_glued_items_are_cut_only_at_a_heading(gaz):
    # Two items glued twice over in one paragraph; "TP.HCM" and "Postmart.vn" are glued dots
    # too, but no heading follows them within a heading's length, so nothing is cut there.
    content = (
        "<p>- Cà Mau: Bưu điện tỉnh bán nông sản trên Postmart.vn cho 300 hộ dân ở các xã ven "
        "biển, theo mô hình đã làm ở TP.HCM từ năm ngoái, kết quả được báo cáo như sau: tăng "
        "gấp đôi.Kon Tum: Sở KH&CN khai trương trung tâm giám sát an toàn thông tin.Yên Bái: "
        "Phủ sóng 4G tới 98% thôn, bản.</p>"
    )
    items = split_entry(text_entry(content, title="Điểm tin tuần 3"), gazetteer=gaz).items
    assert [i.body.split(":")[0] for i in items] == ["Cà Mau", "Kon Tum", "Yên Bái"]
    assert "TP.HCM từ năm ngoái" in items[0].body and items[0].body.endswith("gấp đôi.")
