"""The ingestion pipeline over a real HTTP server: fetch → split → tag → store, with backoff."""

from __future__ import annotations

import pytest

from bot.config import PollingConfig
from bot.intake.ingest import Ingestor, backoff_seconds
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.textnorm import fold
from bot.vietnamese.topics import default_topics
from storage import feeds as feed_store
from storage import items as item_store
from storage.db import Database
from tests.samples import rss, sample_rss

pytestmark = pytest.mark.asyncio

EXPECTED_PRIMARY = [
    ["thai-nguyen"], ["soc-trang"], ["lam-dong"], ["da-nang"], ["thanh-hoa"],
    ["quang-tri"], ["lang-son"], ["ba-ria-vung-tau"], [],
]


class Clock:
    def __init__(self, now: float = 1_652_400_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "diemtin.sqlite3")
    yield database
    await database.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def ingestor(db, clock):
    ing = Ingestor(
        db, gazetteer=default_gazetteer(), topics=default_topics(), clock=clock,
        polling=PollingConfig(timeout_seconds=0.5),
    )
    yield ing
    await ing.close()


async def test_poll_stores_the_sample_digest_then_304_costs_nothing(db, ingestor, feed_server):
    feed_server.serve("/rss", sample_rss(), etag='"v1"', last_modified="Fri, 13 May 2022 02:00:00 GMT")
    feed_id = await feed_store.upsert_feed(db, feed_server.url("/rss"), interval_seconds=900)

    [report] = await ingestor.poll_due()
    assert report.status == "ok" and report.items_added == 9
    stored = await item_store.recent_items(db)
    assert [list(i.primary) for i in reversed(stored)] == EXPECTED_PRIMARY
    assert stored[1].current_units == ("ho-chi-minh",)  # Bà Rịa – Vũng Tàu, now TP HCM
    assert stored[0].national and stored[0].topics[0] == "an-toan-thong-tin"
    assert {i.period.week for i in stored} == {19}

    feed = await feed_store.get_feed(db, feed_id)
    assert feed.etag == '"v1"' and feed.items_total == 9 and feed.consecutive_failures == 0
    assert feed.next_poll_at == ingestor.clock() + 900

    ingestor.clock.now += 901
    [again] = await ingestor.poll_due()
    assert again.status == "not_modified" and again.items_added == 0
    second = feed_server.requests_to("/rss")[1]
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.headers["If-Modified-Since"] == "Fri, 13 May 2022 02:00:00 GMT"
    assert await item_store.count_items(db) == 9


async def test_a_failing_feed_backs_off_and_never_stops_the_others(db, ingestor, feed_server):
    feed_server.fail("/broken", 500)
    feed_server.slow("/slow", 3.0, sample_rss())
    feed_server.serve("/good", sample_rss())
    broken = await feed_store.upsert_feed(db, feed_server.url("/broken"))
    slow = await feed_store.upsert_feed(db, feed_server.url("/slow"))
    await feed_store.upsert_feed(db, feed_server.url("/good"))

    reports = {r.source.rsplit("/", 1)[1]: r for r in await ingestor.poll_due()}
    assert reports["good"].items_added == 9
    assert reports["broken"].status == "error" and "500" in reports["broken"].error
    assert reports["slow"].status == "error"

    now = ingestor.clock()
    row = await feed_store.get_feed(db, broken)
    assert row.consecutive_failures == 1 and "500" in row.last_error
    assert row.next_poll_at == now + backoff_seconds(1, 21600)
    assert (await feed_store.get_feed(db, slow)).consecutive_failures == 1

    # Failures double the wait, up to the cap; only due feeds are polled.
    ingestor.clock.now = row.next_poll_at
    due = {r.source.rsplit("/", 1)[1] for r in await ingestor.poll_due()}
    assert due == {"broken", "slow"}
    row = await feed_store.get_feed(db, broken)
    assert row.consecutive_failures == 2
    assert row.next_poll_at == ingestor.clock() + 2 * backoff_seconds(1, 21600)
    assert backoff_seconds(30, 21600) == 21600


