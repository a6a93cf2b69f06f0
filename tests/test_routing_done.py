"""Issue 10's checks as a user sees them: Vũng Tàu typed in a chat and named in a digest."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.models import FeedEntry
from bot.intake.classify import classify_entry
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics


async def test_tinh_vung_tau_subscribes_ho_chi_minh_city_with_the_merger_note(user):
    text = await user.text("/tinh vung tau")
    assert "Bà Rịa – Vũng Tàu nay thuộc TP Hồ Chí Minh" in text
    assert await user.subscriptions() == {("province", "ho-chi-minh")}


def test_a_tp_vung_tau_bullet_is_ba_ria_vung_tau_now_ho_chi_minh_city():
    entry = FeedEntry(
        guid="vt", title="Điểm tin địa phương tuần 20",
        content="<p>Tin hoạt động của ngành tuần 20 (từ ngày 14/5 đến ngày 20/5/2022).</p>"
                "<ul><li>TP. Vũng Tàu khai trương 30 điểm phát wifi miễn phí ven biển.</li>"
                "<li>Sóc Trăng: Bưu điện tỉnh mở thêm 5 bưu cục.</li></ul>",
        published=datetime(2022, 5, 20, tzinfo=UTC),
    )
    _period, items = classify_entry(entry, gazetteer=default_gazetteer(),
                                    topics=default_topics())
    assert [(i.primary, i.current_units) for i in items] == [
        (("ba-ria-vung-tau",), ("ho-chi-minh",)), (("soc-trang",), ("can-tho",)),
    ]
