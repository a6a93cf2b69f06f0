"""The province gazetteer against the real data file: counts, mergers, text matching, input."""

from __future__ import annotations

import tomllib
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.vietnamese.gazetteer import (
    DATA_FILE,
    NATIONAL,
    Gazetteer,
    Mention,
    Unit,
    default_gazetteer,
)
from bot.vietnamese.textnorm import clean, fold

G = default_gazetteer()
RAW = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
RAW_UNITS = {u["slug"]: u for u in RAW["units"]}

# Resolution 202/2025/QH15: current unit -> the old units it absorbed.
MERGERS = {
    "tuyen-quang": {"ha-giang"},
    "lao-cai": {"yen-bai"},
    "thai-nguyen": {"bac-kan"},
    "phu-tho": {"vinh-phuc", "hoa-binh"},
    "bac-ninh": {"bac-giang"},
    "hung-yen": {"thai-binh"},
    "hai-phong": {"hai-duong"},
    "ninh-binh": {"ha-nam", "nam-dinh"},
    "quang-tri": {"quang-binh"},
    "da-nang": {"quang-nam"},
    "quang-ngai": {"kon-tum"},
    "gia-lai": {"binh-dinh"},
    "khanh-hoa": {"ninh-thuan"},
    "lam-dong": {"dak-nong", "binh-thuan"},
    "dak-lak": {"phu-yen"},
    "ho-chi-minh": {"binh-duong", "ba-ria-vung-tau"},
    "dong-nai": {"binh-phuoc"},
    "tay-ninh": {"long-an"},
    "can-tho": {"soc-trang", "hau-giang"},
    "vinh-long": {"ben-tre", "tra-vinh"},
    "dong-thap": {"tien-giang"},
    "ca-mau": {"bac-lieu"},
    "an-giang": {"kien-giang"},
}
UNCHANGED = {
    "ha-noi", "hue", "lai-chau", "dien-bien", "son-la", "lang-son", "quang-ninh",
    "thanh-hoa", "nghe-an", "ha-tinh", "cao-bang",
}  # fmt: skip
CITIES = {"ha-noi", "hai-phong", "da-nang", "can-tho", "ho-chi-minh", "hue"}


def slugs(text: str) -> list[str]:
    return [m.slug for m in G.find_in_text(text)]


def text_spellings(slug: str) -> list[str]:
    """Every spelling the data allows in article text for a unit."""
    raw = RAW_UNITS[slug]
    old = [raw["old_name"]] if raw.get("old_name") else []
    return [raw["name"], *old, *raw.get("aliases", []), *raw.get("ascii_aliases", [])]


# Tone placement: "old" style puts the mark on the first vowel of oa/oe/uy, "new" on the second.
_STYLE_PAIRS = [
    (a + b, c) for a, b, c in [
        ("o", "à", "òa"), ("o", "á", "óa"), ("o", "ả", "ỏa"), ("o", "ã", "õa"), ("o", "ạ", "ọa"),
        ("o", "è", "òe"), ("o", "é", "óe"), ("o", "ẻ", "ỏe"), ("o", "ẽ", "õe"), ("o", "ẹ", "ọe"),
        ("u", "ỳ", "ùy"), ("u", "ý", "úy"), ("u", "ỷ", "ủy"), ("u", "ỹ", "ũy"), ("u", "ỵ", "ụy"),
    ]
]  # fmt: skip


def new_style(text: str) -> str:
    for new, old in _STYLE_PAIRS:
        text = text.replace(old, new)
    return text


def old_style(text: str) -> str:
    for new, old in _STYLE_PAIRS:
        text = text.replace(new, old)
    return text


# -- data ---------------------------------------------------------------------------------------


def test_counts() -> None:
    assert len(G.old_units()) == 63
    assert len(G.current_units()) == 34
    assert len({u.slug for u in G.units}) == len(G.units) == 63  # no unit was created anew


def test_every_old_unit_maps_to_a_current_one() -> None:
    for unit in G.old_units():
        current = G.current_of(unit.slug)
        assert current.in_current
        assert current.slug == unit.current
    for unit in G.current_units():
        assert G.current_of(unit.slug) == unit


def test_mergers_match_resolution_202() -> None:
    for current, absorbed in MERGERS.items():
        assert {u.slug for u in G.absorbed_by(current)} == absorbed, current
        for old in absorbed:
            assert not G.get(old).in_current
            assert G.current_of(old).slug == current
    for slug in UNCHANGED:
        assert G.get(slug).in_current and G.absorbed_by(slug) == []
    assert set(MERGERS) | UNCHANGED == {u.slug for u in G.current_units()}


