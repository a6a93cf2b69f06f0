"""bot.intake.feeds against a real HTTP server on 127.0.0.1 and real files: no mocks."""

from __future__ import annotations

import socket
import time
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.intake.feeds import (
    USER_AGENT,
    FeedParseError,
    FetchState,
    fetch_feed,
    make_client,
    parse_feed_bytes,
)
from bot.vietnamese.textnorm import TONE_MARKS
from tests.feedserver import FeedServer
from tests.feedserver import feed_server as feed_server_fixture  # noqa: F401 - registers it

FEED_TITLE = "Bản tin CNTT-TT các tỉnh, thành phố"
TITLE_19 = "Điểm tin CNTT-TT tuần 19 (từ ngày 07/5 đến ngày 13/5/2022)"
TITLE_20 = "Điểm tin CNTT-TT tuần 20 (từ ngày 14/5 đến ngày 20/5/2022)"
BULLET = "- Lâm Đồng: Hỗ trợ nông dân chuyển đổi số trong sản xuất nông nghiệp"
BULLET_2 = "- Thừa Thiên Huế: Ra mắt ứng dụng Hue-S phiên bản mới"

RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>{FEED_TITLE}</title>
  <link>https://mic.gov.vn/</link>
  <description>Điểm tin hằng tuần</description>
  <item>
    <title>{TITLE_19}</title>
    <link>https://mic.gov.vn/diem-tin/tuan-19-2022.htm</link>
    <guid isPermaLink="false">mic-diemtin-2022-19</guid>
    <pubDate>Sat, 14 May 2022 08:30:00 +0700</pubDate>
    <description>Tóm tắt ngắn</description>
    <content:encoded><![CDATA[<p>{BULLET}.</p><p><b>{BULLET_2}</b>.</p>]]></content:encoded>
  </item>
  <item>
    <title>{TITLE_20}</title>
    <link>https://mic.gov.vn/diem-tin/tuan-20-2022.htm</link>
    <description>&lt;p&gt;{BULLET}&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Đà Nẵng: 5G&lt;/li&gt;&lt;/ul&gt;</description>
  </item>
  <item>
    <title>Tin không có đường dẫn</title>
    <description>- Cà Mau: Phủ sóng 4G toàn tỉnh</description>
  </item>
</channel>
</rss>
"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{FEED_TITLE}</title>
  <id>urn:diemtin:test</id>
  <updated>2022-05-21T02:00:00Z</updated>
  <entry>
    <title>{TITLE_20}</title>
    <id>urn:diemtin:2022-20</id>
    <link href="/diem-tin/tuan-20.htm"/>
    <updated>2022-05-21T09:00:00+07:00</updated>
    <summary>Tóm tắt</summary>
    <content type="html">&lt;p&gt;{BULLET}&lt;/p&gt;</content>
  </entry>
</feed>
"""

EMPTY_RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{FEED_TITLE}</title><link>https://mic.gov.vn/</link>
<description>x</description></channel></rss>"""

