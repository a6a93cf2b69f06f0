"""/metrics in Prometheus's text format (prometheus-client).

Two kinds of figures. What the running process sees happen (feed polls and their latency, items
its poller stored, sends by messenger and outcome, 429s, send latency, HTTP requests) are
counters and histograms fed by bot/operations/observed.py and the web server. What storage
holds (queue depth by messenger and state, each feed's health, chats) is read at each scrape by
a collector, as are the delivery worker's own counts (``DeliveryWorker.stats``): nothing is
counted twice, and nothing is counted inside other modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from storage import feeds as feed_store
from storage import stats as stats_store
from storage import status as status_store
from storage.db import Database

POLL_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass
class _Stored:
    """What storage and the worker said at the last scrape."""

    outbox: dict[tuple[str, str], int] = field(default_factory=dict)
    feeds: list[feed_store.FeedRow] = field(default_factory=list)
    chats: list[stats_store.ChatCount] = field(default_factory=list)
    items: int = 0
    delivery: Mapping[str, int] = field(default_factory=dict)


class _StoredCollector:
    """Yields the figures of the last ``_Stored`` read (a prometheus-client custom collector)."""

    def __init__(self) -> None:
        self.stored = _Stored()

    def describe(self) -> list[Metric]:
        return []  # figures appear only once read; the registry asks collect() when needed

    def collect(self) -> Iterator[Metric]:
        s = self.stored
        depth = GaugeMetricFamily("diemtin_outbox_messages", "Outbox rows by messenger and state",
                                  labels=["messenger", "state"])
        for (messenger, state), n in sorted(s.outbox.items()):
            depth.add_metric([messenger, state], n)
        yield depth
        failures = GaugeMetricFamily("diemtin_feed_consecutive_failures",
                                     "Failed polls in a row, per feed", labels=["feed"])
        success = GaugeMetricFamily("diemtin_feed_last_success_timestamp_seconds",
                                    "Unix time of each feed's last successful poll", labels=["feed"])
        stored = CounterMetricFamily("diemtin_feed_items", "Items each feed has brought in", labels=["feed"])
        for feed in s.feeds:
            failures.add_metric([feed.url], feed.consecutive_failures)
            success.add_metric([feed.url], feed.last_success_at or 0)
            stored.add_metric([feed.url], feed.items_total)
        yield from (failures, success, stored)
        chats = GaugeMetricFamily("diemtin_chats", "Chats by messenger and whether they are active",
                                  labels=["messenger", "active"])
        for count in s.chats:
            chats.add_metric([count.messenger, "yes"], count.active)
            chats.add_metric([count.messenger, "no"], count.total - count.active)
        yield chats
        yield GaugeMetricFamily("diemtin_items_stored", "Items in storage", value=s.items)
        events = CounterMetricFamily("diemtin_delivery_events",
                                     "The delivery worker's counts since start", labels=["event"])
        for name, n in sorted(s.delivery.items()):
            events.add_metric([name], n)
        yield events


class Metrics:
    """The process's metrics; ``handle`` serves them (reading storage first)."""

    def __init__(self, db: Database, delivery_stats: Callable[[], Mapping[str, int]] = dict) -> None:
        self.db = db
        self.delivery_stats = delivery_stats
        self.registry = CollectorRegistry()
        r = self.registry
        self.feed_polls = Counter("diemtin_feed_polls", "Feed polls by outcome (ok, not_modified, error)",
                                  ["status"], registry=r)
        self.poll_seconds = Histogram("diemtin_feed_poll_seconds", "Duration of one feed poll",
                                      buckets=POLL_BUCKETS, registry=r)
        self.items_ingested = Counter("diemtin_items_ingested", "Items the feed poller stored",
                                      registry=r)
        self.messages = Counter("diemtin_messages", "Sends by messenger and outcome",
                                ["messenger", "outcome"], registry=r)
        self.rate_limited = Counter("diemtin_rate_limited", "429 answers, by messenger",
                                    ["messenger"], registry=r)
        self.send_seconds = Histogram("diemtin_send_seconds", "Duration of one send",
                                      ["messenger"], buckets=SEND_BUCKETS, registry=r)
        self.http_requests = Counter("diemtin_http_requests", "HTTP requests by route and status",
                                     ["route", "status"], registry=r)
        self._stored = _StoredCollector()
        r.register(self._stored)

    def observe_request(self, route: str, status: int, _seconds: float) -> None:
        self.http_requests.labels(route, str(status)).inc()

    async def render(self) -> bytes:
        """The text format, with storage read now."""
        self._stored.stored = _Stored(
            outbox=await status_store.outbox_depth(self.db),
            feeds=await feed_store.list_feeds(self.db, enabled_only=True),
            chats=await stats_store.chat_counts(self.db),
            items=int(await self.db.scalar("SELECT COUNT(*) FROM items") or 0),
            delivery=dict(self.delivery_stats()),
        )
        return generate_latest(self.registry)

    async def handle(self, request: web.Request) -> web.Response:
        body = await self.render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response
