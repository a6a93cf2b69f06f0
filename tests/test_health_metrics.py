"""/healthz and /metrics of the running bot, on [server].listen."""

from __future__ import annotations

import os

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.telegram import FakeTelegram
from tests.ops_support import TOKEN, bot_config, free_port, private_message, running_app
from tests.samples import rss, sample_rss


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    async with http.get(url) as answer:
        return answer.status, answer.headers.get("Content-Type", ""), await answer.text()


async def test_healthz_is_503_once_the_database_is_gone(tmp_path):
    port = free_port()
    async with FakeTelegram(token=TOKEN) as fake, aiohttp.ClientSession() as http:
        config = bot_config(tmp_path, fake, server={"listen": f"127.0.0.1:{port}"})
        async with running_app(config):
            status, kind, body = await _get(http, f"http://127.0.0.1:{port}/healthz")
            assert status == 200 and kind.startswith("application/json")
            assert '"database": "ok"' in body and '"poller": "ok"' in body and '"delivery": "ok"' in body
            for suffix in ("", "-wal", "-shm"):  # the volume went away, or someone deleted it
                if os.path.exists(config.storage_path.as_posix() + suffix):
                    os.remove(config.storage_path.as_posix() + suffix)
            status, _kind, body = await _get(http, f"http://127.0.0.1:{port}/healthz")
            assert status == 503
            assert '"status": "failing"' in body and "is gone or was replaced" in body
            assert '"poller": "ok"' in body


async def test_metrics_parse_with_prometheus_clients_own_parser(tmp_path, feed_server):
    feed_server.serve("/rss", rss([]))
    port = free_port()
    async with FakeTelegram(token=TOKEN) as fake, aiohttp.ClientSession() as http:
        config = bot_config(
            tmp_path, fake, server={"listen": f"127.0.0.1:{port}"},
            feeds=[{"url": feed_server.url("/rss"), "interval_seconds": 1}],
        )
        async with running_app(config) as app:
            fake.push_update(private_message(77, "/tinh lam dong"))
            await fake.wait_sent(77, timeout=10)
            fake.fail("flood", retry_after=1, chat_id=77)  # the push meets a 429 first
            feed_server.serve("/rss", sample_rss())
            [_reply, push] = await fake.wait_sent(77, count=2, timeout=20)
            assert "Lâm Đồng" in push
            await app.worker.drain(10)  # the sent rows are recorded, in a batch, after the send
            status, kind, text = await _get(http, f"http://127.0.0.1:{port}/metrics")
            assert status == 200 and kind.startswith("text/plain")
            assert app.ops.server.running
        families = {f.name: f for f in text_string_to_metric_families(text)}

    def value(name: str, **labels: str) -> float:
        return sum(s.value for s in families[name].samples
                   if s.name.startswith(name) and all(s.labels.get(k) == v for k, v in labels.items())
                   and not s.name.endswith(("_created", "_bucket", "_sum")))

    assert value("diemtin_items_ingested") >= 1
    assert value("diemtin_feed_polls", status="ok") >= 1
    assert value("diemtin_feed_poll_seconds") >= 1  # _count
    assert value("diemtin_messages", messenger="telegram", outcome="sent") >= 1
    assert value("diemtin_rate_limited", messenger="telegram") == 1
    assert value("diemtin_send_seconds", messenger="telegram") >= 2
    assert value("diemtin_outbox_messages", messenger="telegram", state="sent") >= 1
    assert value("diemtin_feed_consecutive_failures", feed=feed_server.url("/rss")) == 0
    assert value("diemtin_chats", messenger="telegram", active="yes") == 1
    assert value("diemtin_delivery_events", event="rate_limited") == 1
    assert value("diemtin_http_requests", route="healthz") == 0
    assert "diemtin_items_stored" in families


async def test_nothing_listens_when_nothing_needs_it(tmp_path):
    async with FakeTelegram(token=TOKEN) as fake:
        async with running_app(bot_config(tmp_path, fake)) as app:
            assert not app.ops.server.running and app.ops.server.routes == []