def test_kinds_and_names() -> None:
    for unit in G.units:
        assert unit.kind == ("thành phố" if unit.slug in CITIES else "tỉnh"), unit.slug
        assert unit.slug.isascii() and unit.slug == unit.slug.lower()
        assert unit.full_name.lower().startswith(unit.kind)
    hue = G.get("hue")
    assert (hue.name, hue.old_name, hue.in_old, hue.in_current) == (
        "Huế",
        "Thừa Thiên Huế",
        True,
        True,
    )
    assert {"Thừa Thiên Huế", "Thừa Thiên - Huế"} <= set(hue.aliases)
    hcm = G.get("ho-chi-minh")
    assert hcm.full_name == "Thành phố Hồ Chí Minh"
    assert {"TP.HCM", "TPHCM", "Sài Gòn", "HCMC", "HCM"} <= set(hcm.aliases)


def test_regions() -> None:
    assert len(G.regions) == 7
    region_slugs = {r.slug for r in G.regions}
    assert all(u.region in region_slugs for u in G.units)
    assert all(r.name and r.name_en and r.slug.isascii() for r in G.regions)
    current = [u for r in G.regions for u in G.units_in_region(r.slug)]
    assert sorted(u.slug for u in current) == sorted(u.slug for u in G.current_units())
    every = [u for r in G.regions for u in G.units_in_region(r.slug, current_only=False)]
    assert len(every) == len(G.units)
    mekong = {u.slug for u in G.units_in_region("dong-bang-song-cuu-long")}
    assert mekong == {"can-tho", "vinh-long", "dong-thap", "ca-mau", "an-giang"}
    with pytest.raises(KeyError):
        G.units_in_region("mars")


def test_lookup_errors() -> None:
    with pytest.raises(KeyError):
        G.get("atlantis")
    with pytest.raises(KeyError):
        G.get(NATIONAL)
    with pytest.raises(KeyError):
        G.current_of("atlantis")
    with pytest.raises(KeyError):
        G.absorbed_by("atlantis")


def test_display() -> None:
    assert G.display("lam-dong") == "Lâm Đồng"
    assert G.display("ho-chi-minh") == "TP Hồ Chí Minh"
    assert G.display("ho-chi-minh", "en") == "Ho Chi Minh City"
    assert G.display("hue") == "Huế"
    assert G.display(NATIONAL) == "Toàn quốc"
    assert G.display(NATIONAL, "en") == "Nationwide"
    with pytest.raises(KeyError):
        G.display("atlantis")


def test_units_are_stable_and_cached() -> None:
    assert default_gazetteer() is G
    again = Gazetteer.load(DATA_FILE)
    assert again.units == G.units and again.regions == G.regions
    assert isinstance(G.units[0], Unit)


def test_bad_data_is_refused() -> None:
    data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    data["units"][0]["aliases"] = ["Lâm Đồng"]  # Hà Giang spelled like another unit
    with pytest.raises(ValueError):
        Gazetteer(data)
    data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    data["units"][0]["current"] = "yen-bai"  # not a current unit
    with pytest.raises(ValueError):
        Gazetteer(data)


# -- article text -------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", [u.slug for u in G.units])
def test_every_spelling_found_in_text(slug: str) -> None:
    for spelling in text_spellings(slug):
        for form in {spelling, new_style(spelling), old_style(spelling)}:
            for text in (
                f"Tin từ {form}: chuyển đổi số.",
                unicodedata.normalize("NFD", f"Tại {form}, hôm nay"),
                f"TIN TỪ {form.upper()}.",
                f"({form})",
                form,
            ):
                assert slugs(text) == [slug], text


def test_tone_mark_styles() -> None:
    for a, b in [("Thanh Hóa", "Thanh Hoá"), ("Khánh Hòa", "Khánh Hoà"), ("Hòa Bình", "Hoà Bình")]:
        assert slugs(a) == slugs(b) != []