LAST_MODIFIED = "Sat, 14 May 2022 01:30:00 GMT"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def encode_cp1258(text: str) -> bytes:
    """Encode like a Vietnamese Windows app: base letter (with its hat/horn) then a combining tone."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = nfc("".join(c for c in parts if c not in TONE_MARKS))
            out += (base + "".join(c for c in parts if c in TONE_MARKS)).encode("cp1258")
    return bytes(out)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- HTTP: success, conditional GET, errors ---------------------------------------------------


async def test_rss_200_then_304(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS, etag='"v19"', last_modified=LAST_MODIFIED)
    first = await fetch_feed(feed_server.url("/rss"))
    assert first.status == "ok", first.error
    assert first.http_status == 200 and first.error is None and first.warning is None
    assert first.state == FetchState('"v19"', LAST_MODIFIED)
    assert first.feed_title == FEED_TITLE
    assert first.bytes_read == len(RSS.encode())
    assert [e.title for e in first.entries][:2] == [TITLE_19, TITLE_20]

    second = await fetch_feed(feed_server.url("/rss"), first.state)
    assert second.status == "not_modified"
    assert second.entries == () and second.bytes_read == 0 and second.http_status == 304
    assert second.state == first.state

    req1, req2 = feed_server.requests_to("/rss")
    assert req1.headers["If-None-Match"] is None and req1.headers["If-Modified-Since"] is None
    assert req2.headers["If-None-Match"] == '"v19"'
    assert req2.headers["If-Modified-Since"] == LAST_MODIFIED
    assert req1.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("diemtin/")


async def test_last_modified_alone_gives_304(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS, last_modified=LAST_MODIFIED)
    result = await fetch_feed(feed_server.url("/rss"), FetchState(last_modified=LAST_MODIFIED))
    assert result.status == "not_modified"
    assert result.state == FetchState(None, LAST_MODIFIED)


async def test_changed_feed_replaces_validators(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS, etag='"v20"')
    result = await fetch_feed(feed_server.url("/rss"), FetchState('"v19"', LAST_MODIFIED))
    assert result.status == "ok"
    assert result.state == FetchState('"v20"', None)


@pytest.mark.parametrize("status", [500, 404, 403])
async def test_http_error_status(feed_server: FeedServer, status: int) -> None:
    feed_server.fail("/rss", status)
    old = FetchState('"v1"', LAST_MODIFIED)
    result = await fetch_feed(feed_server.url("/rss"), old)
    assert result.status == "error"
    assert result.error == f"HTTP {status}"
    assert result.http_status == status
    assert result.state == old


async def test_timeout_is_an_error_and_fast(feed_server: FeedServer) -> None:
    feed_server.slow("/rss", 5, RSS)
    started = time.monotonic()
    result = await fetch_feed(feed_server.url("/rss"), timeout=0.5)
    assert time.monotonic() - started < 2
    assert result.status == "error"
    assert result.error == "timeout after 0.5s"


async def test_slow_drip_hits_the_whole_download_deadline(feed_server: FeedServer) -> None:
    feed_server.drip("/rss", RSS.encode() * 4, chunk_size=64, interval=0.1)
    started = time.monotonic()
    result = await fetch_feed(feed_server.url("/rss"), timeout=0.3)
    assert time.monotonic() - started < 2
    assert result.status == "error"
    assert result.error is not None and result.error.startswith("timeout after 0.9s")


async def test_connection_refused_and_userinfo_not_leaked() -> None:
    result = await fetch_feed(f"http://admin:s3cret@127.0.0.1:{closed_port()}/rss", timeout=2)
    assert result.status == "error"
    assert result.error is not None and result.error.startswith("connection failed")
    assert "s3cret" not in result.error and "admin" not in result.error


@pytest.mark.parametrize("url", ["ftp://mic.gov.vn/rss.xml", "gopher://x/"])
async def test_unsupported_scheme(url: str) -> None:
    result = await fetch_feed(url)
    assert result.status == "error" and "unsupported URL scheme" in (result.error or "")


# --- body size cap ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True])
async def test_body_over_cap_is_aborted(feed_server: FeedServer, chunked: bool) -> None:
    padding = "<!-- " + "x" * (1024 * 1024) + " -->"
    feed_server.serve("/big", RSS.replace("<channel>", padding + "<channel>"), chunked=chunked)
    result = await fetch_feed(feed_server.url("/big"), max_bytes=64 * 1024)
    assert result.status == "error"
    assert result.error == "body over 64 KB cap"
    assert result.http_status == 200
    if chunked:  # no Content-Length: stopped while streaming, a chunk or so past the cap
        assert 64 * 1024 < result.bytes_read <= 64 * 1024 + 32 * 1024
    else:  # rejected on the Content-Length header before reading the body
        assert result.bytes_read == 0


@pytest.mark.parametrize("chunked", [False, True])
async def test_cap_boundary(feed_server: FeedServer, chunked: bool) -> None:
    size = len(RSS.encode())
    feed_server.serve("/rss", RSS, chunked=chunked, chunk_size=500)
    exact = await fetch_feed(feed_server.url("/rss"), max_bytes=size)
    over = await fetch_feed(feed_server.url("/rss"), max_bytes=size - 1)
    assert exact.status == "ok" and exact.bytes_read == size
    assert over.status == "error" and over.error == f"body over {size - 1} bytes cap"


async def test_default_cap_message() -> None:
    from bot.intake import feeds

    assert feeds._size(10 * 1024 * 1024) == "10 MB"


# --- redirects --------------------------------------------------------------------------------


def chain(server: FeedServer, hops: int) -> str:
    """/hop0 → /hop1 → … → /rss, `hops` redirects in all; returns the first URL."""
    for i in range(hops):
        target = f"/hop{i + 1}" if i + 1 < hops else "/rss"
        server.redirect(f"/hop{i}", target, status=301 if i % 2 else 302)
    return server.url("/hop0")


async def test_redirect_followed(feed_server: FeedServer) -> None:
    feed_server.serve("/new/atom.xml", ATOM, "application/atom+xml", etag='"a1"')
    feed_server.redirect("/old", feed_server.url("/new/atom.xml"), status=308)
    result = await fetch_feed(feed_server.url("/old"))
    assert result.status == "ok", result.error
    assert result.state.etag == '"a1"'
    # Relative links resolve against the final URL, not the one asked for.
    assert result.entries[0].link == feed_server.url("/diem-tin/tuan-20.htm")

    again = await fetch_feed(feed_server.url("/old"), result.state)
    assert again.status == "not_modified"
    assert feed_server.requests_to("/new/atom.xml")[1].headers["If-None-Match"] == '"a1"'


async def test_five_redirects_ok_six_too_many(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS)
    assert (await fetch_feed(chain(feed_server, 5))).status == "ok"
    result = await fetch_feed(chain(feed_server, 6))
    assert result.status == "error" and result.error == "too many redirects"


async def test_redirect_loop(feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", "/a")
    started = time.monotonic()
    result = await fetch_feed(feed_server.url("/a"))
    assert result.status == "error" and result.error == "too many redirects"
    assert feed_server.hits("/a") + feed_server.hits("/b") == 6
    assert time.monotonic() - started < 2


async def test_max_redirects_applies_to_a_shared_client(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS)
    async with make_client(max_redirects=20) as client:
        result = await fetch_feed(chain(feed_server, 3), client=client, max_redirects=2)
        assert result.error == "too many redirects"
        ok = await fetch_feed(chain(feed_server, 3), client=client)
        assert ok.status == "ok"


async def test_redirect_to_file_url_refused(feed_server: FeedServer, tmp_path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_text(RSS, encoding="utf-8")
    feed_server.redirect("/rss", secret.as_uri())
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "error" and result.entries == ()


# --- malformed, empty, odd content ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body><h1>502 Bad Gateway</h1>",
        RSS[: RSS.index("<item>")].encode(),  # cut off before the first item
        b"\x00\x01\x02 not xml at all",
    ],
    ids=["empty", "html-error-page", "truncated", "binary"],
)
async def test_malformed_without_entries_is_an_error(feed_server: FeedServer, body: bytes) -> None:
    feed_server.serve("/rss", body)
    result = await fetch_feed(feed_server.url("/rss"), FetchState('"old"'))
    assert result.status == "error"
    assert result.error is not None and result.error.startswith("malformed feed: ")
    assert result.state == FetchState('"old"')
    with pytest.raises(FeedParseError):
        parse_feed_bytes(body)


async def test_well_formed_xml_that_is_no_feed_is_an_error(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", "<?xml version='1.0'?><html><body><p>Xin chào</p></body></html>")
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.error == "malformed feed: not an RSS or Atom document"


async def test_bozo_feed_with_entries_is_used_with_warning(feed_server: FeedServer) -> None:
    broken = RSS.replace("Tin không có đường dẫn", "Bình Dương & Đồng Nai")  # raw "&"
    broken = broken.replace("</channel>", "</item></channel>")  # stray closing tag too
    feed_server.serve("/rss", broken)
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "ok"
    assert result.warning
    assert len(result.entries) == 3
    assert result.entries[0].title == TITLE_19
    assert "Bình Dương" in result.entries[2].title


async def test_empty_valid_feed_is_ok(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", EMPTY_RSS)
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "ok" and result.entries == () and result.warning is None
    assert result.feed_title == FEED_TITLE


async def test_non_xml_content_type_still_parses_with_warning(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS, "text/html; charset=utf-8")
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "ok" and len(result.entries) == 3
    assert result.warning and "not an XML media type" in result.warning


async def test_gzip_encoded_response(feed_server: FeedServer) -> None:
    import gzip

    feed_server.serve("/rss", gzip.compress(RSS.encode()), headers={"Content-Encoding": "gzip"})
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "ok" and result.warning is None
    assert result.entries[0].title == TITLE_19


# --- encodings --------------------------------------------------------------------------------


def cp1258_feed() -> bytes:
    body = RSS.replace('encoding="UTF-8"', 'encoding="windows-1258"')
    data = encode_cp1258(body)
    assert b"\xcc" in data or b"\xec" in data or b"\xf2" in data  # real combining tone bytes
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    return data


@pytest.mark.parametrize(
    "content_type",
    ["application/rss+xml", "text/xml", "text/xml; charset=windows-1258", "application/xml"],
)
async def test_windows_1258_feed(feed_server: FeedServer, content_type: str) -> None:
    feed_server.serve("/rss", cp1258_feed(), content_type)
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "ok", result.error
    assert result.warning is None
    assert result.feed_title == FEED_TITLE
    first = result.entries[0]
    assert first.title == TITLE_19  # NFC, so equal to the precomposed literal
    assert unicodedata.is_normalized("NFC", first.content)
    assert f"<p>{BULLET}.</p>" in first.content
    assert result.entries[2].content == "- Cà Mau: Phủ sóng 4G toàn tỉnh"


def test_windows_1258_without_headers() -> None:
    entries, title, warning = parse_feed_bytes(cp1258_feed())
    assert title == FEED_TITLE and warning is None
    assert entries[1].title == TITLE_20


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
async def test_utf16_feed(feed_server: FeedServer, codec: str) -> None:
    body = RSS.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    data = body.encode(codec) if codec == "utf-16" else b"\xfe\xff" + body.encode(codec)
    feed_server.serve("/rss", data, "application/rss+xml")
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "ok", result.error
    assert [e.title for e in result.entries][:2] == [TITLE_19, TITLE_20]
    assert BULLET in result.entries[0].content


async def test_text_xml_without_charset_is_read_as_declared(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS, "text/xml")
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "ok" and result.warning is None
    assert result.entries[0].title == TITLE_19


async def test_decomposed_utf8_is_normalised(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", unicodedata.normalize("NFD", RSS))
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.feed_title == FEED_TITLE
    assert result.entries[0].title == TITLE_19
    assert BULLET in result.entries[0].content


# --- entry fields -----------------------------------------------------------------------------


def test_rss_entry_fields() -> None:
    entries, title, warning = parse_feed_bytes(RSS.encode(), base_url="https://mic.gov.vn/rss")
    assert (title, warning, len(entries)) == (FEED_TITLE, None, 3)
    full, escaped, bare = entries

    assert full.guid == "mic-diemtin-2022-19"
    assert full.link == "https://mic.gov.vn/diem-tin/tuan-19-2022.htm"
    # content:encoded (CDATA, full HTML) wins over the short description; tags are kept.
    assert full.content == f"<p>{BULLET}.</p><p><b>{BULLET_2}</b>.</p>"
    assert full.published == datetime(2022, 5, 14, 1, 30, tzinfo=UTC)
    assert full.published.utcoffset().total_seconds() == 0

    assert escaped.guid == "https://mic.gov.vn/diem-tin/tuan-20-2022.htm"  # no guid: the link
    assert escaped.content == f"<p>{BULLET}</p><ul><li>Đà Nẵng: 5G</li></ul>"
    assert escaped.published is None

    assert bare.link == "" and bare.guid.startswith("sha1:")  # no guid, no link: a content hash
    assert parse_feed_bytes(RSS.encode())[0][2].guid == bare.guid  # stable across polls


def test_hash_guid_differs_between_items() -> None:
    other = RSS.replace("Cà Mau: Phủ sóng 4G", "Bạc Liêu: Phủ sóng 5G")
    assert parse_feed_bytes(other.encode())[0][2].guid != parse_feed_bytes(RSS.encode())[0][2].guid


async def test_atom_feed(feed_server: FeedServer) -> None:
    feed_server.serve("/atom.xml", ATOM, "application/atom+xml")
    result = await fetch_feed(feed_server.url("/atom.xml"))
    assert result.status == "ok" and result.warning is None
    (entry,) = result.entries
    assert entry.guid == "urn:diemtin:2022-20"
    assert entry.title == TITLE_20
    assert entry.content == f"<p>{BULLET}</p>"  # <content> wins over <summary>
    assert entry.link == feed_server.url("/diem-tin/tuan-20.htm")
    assert entry.published == datetime(2022, 5, 21, 2, 0, tzinfo=UTC)  # from <updated>


def test_atom_published_preferred_over_updated() -> None:
    atom = ATOM.replace(
        "<updated>2022-05-21T09:00:00+07:00</updated>",
        "<published>2022-05-20T23:15:00+07:00</published>"
        "<updated>2022-05-21T09:00:00+07:00</updated>",
    )
    (entry,), _, _ = parse_feed_bytes(atom.encode())
    assert entry.published == datetime(2022, 5, 20, 16, 15, tzinfo=UTC)


# --- local files ------------------------------------------------------------------------------


async def test_file_path_and_file_url(tmp_path) -> None:
    path = tmp_path / "bản tin.xml"
    path.write_bytes(cp1258_feed())
    by_path = await fetch_feed(str(path))
    by_url = await fetch_feed(path.as_uri())
    for result in (by_path, by_url):
        assert result.status == "ok", result.error
        assert result.entries[0].title == TITLE_19
        assert result.bytes_read == path.stat().st_size
        assert result.state.etag and result.state.last_modified
    assert by_path.entries == by_url.entries

    unchanged = await fetch_feed(str(path), by_path.state)
    assert unchanged.status == "not_modified" and unchanged.entries == ()

    path.write_text(ATOM, encoding="utf-8")
    changed = await fetch_feed(path.as_uri(), by_path.state)
    assert changed.status == "ok" and changed.entries[0].guid == "urn:diemtin:2022-20"


async def test_file_errors(tmp_path) -> None:
    missing = await fetch_feed(str(tmp_path / "missing.xml"))
    assert missing.status == "error"
    assert missing.error == "cannot read file: No such file or directory"

    big = tmp_path / "big.xml"
    big.write_bytes(RSS.encode() * 100)
    result = await fetch_feed(big.as_uri(), max_bytes=64 * 1024)
    assert result.status == "error" and result.error == "body over 64 KB cap"

    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<rss><channel><title>x")
    assert (await fetch_feed(str(broken))).error.startswith("malformed feed: ")


# --- robustness -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.integers(0, len(RSS)).map(lambda n: RSS[:n].encode()))
def test_parse_never_raises_anything_but_feed_parse_error(data: bytes) -> None:
    try:
        entries, title, _ = parse_feed_bytes(data)
    except FeedParseError:
        return
    assert all(isinstance(e.guid, str) and e.guid for e in entries)
    assert isinstance(title, str)
