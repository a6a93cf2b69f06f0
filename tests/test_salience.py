"""Which province an item is about when its text names several: classify on short items."""

from __future__ import annotations

import pytest

from bot.core.models import RawItem
from bot.intake.classify import classify, provinces_of
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics

G = default_gazetteer()


def about(body: str, title: str = "", province: str | None = None) -> tuple[tuple, tuple]:
    item = classify(RawItem(title=title or body, body=body), gazetteer=G,
                    topics=default_topics(), default_province=province)
    return item.primary, item.mentioned


@pytest.mark.parametrize(
    ("body", "primary", "mentioned"),
    [
        # the actor wins over the place visited, the partner, the origin
        ("Sau chuyến khảo sát tại Huế, Sở TT&TT Gia Lai xây dựng đề án IOC.", ("gia-lai",), ("hue",)),
        ("UBND tỉnh Cà Mau ký kết hợp tác với TP Hồ Chí Minh về dữ liệu.", ("ca-mau",), ("ho-chi-minh",)),
        ("Hợp tác xã ở Sơn La gửi xoài đi Hà Nội qua Bưu điện tỉnh Sơn La.", ("son-la",), ("ha-noi",)),
        # a list of examples names no subject
        ("Các tỉnh như Hà Nam, Nam Định, Thái Bình đều đạt chỉ tiêu.", (), ("ha-nam", "nam-dinh", "thai-binh")),
        # the province named only later, as the actor of the second sentence
        ("Tỷ lệ hồ sơ trực tuyến tăng mạnh. Văn phòng UBND tỉnh Yên Bái cho biết như vậy.", ("yen-bai",), ()),
        # an aside in parentheses
        ("Sở TT&TT Phú Thọ (trước đây phối hợp với Vĩnh Phúc) tổ chức hội thảo.", ("phu-tho",), ("vinh-phuc",)),
    ],
)
def test_subject_and_passing(body: str, primary: tuple, mentioned: tuple) -> None:
    assert about(body) == (primary, mentioned)


@pytest.mark.parametrize(
    "body",
    [
        "Ông Trần Văn Long An phát biểu tại hội thảo về an toàn thông tin.",
        "Cửa hàng số 12 đường Hải Phòng mở bán điện thoại 5G.",
        "Du khách nghỉ tại khách sạn Sài Gòn trong dịp lễ.",
    ],
)
def test_people_streets_and_buildings_are_not_provinces(body: str) -> None:
    assert about(body) == ((), ())


def test_bare_province_words_name_the_feed_province() -> None:
    body = "Bưu điện tỉnh phối hợp với Hà Nội mở điểm bán vải. Toàn tỉnh có 40 điểm bán."
    assert about(body, province="bac-giang") == (("bac-giang",), ("ha-noi",))
    assert about("Các tỉnh, thành phố tăng tốc chuyển đổi số.", province="bac-giang")[0] == ("bac-giang",)
    assert about(body)[0] == ("ha-noi",) or about(body)[0] == ()  # without a feed province


def test_national_scope_keeps_the_venue_as_mentioned() -> None:
    body = "Hội nghị toàn quốc về chuyển đổi số diễn ra tại Hà Nội, kết nối 34 tỉnh, thành phố."
    assert about(body) == ((), ("ha-noi",))


def test_evidence_says_why() -> None:
    choice = provinces_of("", "Bưu điện huyện Di Linh mở lớp tập huấn cho nông dân.", gazetteer=G)
    assert choice.primary == ("lam-dong",)
    assert any("huyện Di Linh" in why and "actor" in why for why in choice.evidence["lam-dong"])