def test_aliases_in_text() -> None:
    cases = {
        "ho-chi-minh": [
            "TP.HCM", "TPHCM", "TP. HCM", "Tp.HCM", "TP HCM", "TP. Hồ Chí Minh", "TP Hồ Chí Minh",
            "Tp. Hồ Chí Minh", "Thành phố Hồ Chí Minh", "thành phố Hồ Chí Minh", "Sài Gòn", "HCMC",
        ],
        "hue": ["Thừa Thiên Huế", "Thừa Thiên - Huế", "Thừa Thiên-Huế", "TT-Huế", "Huế"],
        "ba-ria-vung-tau": [
            "Bà Rịa - Vũng Tàu", "Bà Rịa – Vũng Tàu", "Bà Rịa — Vũng Tàu", "Bà Rịa-Vũng Tàu",
            "Bà Rịa–Vũng Tàu", "Bà Rịa—Vũng Tàu", "Bà Rịa Vũng Tàu", "BR-VT", "BRVT", "BR–VT",
        ],
        "dak-lak": ["Đắk Lắk", "Đắc Lắc", "Đăk Lăk", "Daklak", "DakLak", "Dak Lak"],
        "dak-nong": ["Đắk Nông", "Đăk Nông", "Đắc Nông", "Daknong"],
        "kon-tum": ["Kon Tum", "Kontum"],
        "lang-son": ["Xứ Lạng", "xứ Lạng"],
        "thanh-hoa": ["Xứ Thanh"],
        "bac-kan": ["Bắc Cạn"],
    }  # fmt: skip
    for slug, spellings in cases.items():
        for spelling in spellings:
            assert slugs(f"Sở TT&TT {spelling} cho biết") == [slug], spelling


def test_one_mention_per_name() -> None:
    text = "Thừa Thiên Huế và TP. Hồ Chí Minh, Thành phố Hồ Chí Minh"
    found = G.find_in_text(text)
    assert [(m.slug, m.surface) for m in found] == [
        ("hue", "Thừa Thiên Huế"),
        ("ho-chi-minh", "TP. Hồ Chí Minh"),
        ("ho-chi-minh", "Thành phố Hồ Chí Minh"),
    ]


def test_input_only_aliases_not_in_text() -> None:
    assert slugs("Đoàn TNCS Hồ Chí Minh, tư tưởng Hồ Chí Minh") == []
    assert slugs("Lăng Chủ tịch Hồ Chí Minh ở Thủ đô Hà Nội") == ["ha-noi"]
    assert slugs("thủ đô Viêng Chăn, Thủ đô của Lào") == []
    assert slugs("HCM") == []
    assert slugs("Ví giặm xứ Nghệ") == []


@pytest.mark.parametrize(
    "text",
    [
        "người nông dân làm đồng từ sáng sớm",
        "lam dong, ha noi, da nang, quang nam",  # unaccented words in articles are not names
        "Hội Nông dân và hội viên nông dân",
        "Sau khi thái nguyên liệu thành lát mỏng",
        "vì hòa bình thế giới; Giải Nobel Hòa bình",
        "chiến dịch bình định nông thôn",
        "cao bằng người lớn",
        "nghiên cứu hải dương học; Viện Hải dương học",
        "Viện Hải Dương Học Nha Trang",
        "khu vực châu Á - Thái Bình Dương; THÁI BÌNH DƯƠNG",
        "vùng Đồng Tháp Mười",
        "Báo Sài Gòn Giải Phóng đưa tin",
        "bà Nguyễn Thị Huế, Phó Giám đốc",
        "quản trị hệ thống; kiến trúc sư trưởng",
        "hạ tầng số, long an toàn, gia lai tạo",
        "vĩnh phúc cho muôn đời",
        "Postmart.vn, khoảng 2,8 người",
    ],
)
def test_no_false_hits(text: str) -> None:
    assert slugs(text) == []


def test_lookalike_names() -> None:
    assert slugs("Quảng Ngãi, Quảng Nam, Quảng Ninh, Quảng Bình, Quảng Trị") == [
        "quang-ngai", "quang-nam", "quang-ninh", "quang-binh", "quang-tri",
    ]  # fmt: skip
    assert slugs("Hà Nam, Hà Nội, Hà Giang, An Giang, Hà Tĩnh") == [
        "ha-nam", "ha-noi", "ha-giang", "an-giang", "ha-tinh",
    ]  # fmt: skip
    assert slugs("Bình Định, Bình Dương, Bình Phước, Bình Thuận, Ninh Bình") == [
        "binh-dinh", "binh-duong", "binh-phuoc", "binh-thuan", "ninh-binh",
    ]  # fmt: skip
    assert slugs("Thái Bình, Thái Nguyên") == ["thai-binh", "thai-nguyen"]
    assert slugs("Long An ninh mạng") == ["long-an"]  # a name is a name
    # A sentence end does not glue two words into a name.
    assert slugs("TP Đông Hà. Nam Định cũng vậy") == ["quang-tri", "nam-dinh"]  # Đông Hà: a city
    assert slugs("tuyến Đông Hà - Nam Định") == ["nam-dinh"]
    assert slugs("đô thị Huế") == ["hue"]


