"""`diemtin status` as an operator reads it, and the [server], [alerts], [retention] keys."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, parse_config
from storage import chats, outbox
from storage import feeds as feed_store
from storage.db import migration_files
from tests.command import diemtin


async def test_status_shows_feeds_queue_dead_reasons_chats_and_the_next_weekly_run(db, tmp_path):
    now = 1_700_000_000.0
    good = await feed_store.upsert_feed(db, "https://mic.example/rss")
    await feed_store.record_success(db, good, now=now, next_poll_at=now + 600, etag=None, last_modified=None, items_added=9)
    bad = await feed_store.upsert_feed(db, "https://down.example/rss")
    for _ in range(3):
        await feed_store.record_failure(db, bad, now=now, error="HTTP 502: Bad Gateway", next_poll_at=now + 60)
    lan = await chats.ensure_chat(db, "telegram", "11", "private", "", "vi", now)
    await chats.ensure_chat(db, "telegram", "12", "private", "", "vi", now)
    async with db.transaction() as conn:
        await outbox.enqueue_in(conn, [outbox.NewMessage(lan.id, "items", f"k{i}", {"text": "x"}) for i in range(5)], now=now)
        await conn.execute("UPDATE outbox SET state = 'dead', last_error = 'Bad Request: message is too long' WHERE id <= 2")
    config = tmp_path / "config.toml"
    config.write_text('[storage]\npath = "diemtin.sqlite3"\n[schedule]\nweekly = "tue 09:30"\n', encoding="utf-8")
    run = diemtin("status", "--config", str(config))
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert f"schema {migration_files()[-1][0]}," in out and "vacuum incremental" in out
    assert f"#{good} https://mic.example/rss: ok; 9 items" in out
    assert f"#{bad} https://down.example/rss: FAILING, 3 failures in a row" in out
    assert "last error" in out and "HTTP 502: Bad Gateway" in out and "last success never" in out
    assert "queue: pending 3, sending 0, sent 0, dead 2, cancelled 0" in out
    assert "dead messages (2)\n  2 × Bad Request: message is too long" in out
    assert "chats: telegram 2 active of 2" in out
    assert "next weekly run: Tue " in out and "09:30 Asia/Ho_Chi_Minh (2 chats)" in out


def test_status_without_a_database_creates_none(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\npath = "nothere/db.sqlite3"\n', encoding="utf-8")
    run = diemtin("status", "--config", str(config))
    assert run.returncode == 1 and "no database at" in run.stderr
    assert not (tmp_path / "nothere").exists()


def test_operations_config_keys():
    config = parse_config({"server": {"listen": "127.0.0.1:9180"}, "alerts": {"feed_failing_hours": 6},
                           "retention": {"items_days": 365}})
    assert config.server.listen == "127.0.0.1:9180"
    assert config.alerts.feed_failing_hours == 6.0 and config.alerts.dead_messages == 20
    assert config.retention.items_days == 365 and config.retention.sent_days == 30
    defaults = parse_config({})
    assert defaults.server.listen is None  # no port unless asked for
    assert defaults.alerts.feed_failing_hours == 24.0 and defaults.retention.items_days == 730
    with pytest.raises(ConfigError) as problems:
        parse_config({"server": {"listen": "9180", "port": 1}, "alerts": {"dead_messages": 0},
                      "retention": {"sent_days": 2.5}})
    assert problems.value.problems == [
        '[server].listen: must be "host:port" with a port from 1 to 65535, got \'9180\'',
        "[server].port: unknown key (known: listen)",
        "[alerts].dead_messages: must be greater than 0, got 0",
        "[retention].sent_days: must be a whole number, got 2.5",
    ]


def test_check_config_warns_of_a_public_metrics_address(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\npath = "db.sqlite3"\n[server]\nlisten = "0.0.0.0:9180"\n', encoding="utf-8")
    run = diemtin("check-config", "--config", str(config))
    assert run.returncode == 0, run.stderr
    assert "warning: [server].listen: 0.0.0.0:9180 is reachable from other machines" in run.stderr
    assert run.stdout.strip().endswith("; /healthz and /metrics on 0.0.0.0:9180")
