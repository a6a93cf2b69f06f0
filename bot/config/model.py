"""``Config``: the whole validated config.toml, with the shortcuts the rest of the bot reads."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from bot.config.messengers import MessengerConfig, TelegramConfig, ZaloConfig
from bot.config.schema import (
    AlertsConfig,
    DeliveryConfig,
    FeedConfig,
    LoggingConfig,
    PollingConfig,
    RetentionConfig,
    ScheduleConfig,
    Section,
    ServerConfig,
    StorageConfig,
    TopicsConfig,
)
from bot.vietnamese.weekday import WeeklySlot

if TYPE_CHECKING:
    from bot.vietnamese.topics import Topics


class Config(Section):
    """config.toml, validated: one attribute per table. Build with ``bot.config.parse_config``."""

    storage: StorageConfig = {}  # type: ignore[assignment]  (defaults are validated, in context)
    feeds: tuple[FeedConfig, ...] = Field((), strict=False)
    telegram: TelegramConfig = {}  # type: ignore[assignment]
    zalo: ZaloConfig = {}  # type: ignore[assignment]
    schedule: ScheduleConfig = {}  # type: ignore[assignment]
    polling: PollingConfig = {}  # type: ignore[assignment]
    delivery: DeliveryConfig = {}  # type: ignore[assignment]
    topic_settings: TopicsConfig = Field({}, alias="topics")
    logging: LoggingConfig = {}  # type: ignore[assignment]
    server: ServerConfig = {}  # type: ignore[assignment]
    alerts: AlertsConfig = {}  # type: ignore[assignment]
    retention: RetentionConfig = {}  # type: ignore[assignment]

    _path: Path | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _feed_interval_default(cls, data: Any) -> Any:
        """A feed without interval_seconds takes [polling].interval_seconds (when that is valid)."""
        polling, feeds = (data.get("polling"), data.get("feeds")) if isinstance(data, dict) else (None, None)
        default = polling.get("interval_seconds") if isinstance(polling, dict) else None
        if type(default) is not int or default <= 0 or not isinstance(feeds, list):
            return data
        feeds = [{"interval_seconds": default, **f} if isinstance(f, dict) else f for f in feeds]
        return {**data, "feeds": feeds}

    @model_validator(mode="after")
    def _remember_path(self, info: ValidationInfo) -> Config:
        self._path = (info.context or {}).get("path")
        return self

    @property
    def path(self) -> Path | None:
        """The file this was read from (None for built-in defaults)."""
        return self._path

    @property
    def storage_path(self) -> Path:
        return self.storage.path

    @property
    def timezone(self) -> ZoneInfo:
        return self.schedule.timezone

    @property
    def weekly_default(self) -> WeeklySlot:
        return self.schedule.weekly

    @property
    def topics(self) -> Topics:
        """The topic taxonomy, loaded (and checked) with the config."""
        return self.topic_settings.taxonomy

    @property
    def log_level(self) -> str:
        return self.logging.level

    @property
    def all_messengers(self) -> tuple[MessengerConfig, ...]:
        return (self.telegram, self.zalo)

    @property
    def messengers(self) -> tuple[MessengerConfig, ...]:
        """The enabled messengers (their token is set), in a fixed order."""
        return tuple(m for m in self.all_messengers if m.enabled)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every token and webhook secret that is set: what log lines must never show."""
        return tuple(s for m in self.all_messengers for s in (m.token, m.webhook_secret) if s)

    def messenger(self, name: str) -> MessengerConfig:
        """The table of one messenger by name ("telegram", "zalo"), enabled or not."""
        for conf in self.all_messengers:
            if conf.name == name:
                return conf
        raise KeyError(f"no messenger {name!r}")

    def is_admin(self, messenger: str, user_id: str | int) -> bool:
        try:
            return str(user_id) in self.messenger(messenger).admins
        except KeyError:
            return False