def test_word_boundaries() -> None:
    assert slugs("HuếHà Nội") == []
    assert slugs("Hà Nội2022") == []
    assert slugs("xTPHCM, TPHCMx, daklak.gov.vn") == ["dak-lak"]
    assert slugs("Hà Nội-Hải Phòng") == ["ha-noi", "hai-phong"]


SAMPLE = (
    "- Hội Nông dân và Bưu điện TP. Phổ Yên, Thái Nguyên ký kết phối hợp hỗ trợ nông dân "
    "chuyển đổi số trong sản xuất nông nghiệp và tiêu thụ sản phẩm hàng hóa.\n\n"
    "- Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá. Bưu điện tỉnh Sóc Trăng đã tổ "
    "chức các buổi đào tạo.\n\n"
    "Bưu điện Đà Nẵng cho biết, sau khi có kết quả phê duyệt các sản phẩm của TP Đà Nẵng tham "
    "gia chương trình “Festival trái cây và sản phẩm OCOP Việt Nam năm 2022” được tổ chức tại "
    "TP Sơn La (tỉnh Sơn La) từ ngày 15 đến 19/5.\n\n"
    "- Lạng Sơn huy động 7.776 thành viên các Tổ công nghệ cộng đồng tham gia hướng dẫn, hỗ "
    'trợ người dân cài đặt và sử dụng nền tảng "Công dân số - Xứ Lạng".\xa0Bên cạnh đó.\n\n'
    "- Bà Rịa - Vũng Tàu đặt mục tiêu đến năm 2030 từng bước tiệm cận với các đô thị thông "
    "minh.\xa0Bà Rịa - Vũng Tàu hướng đến mục tiêu nằm trong nhóm 10 tỉnh, thành phố dẫn đầu "
    "cả nước."
)


def test_sample_digest_mentions() -> None:
    found = G.find_in_text(SAMPLE)
    assert [(m.slug, m.start, m.end, m.level) for m in found] == [
        ("thai-nguyen", 27, 38, "district"),  # "TP. Phổ Yên", a city of Thái Nguyên
        ("thai-nguyen", 40, 51, "province"),
        ("soc-trang", 159, 168, "province"),
        ("soc-trang", 229, 238, "province"),
        ("da-nang", 278, 285, "province"),
        ("da-nang", 342, 352, "province"),  # "TP Đà Nẵng", the unit's own name
        ("son-la", 447, 456, "district"),  # "TP Sơn La (tỉnh Sơn La)": the city, the province
        ("son-la", 463, 469, "province"),
        ("lang-son", 495, 503, "province"),
        ("lang-son", 637, 644, "province"),  # "Công dân số - Xứ Lạng": the nickname
        ("ba-ria-vung-tau", 663, 680, "province"),
        ("ba-ria-vung-tau", 753, 770, "province"),  # after a no-break space, which clean() turns into " "
    ]
    cleaned = clean(SAMPLE)
    assert all(cleaned[m.start : m.end] == m.surface for m in found)
    assert found[1] == Mention("thai-nguyen", 40, 51, "Thái Nguyên")


