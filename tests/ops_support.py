"""The running bot in this test's process, for the operations tests: config, free ports, App."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app import App, open_services
from bot.config import Config, parse_config

TOKEN = "123456789:AAFakeTokenForOperationsTests_0123456"
SECRET = "webhook-secret_for-tests-0123456789"


def free_port() -> int:
    """A port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_config(tmp_path: Path, fake, **tables: dict[str, Any]) -> Config:
    """A config for the fake Bot API, a database in tmp_path and quick polls; ``tables``
    override or add sections ("telegram" is merged into the fake's)."""
    telegram = {"base_url": fake.base_url, "admins": [42], "poll_timeout": 1, **tables.pop("telegram", {})}
    data = {
        "storage": {"path": str(tmp_path / "diemtin.sqlite3")},
        "telegram": telegram,
        "delivery": {"poll_interval_seconds": 0.2, "backoff_base_seconds": 0.05, "backoff_max_seconds": 0.2},
        **tables,
    }
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    return parse_config(data, path=tmp_path / "config.toml", env=env)


@contextlib.asynccontextmanager
async def running_app(config: Config) -> AsyncIterator[App]:
    app = App(config, await open_services(config))
    try:
        await app.start()
        yield app
    finally:
        app.stop_event.set()
        await app.stop()


def private_message(chat_id: int, text: str, *, update_id: int | None = None) -> dict:
    """An update as Telegram POSTs it for a private message (``update_id`` given by the fake)."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    update = {"message": {"message_id": 1, "date": 1_700_000_000, "text": text, "from": user,
                          "chat": {"id": chat_id, "type": "private", "first_name": "Lan"}}}
    if text.startswith("/"):
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return update if update_id is None else {"update_id": update_id, **update}
