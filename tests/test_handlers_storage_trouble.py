"""Commands while the database cannot be written: a chat that reads still gets its answer, a
chat that changes something is told why not in its own language, and nothing is lost."""

from __future__ import annotations

from storage import feeds as feed_store
from storage.db import Database
from tests.conftest import make_item
from tests.storage_trouble import LockHolder, fill_disk


async def _subscribed(user, store_items) -> None:
    assert "Lâm Đồng" in await user.text("/tinh lam dong")
    await store_items(make_item("Lâm Đồng ra mắt cổng dịch vụ công mới", provinces=["lam-dong"]))


async def _disk_full(db: Database) -> None:
    pages = await db.scalar("PRAGMA page_count")
    fill_disk(db.path, pages)
    await db.conn.execute(f"PRAGMA max_page_count = {pages}")


async def test_reading_commands_answer_on_a_full_disk_and_changes_say_why_not(user, talk, store_items, services):
    await _subscribed(user, store_items)
    english = talk("200", lang="en")
    assert "Hanoi" in await english.text("/province ha noi")
    await _disk_full(services.db)

    assert "Lâm Đồng" in await user.text("/dangky")
    assert "cổng dịch vụ công" in await user.text("/moinhat")
    assert "cổng dịch vụ công" in await user.text("/timkiem dich vu cong")

    refused = await user.text("/tinh Đà Nẵng")
    assert "hết chỗ lưu" in refused and "Traceback" not in refused
    assert "out of storage" in await english.text("/topic chuyen doi so")
    assert await user.subscriptions() == {("province", "lam-dong")}

    await services.db.conn.execute("PRAGMA max_page_count = 1073741823")  # room again
    assert "Đà Nẵng" in await user.text("/tinh Đà Nẵng")
    assert await user.subscriptions() == {("province", "lam-dong"), ("province", "da-nang")}


async def test_a_change_while_another_process_holds_the_lock_is_busy_then_done(user, store_items, services):
    await _subscribed(user, store_items)
    await feed_store.upsert_feed(services.db, "https://a.example/rss")  # feed 1, which the holder renames
    holder = LockHolder(services.db.path)
    try:
        assert "Lâm Đồng" in await user.text("/dangky")  # a read does not wait for the lock
        busy = await user.text("/tinh Đà Nẵng")
        assert "đang bận" in busy and "thử lại" in busy
    finally:
        holder.release()
    assert "Đà Nẵng" in await user.text("/tinh Đà Nẵng")
    assert await user.subscriptions() == {("province", "lam-dong"), ("province", "da-nang")}