# -- user input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", [u.slug for u in G.units])
def test_every_unit_resolves(slug: str) -> None:
    unit = G.get(slug)
    queries = [
        unit.name,
        fold(unit.name),
        unit.slug,
        unit.full_name,
        fold(unit.full_name),
        unit.name.upper(),
        unicodedata.normalize("NFD", unit.name),
        f"  tỉnh {unit.name}. ",
        f"TP. {fold(unit.name)}",
        fold(unit.name).replace(" ", ""),
        new_style(unit.name),
        old_style(unit.name),
        *unit.aliases,
        *(fold(a) for a in unit.aliases),
    ]
    for query in queries:
        result = G.resolve(query)
        assert result.unit == unit, query
        assert not result.national and result.suggestions == ()
        assert result.query == query


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("lam dong", "lam-dong"),
        ("ba ria vung tau", "ba-ria-vung-tau"),
        ("Bà Rịa – Vũng Tàu", "ba-ria-vung-tau"),
        ("hcm", "ho-chi-minh"),
        ("tp hcm", "ho-chi-minh"),
        ("TP.HCM", "ho-chi-minh"),
        ("Hồ Chí Minh", "ho-chi-minh"),
        ("thanh pho ho chi minh", "ho-chi-minh"),
        ("Sài Gòn", "ho-chi-minh"),
        ("hochiminh", "ho-chi-minh"),
        ("thua thien hue", "hue"),
        ("Thừa Thiên - Huế", "hue"),
        ("thành phố Huế", "hue"),
        ("dak lak", "dak-lak"),
        ("daklak", "dak-lak"),
        ("Đắc Lắc", "dak-lak"),
        ("đăk nông", "dak-nong"),
        ("kontum", "kon-tum"),
        ("xứ lạng", "lang-son"),
        ("xu nghe", "nghe-an"),
        ("thủ đô", "ha-noi"),
        ("hanoi", "ha-noi"),
        ("lam-dong", "lam-dong"),
        ("can tho", "can-tho"),
        ("quang nam", "quang-nam"),
        ("thanh hoa", "thanh-hoa"),
        ("KHÁNH HOÀ", "khanh-hoa"),
        ("làm đồng", "lam-dong"),  # user input: accents are a hint, not a requirement
        ("#lam_dong!", "lam-dong"),
    ],
)
def test_resolve_examples(query: str, slug: str) -> None:
    assert G.resolve(query).unit == G.get(slug)


def test_resolve_old_unit_maps_to_current() -> None:
    result = G.resolve("quang nam")
    assert result.unit is not None and result.unit.slug == "quang-nam"
    assert G.current_of(result.unit.slug).slug == "da-nang"


@pytest.mark.parametrize(
    "query",
    ["toàn quốc", "toan quoc", "Toàn Quốc", "cả nước", "ca nuoc", "national", "Nationwide",
     "toan-quoc", NATIONAL],
)  # fmt: skip
def test_resolve_national(query: str) -> None:
    result = G.resolve(query)
    assert result.national and result.unit is None and result.suggestions == ()


@pytest.mark.parametrize(
    ("query", "first"),
    [("lam dongg", "lam-dong"), ("ha noii", "ha-noi"), ("da nag", "da-nang"),
     ("Lâm Đồg", "lam-dong"), ("thanh hao", "thanh-hoa"), ("tinh can thoo", "can-tho")],
)  # fmt: skip
def test_typos_get_suggestions(query: str, first: str) -> None:
    result = G.resolve(query)
    assert result.unit is None and not result.national
    assert 1 <= len(result.suggestions) <= 3
    assert result.suggestions[0].slug == first
    assert len({u.slug for u in result.suggestions}) == len(result.suggestions)


@pytest.mark.parametrize("query", ["", "   ", "!!!", "xyzzy qwerty", "tỉnh", "TP."])
def test_nothing_found(query: str) -> None:
    result = G.resolve(query)
    assert result.unit is None and not result.national


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_resolve_never_raises(query: str) -> None:
    result = G.resolve(query)
    assert result.query == query
    assert len(result.suggestions) <= 3
    assert result.unit is None or result.suggestions == ()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_find_in_text_offsets_hold_on_any_text(text: str) -> None:
    cleaned = clean(text)
    end = 0
    for m in G.find_in_text(text):
        assert cleaned[m.start : m.end] == m.surface
        assert m.start >= end
        end = m.end


_FILLER = ["hôm nay", "Sở TT&TT", "tỉnh", "và", "chuyển đổi số", "nông dân", "TP.", "tại", ","]
_NAMED = [(u.slug, s) for u in G.units for s in text_spellings(u.slug)]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_FILLER), st.sampled_from(_NAMED)), min_size=1, max_size=6)
)
def test_names_among_filler(parts: list[tuple[str, tuple[str, str]]]) -> None:
    text = " ".join(f"{filler} {spelling}" for filler, (_slug, spelling) in parts) + " ."
    assert slugs(text) == [slug for _filler, (slug, _spelling) in parts]


# -- districts, towns and communes --------------------------------------------------------------


def places(text: str) -> list[tuple[str, str]]:
    return [(m.slug, m.level) for m in G.find_in_text(text)]