async def test_republished_under_a_new_guid_adds_nothing(db, ingestor, feed_server):
    feed_server.serve("/rss", sample_rss("first-guid"))
    await feed_store.upsert_feed(db, feed_server.url("/rss"))
    [first] = await ingestor.poll_due()
    assert first.items_added == 9

    feed_server.serve("/rss", sample_rss("a-new-guid-same-text"))
    ingestor.clock.now += 10_000
    [second] = await ingestor.poll_due()
    assert second.status == "ok" and second.items_found == 9 and second.items_added == 0
    assert await item_store.count_items(db) == 9


async def test_malformed_feed_is_recorded_not_raised(db, ingestor, feed_server):
    feed_server.serve("/bad", b"<rss><channel><item><title>unclosed")
    feed_id = await feed_store.upsert_feed(db, feed_server.url("/bad"))
    [report] = await ingestor.poll_due()
    row = await feed_store.get_feed(db, feed_id)
    assert report.items_added == 0
    assert report.status == "error" or report.warning
    assert (row.consecutive_failures == 1) == (report.status == "error")


async def test_new_items_are_announced_once(db, clock, feed_server):
    announced: list[list[int]] = []

    async def on_new(seqs):
        announced.append(seqs)

    feed_server.serve("/rss", sample_rss())
    ing = Ingestor(db, gazetteer=default_gazetteer(), topics=default_topics(), clock=clock,
                   on_new_items=on_new)
    try:
        report = await ing.ingest_source(feed_server.url("/rss"))
        assert report.items_added == 9
        await ing.ingest_source(feed_server.url("/rss"))
    finally:
        await ing.close()
    assert len(announced) == 1 and len(announced[0]) == 9


async def test_a_provincial_portal_gives_its_province_to_items_that_name_none(db, ingestor, feed_server):
    article = {
        "guid": "qn-1", "title": "UBND tỉnh ban hành kế hoạch chuyển đổi số năm 2025",
        "html": "<p>UBND tỉnh vừa ban hành kế hoạch chuyển đổi số, phát triển chính quyền số.</p>",
    }
    feed_server.serve("/portal", rss([article]))
    await feed_store.upsert_feed(db, feed_server.url("/portal"), default_province="quang-ngai")
    [report] = await ingestor.poll_due()
    assert report.items_added == 1
    [item] = await item_store.recent_items(db)
    assert item.primary == ("quang-ngai",) and not item.national


async def test_search_is_accent_insensitive(db, ingestor, feed_server):
    feed_server.serve("/rss", sample_rss())
    await ingestor.ingest_source(feed_server.url("/rss"))
    hits = await item_store.search_items(db, fold("buu ta"))
    assert hits and "bưu tá" in hits[0].body.lower()
    assert await item_store.search_items(db, fold("Bưu tá")) == hits
    assert await item_store.search_items(db, fold("dingdong postpay")) == hits[:1]
    assert await item_store.search_items(db, fold('"; DROP TABLE items; --')) == []


async def test_script_and_style_in_a_feed_never_reach_an_item(db, ingestor, feed_server):
    hostile = {
        "guid": "x-1", "title": "Điểm tin địa phương",
        "html": (
            "<p>- Lâm Đồng: Ra mắt <b>nền tảng</b> chuyển đổi số &amp; dịch vụ công trực tuyến."
            "<script>alert('pwned')</script><style>p{color:red}</style>"
            '<a href="javascript:alert(2)">Xem</a> 5 &lt; 7</p>'
            "<p>- Đà Nẵng: Phát triển đô thị thông minh.</p>"
        ),
    }
    feed_server.serve("/rss", rss([hostile]))
    report = await ingestor.ingest_source(feed_server.url("/rss"))
    assert report.items_added == 2
    bodies = " ".join(i.body for i in await item_store.recent_items(db))
    assert "alert" not in bodies and "color:red" not in bodies and "<b>" not in bodies
    assert "chuyển đổi số & dịch vụ công" in bodies and "5 < 7" in bodies
