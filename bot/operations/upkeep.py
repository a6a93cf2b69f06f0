"""The daily retention job: items and sent messages past their age pruned, space given back."""

from __future__ import annotations

import logging

from bot.config import RetentionConfig
from bot.logsetup import event
from storage import retention
from storage.db import Database
from storage.retention import PruneReport

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


async def prune_and_vacuum(db: Database, config: RetentionConfig, *, now: float) -> PruneReport | None:
    """One retention pass; one log line with what it did (None when it failed, also logged)."""
    try:
        items = await retention.prune_items(db, stored_before=now - config.items_days * DAY_SECONDS)
        sent = await retention.prune_messages(db, before=now - config.sent_days * DAY_SECONDS)
        pages = await retention.incremental_vacuum(db)
    except Exception as exc:  # noqa: BLE001 - tomorrow's pass tries again
        log.warning("retention: failed: %s: %s", type(exc).__name__, exc)
        return None
    event(log, logging.INFO, "retention", items_pruned=items, messages_pruned=sent, pages_freed=pages)
    return PruneReport(items, sent, pages)