def test_localities_data_covers_both_eras() -> None:
    from bot.vietnamese.gazetteer import read_localities

    rows = read_localities()
    levels = {level: sum(1 for r in rows if r.level == level) for level in ("district", "town", "commune")}
    assert levels == {"district": 696, "town": 616, "commune": 3321}
    assert {r.province for r in rows if r.level == "commune"} == {u.slug for u in G.current_units()}
    assert {r.province for r in rows if r.level == "district"} == {u.slug for u in G.old_units()}


@pytest.mark.parametrize(
    ("text", "slug", "level"),
    [
        ("Bưu điện huyện Di Linh phối hợp", "lam-dong", "district"),
        ("tại TP. Phổ Yên", "thai-nguyen", "district"),
        ("TP.Phổ Yên", "thai-nguyen", "district"),
        ("thị xã Phổ Yên (nay là thành phố)", "thai-nguyen", "district"),  # the kind may be old
        ("TX. Sơn Tây", "ha-noi", "district"),  # Quảng Ngãi's Sơn Tây is a huyện
        ("huyện Sơn Tây", "quang-ngai", "district"),
        ("huyện Quảng Ninh", "quang-binh", "district"),  # not Quảng Ninh province
        ("thành phố Thái Bình", "thai-binh", "district"),
        ("Quận Ninh Kiều", "can-tho", "district"),
        ("Thị trấn Tam Đảo", "vinh-phuc", "town"),
        ("xã Bảo Lạc", "cao-bang", "commune"),
        ("Phường Hà Giang 1", "tuyen-quang", "commune"),  # a 34-era ward of the new Tuyên Quang
        ("phường Xuân Hương - Đà Lạt", "lam-dong", "commune"),
        ("Đặc khu Phú Quốc", "an-giang", "commune"),
    ],
)
def test_localities_name_their_province(text: str, slug: str, level: str) -> None:
    assert places(text) == [(slug, level)]


def test_a_shared_name_counts_only_with_its_province_named() -> None:
    assert places("huyện Châu Thành ra mắt mô hình mới") == []  # eight provinces have one
    assert places("huyện Châu Thành, tỉnh Tiền Giang") == [
        ("tien-giang", "district"), ("tien-giang", "province"),
    ]
    assert places("Huyện Châu Thành (Bến Tre)") == [("ben-tre", "district"), ("ben-tre", "province")]


def test_localities_need_their_kind_and_capitals() -> None:
    assert places("Di Linh, Phổ Yên, Sơn Tây") == []  # bare: people, streets, words
    assert places("chuyển đổi số xã hội; thị xã hội nhập") == []
    assert places("các xã, phường và thị trấn") == []


def test_a_locality_does_not_swallow_a_dashed_province() -> None:
    assert places("TP. Bà Rịa - Vũng Tàu") == [("ba-ria-vung-tau", "province")]
    assert places("TP. Vũng Tàu và Vũng Tàu") == [
        ("ba-ria-vung-tau", "district"), ("ba-ria-vung-tau", "province"),
    ]


def test_vung_tau_and_eth_spellings() -> None:
    assert G.resolve("vung tau").unit.slug == "ba-ria-vung-tau"
    assert G.resolve("TP. Vũng Tàu").unit.slug == "ba-ria-vung-tau"
    assert G.resolve("Ðà Nẵng").unit.slug == "da-nang"  # U+00D0, the look-alike of Đ
    assert slugs("ÐẮK LẮK, Ðồng Nai") == ["dak-lak", "dong-nai"]


def test_one_display_name_per_unit() -> None:
    assert [G.display(s) for s in ("can-tho", "ho-chi-minh", "da-nang", "hue", "ha-noi")] == [
        "TP Cần Thơ", "TP Hồ Chí Minh", "TP Đà Nẵng", "Huế", "Hà Nội",
    ]
    assert G.display_with_current("soc-trang") == ("Sóc Trăng", "TP Cần Thơ")
    assert G.display_with_current("can-tho") == ("TP Cần Thơ", None)
    assert G.display_with_current("ba-ria-vung-tau", "en") == ("Ba Ria – Vung Tau", "Ho Chi Minh City")
    ordered = sorted(["ca-mau", "can-tho", "an-giang"], key=G.sort_key)
    assert ordered == ["an-giang", "ca-mau", "can-tho"]  # "TP Cần Thơ" among the C's
