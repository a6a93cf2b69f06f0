"""What the running bot adds for its operator, put together for bot/app.py: the HTTP server
(webhooks, /healthz, /metrics), measured senders, the delivery line, alerts, daily retention."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.config import Config
from bot.delivery.senders import Sender
from bot.delivery.worker import DeliveryWorker
from bot.messengers.base import Messenger
from bot.operations.alerts import AdminAlerts
from bot.operations.observed import DeliveryReporter, MeasuredSender
from bot.operations.upkeep import prune_and_vacuum
from bot.web.health import Health
from bot.web.metrics import Metrics
from bot.web.server import Route, WebServer
from handlers.types import Services
from storage.status import FileWatch

log = logging.getLogger(__name__)

ALERT_CHECK_SECONDS = 60
RETENTION_FIRST_DELAY_SECONDS = 600  # the first prune waits until start-up work is done


class Operations:
    """Built before the delivery worker (its senders are measured), ``watch`` the running
    parts, ``await start_server()`` before the messengers start, ``start`` the jobs, ``stop``."""

    def __init__(self, config: Config, services: Services) -> None:
        self.config = config
        self.services = services
        self.metrics = Metrics(services.db)
        self.server = WebServer(observe=self.metrics.observe_request)
        self.reporter: DeliveryReporter | None = None
        self.alerts = AdminAlerts(services, config.alerts)

    def measured(self, messenger: str, sender: Sender) -> MeasuredSender:
        return MeasuredSender(sender, messenger, self.metrics)

    def watch(self, worker: DeliveryWorker, poller_running: Callable[[], bool],
              messengers: Sequence[Messenger]) -> None:
        """Serve the messengers' webhooks, and /healthz and /metrics where [server].listen says."""
        self.metrics.delivery_stats = lambda: worker.stats
        self.reporter = DeliveryReporter(lambda: worker.stats)
        self.alerts.wake_delivery = worker.wake
        for messenger in messengers:
            for route in messenger.routes():
                self.server.add(route)
        listen = self.config.server.listen
        if listen is None:
            return
        database = FileWatch(self.services.db)

        async def poller() -> str | None:
            return None if poller_running() else "the feed poller is not running"

        async def delivery() -> str | None:
            return None if worker.running else "the delivery worker is not running"

        health = Health({"database": database.problem, "poller": poller, "delivery": delivery})
        self.server.add(Route(listen, "GET", "/healthz", health.handle, "healthz", "[server].listen"))
        self.server.add(Route(listen, "GET", "/metrics", self.metrics.handle, "metrics", "[server].listen"))

    async def start_server(self) -> None:
        """Listen where routes were added (nowhere when none were); raises ListenFailed."""
        await self.server.start()

    def start(self, scheduler: Any) -> None:
        """The delivery line, the alert check every minute, retention once a day."""
        if self.reporter is not None:
            self.reporter.start()
        s, config = self.services, self.config
        scheduler.add_job(self.alerts.check, "interval", seconds=ALERT_CHECK_SECONDS,
                          id="admin-alerts", coalesce=True, max_instances=1)
        first = datetime.now(config.timezone) + timedelta(seconds=RETENTION_FIRST_DELAY_SECONDS)

        async def upkeep() -> None:
            await prune_and_vacuum(s.db, config.retention, now=s.clock())

        scheduler.add_job(upkeep, "interval", hours=24, next_run_time=first, id="retention",
                          coalesce=True, max_instances=1, misfire_grace_time=3600)

    async def stop(self) -> None:
        await self.server.stop()
        if self.reporter is not None:
            await self.reporter.stop()
