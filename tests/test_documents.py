"""Pushes and summaries as documents, rendered per messenger: Telegram HTML escaped, well formed
and split between items under 4,096 UTF-16 units; plain text under 2,000 characters."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import RateLimits
from bot.core.models import Period, TaggedItem
from bot.core.text import Text
from bot.delivery.documents import excerpt, item_block, places_label, summary_document
from bot.delivery.packing import Block, Document, cut, render_document
from bot.delivery.profile import Profile
from bot.messengers.plaintext import PlainText
from bot.messengers.telegram.html import TelegramHTML, to_terminal
from bot.messengers.telegram.profile import MAX_MESSAGE_UTF16, telegram_profile
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics
from tests.fakes.telegram import ApiError, html_to_text, utf16_len

GAZ = default_gazetteer()
TOPICS = default_topics()
TELEGRAM = telegram_profile(RateLimits())
PLAIN = Profile("plain-test", PlainText(), 2000, numbered_buttons=True, limits=RateLimits(global_per_second=5, private_burst=2, group_per_minute=10))
HTML = TelegramHTML()


def telegram_length(markup: str) -> int:
    return utf16_len(html_to_text(markup))


def render_items(items, *, lang="vi", header=None, profile=TELEGRAM) -> list[str]:
    blocks = tuple(item_block(i, lang=lang, gazetteer=GAZ) for i in items)
    document = Document(blocks, header=header)
    return [p["text"] for p in render_document(document, profile)]


def render_summary(items, *, lang="vi", profile=TELEGRAM, **kw) -> list[str]:
    document = summary_document(items, lang=lang, gazetteer=GAZ, topics=TOPICS, **kw)
    return [p["text"] for p in render_document(document, profile)]
WEEK19 = Period(date(2022, 5, 7), date(2022, 5, 13), 19)


def make(title: str, body: str = "", *, primary=(), topics=(), link="https://mic.gov.vn/a.htm", period=None, n=0) -> TaggedItem:
    return TaggedItem(
        item_id=f"r{n}:{title[:20]}", title=title, body=body or title, link=link, published=None,
        period=period, primary=tuple(primary),
        current_units=tuple(dict.fromkeys(GAZ.current_of(s).slug for s in primary)),
        topics=tuple(topics), seq=n + 1, stored_at=1.0,
    )


def visible(message: str) -> str:
    """What the user reads — parsed the way the fake Bot API (and Telegram) parses HTML."""
    text = html_to_text(message)
    assert utf16_len(text.strip()) <= MAX_MESSAGE_UTF16
    return text


def render(it: TaggedItem, lang: str = "vi") -> str:
    [message] = render_items([it], lang=lang)
    return message


# ----------------------------------------------------------------------------- one item


def test_item_shows_lead_place_with_current_unit_tags_excerpt_and_link():
    it = make(
        "Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá",
        "Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá. Bưu điện tỉnh Sóc Trăng đã tổ chức "
        "các buổi đào tạo dành cho đội ngũ bưu tá. " * 4,
        primary=["soc-trang"], topics=["buu-chinh", "chuyen-doi-so"],
    )
    html = render(it)
    assert html.startswith("<b>Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá</b>\n")
    text = visible(html)
    assert "📍 Sóc Trăng · nay TP Cần Thơ #buu_chinh #chuyen_doi_so" in text
    lines = text.split("\n")
    assert lines[2].startswith("Bưu điện tỉnh Sóc Trăng")  # the excerpt skips the lead
    assert lines[2].endswith("…") and len(lines[2]) <= 300 and not lines[2][:-1].endswith(" ")
    assert lines[3] == "Xem chi tiết"
    assert '<a href="https://mic.gov.vn/a.htm">Xem chi tiết</a>' in html
    assert "📍 Soc Trang · now Can Tho" in visible(render(it, "en"))


def test_national_item_and_unchanged_unit():
    assert "📍 Toàn quốc" in visible(render(make("Bộ ban hành chỉ số DTI")))
    assert "📍 Nationwide" in visible(render(make("DTI index", topics=["chuyen-doi-so"]), "en"))
    assert "📍 Lâm Đồng\n" in visible(render(make("Lâm Đồng: tin", "Lâm Đồng: tin. Thêm.", primary=["lam-dong"])))


def test_feed_text_is_escaped_and_only_http_links_kept():
    it = make(
        'Tiêu đề <script>alert("x")</script> & <b>đậm</b>',
        'Tiêu đề <script>alert("x")</script> & <b>đậm</b>. Nội dung <i>nghiêng</i> &amp; 1 < 2 > 0.',
        link="javascript:alert(1)",
    )
    html = render(it)
    text = visible(html)
    assert '<script>alert("x")</script> & <b>đậm</b>' in text
    assert "Nội dung <i>nghiêng</i> &amp; 1 < 2 > 0." in text
    assert "<a " not in html and "Xem chi tiết" not in text
    quoted = render(make("Tin", link='https://example.org/?q="x"&y=<1>'))
    assert 'href="https://example.org/?q=&quot;x&quot;&amp;y=&lt;1&gt;"' in quoted
    visible(quoted)
    assert "Xem chi tiết" not in visible(render(make("Tin", link="https://bad link")))


def test_untruncated_title_without_body_shows_no_repeat():
    html = render(make("Chỉ một câu", "Chỉ một câu"))
    assert visible(html).count("Chỉ một câu") == 1


def test_excerpt_after_a_truncated_title_starts_at_the_next_sentence():
    lead = "Hội Nông dân và Bưu điện TP. Phổ Yên, Thái Nguyên ký kết phối hợp hỗ trợ nông dân chuyển đổi số trong sản xuất nông nghiệp"
    it = make(lead[:119] + "…", lead + ". Nội dung ký kết tập trung vào việc rà soát.")
    assert excerpt(it) == "Nội dung ký kết tập trung vào việc rà soát."


# ----------------------------------------------------------------------------- measuring and cutting


def test_telegram_length_counts_utf16_of_visible_text():
    assert HTML.measure(Text.bold("a&b") + " 🎉") == len("a&b ") + 2
    assert HTML.measure(Text.of("Điểm tin")) == 8
    assert HTML.measure(Text.link("xem", "https://x.y/")) == 3
    assert HTML.render(Text.bold("a&b") + " <i>") == "<b>a&amp;b</b> &lt;i&gt;"


def test_a_cut_keeps_marks_whole_and_fits():
    text = Text.bold("&" * 50) + Text.italic("ab " * 50)
    for budget in (1, 2, 10, 49, 50, 51, 60, 120):
        short = cut(text, budget, TELEGRAM)
        assert HTML.measure(short) <= budget and str(short).endswith("…")
        html_to_text(HTML.render(short))  # raises on broken markup


def test_to_terminal():
    assert to_terminal('<b>Tin &lt;1&gt;</b>\n<a href="https://x.vn/?a=1&amp;b=2">Xem</a>') == (
        "Tin <1>\nXem <https://x.vn/?a=1&b=2>"
    )


# ----------------------------------------------------------------------------- many items


def test_items_split_only_between_items_and_each_message_fits():
    items = [
        make(f"Tin số {n} 🎉 " + "Lâm Đồng " * 20, "Lâm Đồng " * 200 + f" kết thúc {n}", primary=["lam-dong"], topics=["chuyen-doi-so"], n=n)
        for n in range(40)
    ]
    messages = render_items(items, header="🔔 " + Text.bold("Tin mới") + " (40)")
    assert len(messages) > 1
    assert messages[0].startswith("🔔 <b>Tin mới</b> (40)")
    blocks = [render(i) for i in items]
    joined = []
    for m in messages:
        text = visible(m)
        assert telegram_length(m) <= MAX_MESSAGE_UTF16 and text.strip()
        joined.extend(b for b in blocks if b in m)
    assert joined == blocks  # every item whole, once, in order


def test_giant_bullet_is_cut_with_ellipsis_and_keeps_its_link():
    body = "• " + "Chuyển đổi số <không> & an toàn " * 400  # > 10,000 characters
    assert len(body) > 10_000
    it = make(body, body, link="https://mic.gov.vn/dai.htm")
    [message] = render_items([it])
    text = visible(message)
    assert text.endswith("Xem chi tiết") and "…" in text


def test_a_block_longer_than_a_message_is_cut():
    big = Block(Text.bold("x" * 5000), tail=Text.link("Xem", "https://x.vn/1"))
    [message] = render_document(Document((big,), header=Text.of("H")), TELEGRAM)
    assert telegram_length(message["text"]) <= MAX_MESSAGE_UTF16
    assert message["text"].endswith('</b>…\n<a href="https://x.vn/1">Xem</a>')
    html_to_text(message["text"])


# ----------------------------------------------------------------------------- summaries


def test_summary_header_groups_and_totals():
    items = [
        make("Lâm Đồng: chuyển đổi số nông nghiệp", primary=["lam-dong"], topics=["chuyen-doi-so"], period=WEEK19, n=1),
        make("Sóc Trăng: đào tạo bưu tá", primary=["soc-trang"], topics=["buu-chinh"], period=WEEK19, n=2, link=""),
        make("Lâm Đồng: bưu điện xã", primary=["lam-dong"], topics=["buu-chinh"], period=WEEK19, n=3),
        make("Bộ: chỉ số DTI", topics=["chuyen-doi-so"], period=WEEK19, n=4),
    ]
    [message] = render_summary(items, totals={"chuyen-doi-so": 12, "buu-chinh": 5})
    text = visible(message)
    lines = text.split("\n")
    assert lines[0] == "🗞 Điểm tin tuần 19 (07/05–13/05/2022)"
    assert lines[1] == "4 tin khớp với đăng ký của bạn."
    order = [ln for ln in lines if ln.startswith(("📍", "•"))]
    assert order == [
        "📍 TP Cần Thơ", "• Sóc Trăng: đào tạo bưu tá",
        "📍 Lâm Đồng", "• Lâm Đồng: bưu điện xã", "• Lâm Đồng: chuyển đổi số nông nghiệp",
        "📍 Toàn quốc", "• Bộ: chỉ số DTI",
    ]
    assert lines[-1] == "📊 Cả nước trong tuần: Chuyển đổi số 12 · Bưu chính 5"
    assert '<a href="https://mic.gov.vn/a.htm">Lâm Đồng: bưu điện xã</a>' in message


def test_summary_without_items_is_one_short_line():
    [message] = render_summary([], lang="en", window=(date(2022, 5, 9), date(2022, 5, 16)))
    assert visible(message) == "🗞 Digest 09/05–16/05/2022: nothing matched your subscriptions."


def test_long_summary_repeats_the_heading_on_continuations():
    items = [make(f"Lâm Đồng: tin {n} " + "dài " * 40, primary=["lam-dong"], topics=["chuyen-doi-so"], period=WEEK19, n=n) for n in range(60)]
    messages = render_summary(items)
    assert len(messages) > 1
    for m in messages[1:]:
        text = visible(m).strip()
        assert text.startswith("📍 Lâm Đồng\nChuyển đổi số\n•")
    assert sum(visible(m).count("• ") for m in messages) == 60


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_rendered_messages_are_accepted_by_the_fake_parser(lang):
    it = make("<<&&>>", "<<&&>>" * 1000, primary=["ha-noi"])
    for message in render_items([it] * 3, lang=lang, header=Text.bold("x")):
        try:
            visible(message)
        except ApiError as exc:  # pragma: no cover - the assertion message
            pytest.fail(str(exc))


def test_merged_unit_labels_name_the_current_city_once():
    from tests.conftest import make_item

    gazetteer = default_gazetteer()
    brvt = make_item("Bà Rịa - Vũng Tàu: đô thị thông minh", provinces=("ba-ria-vung-tau",))
    soc_trang = make_item("Sóc Trăng: đào tạo bưu tá", provinces=("soc-trang",))
    assert places_label(brvt, "vi", gazetteer) == "Bà Rịa – Vũng Tàu · nay TP Hồ Chí Minh"
    assert places_label(soc_trang, "vi", gazetteer) == "Sóc Trăng · nay TP Cần Thơ"


# ----------------------------------------------------------------------------- a plain-text messenger


def test_plain_text_has_no_markup_and_writes_links_out():
    it = make("Tiêu đề <b>đậm</b> & 1 < 2", primary=["lam-dong"], topics=["buu-chinh"], link="https://mic.gov.vn/a?x=1&y=2")
    [message] = render_items([it], profile=PLAIN)
    assert message.startswith("Tiêu đề <b>đậm</b> & 1 < 2\n📍 Lâm Đồng #buu_chinh")
    assert message.endswith("Xem chi tiết: https://mic.gov.vn/a?x=1&y=2")


def test_plain_text_splits_under_2000_characters_between_items():
    items = [make(f"Tin {n} " + "Lâm Đồng " * 30, "Lâm Đồng " * 200, primary=["lam-dong"], n=n) for n in range(12)]
    messages = render_items(items, header=Text.bold("🔔 Tin mới") + " (12)", profile=PLAIN)
    assert len(messages) > 2 and all(len(m) <= 2000 for m in messages)
    assert messages[0].startswith("🔔 Tin mới (12)")
    assert sum(m.count("Xem chi tiết: https://mic.gov.vn/a.htm") for m in messages) == 12
    [giant] = render_items([make("x " * 3000, "x " * 3000)], profile=PLAIN)
    assert len(giant) <= 2000 and giant.endswith("…\nXem chi tiết: https://mic.gov.vn/a.htm")


def test_plain_summary_keeps_headings_on_continuations():
    items = [make(f"Lâm Đồng: tin {n} " + "dài " * 40, primary=["lam-dong"], topics=["chuyen-doi-so"], period=WEEK19, n=n) for n in range(60)]
    messages = render_summary(items, profile=PLAIN)
    assert len(messages) > 2 and all(len(m) <= 2000 for m in messages)
    for m in messages[1:]:
        assert m.strip().startswith("📍 Lâm Đồng\nChuyển đổi số\n•")
    assert sum(m.count("• ") for m in messages) == 60
