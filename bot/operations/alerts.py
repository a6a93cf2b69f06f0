"""Alerts to the admins, in their own chat with the bot, once per condition.

Checked every minute by the running bot:

- a feed failing for longer than ``feed_failing_hours`` (counted from its last success), and
  its recovery;
- the weekly digest late: none arrived in the week and ``digest_late_hours`` after the last one
  (digests keep their weekday, so that is its usual day, plus some slack);
- dead messages piling up: ``dead_messages`` more than when the admins were last told.

Each alert is logged as well, so an operator without an admin chat still sees it. The state
(what was told) is in storage (storage/alerts.py): a restart does not repeat an alert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.config import AlertsConfig
from bot.core import messages
from bot.core.reply import Reply
from bot.delivery.instant import profile_for
from bot.delivery.packing import render_reply
from bot.logsetup import event
from handlers.types import Services
from storage import alerts as alert_store
from storage import feeds as feed_store
from storage import stats as stats_store
from storage import status as status_store
from storage.alerts import ALERT_KIND, AlertState
from storage.outbox import NewMessage

log = logging.getLogger(__name__)

WEEK_SECONDS = 7 * 24 * 3600


class AdminAlerts:
    def __init__(self, services: Services, config: AlertsConfig) -> None:
        self.services = services
        self.config = config
        self.wake_delivery: Callable[[], None] | None = None

    async def check(self) -> int:
        """Look at every condition once; return how many messages were queued."""
        try:
            states = await alert_store.alert_states(self.services.db)
            queued = await self._feeds(states) + await self._digest(states) + await self._dead(states)
        except Exception as exc:  # noqa: BLE001 - the next minute looks again
            log.warning("alerts: check failed: %s: %s", type(exc).__name__, exc)
            return 0
        if queued and self.wake_delivery is not None:
            self.wake_delivery()
        return queued

    # ------------------------------------------------------------------ the conditions

    async def _feeds(self, states: dict[str, AlertState]) -> int:
        now, queued = self.services.clock(), 0
        feeds = await feed_store.list_feeds(self.services.db, enabled_only=True)
        for feed in feeds:
            key, state = f"feed:{feed.id}", states.get(f"feed:{feed.id}")
            fields = {"id": feed.id, "url": feed.url, "failures": feed.consecutive_failures,
                      "error": (feed.last_error or "")[:200]}
            if feed.consecutive_failures == 0:
                if state is not None:
                    told = state.notified_at is not None
                    fields["since"] = self._when(state.since)
                    notes = await self._messages(f"alert:{key}:up:{int(state.since)}", "alerts.feed_recovered", fields) if told else []
                    if told:
                        event(log, logging.INFO, "alert: feed recovered", feed=feed.url)
                    queued += await alert_store.forget(self.services.db, key, notes, now=now)
                continue
            since = state.since if state is not None else (feed.last_success_at or now)
            if state is not None and state.notified_at is not None:
                continue
            if now - since < self.config.feed_failing_hours * 3600:
                if state is None:
                    await alert_store.save(self.services.db, AlertState(key, since, "", None), [], now=now)
                continue
            fields["since"] = self._when(since)
            notes = await self._messages(f"alert:{key}:down:{int(since)}", "alerts.feed_failing", fields)
            event(log, logging.WARNING, "alert: feed failing", feed=feed.url, since=fields["since"],
                  failures=feed.consecutive_failures, error=fields["error"])
            queued += await alert_store.save(self.services.db, AlertState(key, since, "", now), notes, now=now)
        for key in [k for k in states if k.startswith("feed:")]:
            if int(key.split(":", 1)[1]) not in {f.id for f in feeds}:  # disabled or removed
                await alert_store.forget(self.services.db, key, [], now=now)
        return queued

    async def _digest(self, states: dict[str, AlertState]) -> int:
        db, now = self.services.db, self.services.clock()
        arrivals = await status_store.digest_arrivals(db, limit=1)
        state = states.get("digest")
        if not arrivals:
            return 0
        due = arrivals[0] + WEEK_SECONDS
        if now < due + self.config.digest_late_hours * 3600:
            if state is not None:
                await alert_store.forget(db, "digest", [], now=now)  # a new digest came
            return 0
        due_day = datetime.fromtimestamp(due, self.services.config.timezone).date().isoformat()
        if state is not None and state.value == due_day:
            return 0
        fields = {"last": self._when(arrivals[0]), "due": due_day}
        notes = await self._messages(f"alert:digest:{due_day}", "alerts.digest_late", fields)
        event(log, logging.WARNING, "alert: weekly digest late", last=fields["last"], due=due_day)
        return await alert_store.save(db, AlertState("digest", due, due_day, now), notes, now=now)

    async def _dead(self, states: dict[str, AlertState]) -> int:
        db, now = self.services.db, self.services.clock()
        dead = await status_store.dead_count(db)
        state = states.get("dead")
        told = int(state.value) if state is not None and state.value.isdigit() else 0
        if dead < told:  # rows were cleared: count from here
            await alert_store.save(db, AlertState("dead", now, str(dead), now), [], now=now)
            return 0
        if dead - told < self.config.dead_messages:
            return 0
        reasons = "; ".join(f"{n} × {reason or '?'}" for reason, n in await stats_store.dead_reasons(db, limit=3))
        fields = {"new": dead - told, "total": dead, "reasons": reasons[:300]}
        notes = await self._messages(f"alert:dead:{dead}", "alerts.dead_piling", fields)
        event(log, logging.WARNING, "alert: dead messages piling up", new=dead - told, total=dead)
        return await alert_store.save(db, AlertState("dead", now, str(dead), now), notes, now=now)

    # ------------------------------------------------------------------ telling

    async def _messages(self, key: str, text_key: str, fields: dict) -> list[NewMessage]:
        """The alert for every admin chat of every running messenger, in the chat's language."""
        s = self.services
        out: list[NewMessage] = []
        for conf in s.config.messengers:
            profile = profile_for(s.profiles, conf.name)
            for chat_ref, lang in await alert_store.admin_chats(s.db, conf.name, conf.admins):
                reply = Reply(messages.t(lang, text_key, **fields), lang=lang)
                for part, payload in enumerate(render_reply(reply, profile, lang)):
                    out.append(NewMessage(chat_ref, ALERT_KIND, f"{key}:{chat_ref}:{part}", payload))
        if not out:
            log.warning("alerts: no admin has a chat with the bot to receive %s", text_key)
        return out

    def _when(self, at: float) -> str:
        return datetime.fromtimestamp(at, self.services.config.timezone).strftime("%Y-%m-%d %H:%M")
