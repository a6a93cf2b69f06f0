"""Read and validate config.toml; every problem is one ConfigError naming the key."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.vietnamese.weekday import WeeklySlot, parse_weekly_slot

if TYPE_CHECKING:
    from bot.vietnamese.topics import Topics


class ConfigError(Exception):
    """A config problem, worded for an operator: "[telegram].admins: must be a list of user ids"."""


@dataclass(frozen=True)
class FeedConfig:
    url: str
    interval_seconds: int = 900
    province: str | None = None  # default province slug for provincial portals


@dataclass(frozen=True)
class MessengerConfig:
    token: str | None
    base_url: str
    admins: frozenset[str]
    base_file_url: str | None = None
    poll_timeout: int = 30

    def __repr__(self) -> str:  # never show the token
        return f"MessengerConfig(base_url={self.base_url!r}, admins={sorted(self.admins)!r})"


@dataclass(frozen=True)
class DeliveryConfig:
    global_per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    max_attempts: int = 8
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 3600.0
    concurrency: int = 32
    poll_interval_seconds: float = 2.0


@dataclass(frozen=True)
class PollingConfig:
    timeout_seconds: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_backoff_seconds: int = 6 * 3600
    tagging_workers: int = 2  # processes for tagging a large batch; 0: in the bot's process


@dataclass(frozen=True)
class Config:
    path: Path | None
    storage_path: Path
    feeds: tuple[FeedConfig, ...]
    telegram: MessengerConfig
    zalo: MessengerConfig | None
    timezone: ZoneInfo
    weekly_default: WeeklySlot
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    polling: PollingConfig = field(default_factory=PollingConfig)
    topics_path: Path | None = None
    topic_overrides: dict = field(default_factory=dict)
    log_level: str = "INFO"
    topics: Topics | None = field(default=None, repr=False, compare=False)  # the loaded taxonomy

    def is_admin(self, messenger: str, user_id: str | int) -> bool:
        conf = self.telegram if messenger == "telegram" else self.zalo
        return conf is not None and str(user_id) in conf.admins


def _table(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}]: must be a table")
    return value


def _get(table: dict, section: str, key: str, kind: type | tuple, default: Any) -> Any:
    value = table.get(key, default)
    if value is not None and not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        article = "an" if name[0] in "aeiou" else "a"
        raise ConfigError(f"[{section}].{key}: must be {article} {name}, got {value!r}")
    return value


def _positive(table: dict, section: str, key: str, default: float) -> float:
    value = _get(table, section, key, (int, float), default)
    if value <= 0:
        raise ConfigError(f"[{section}].{key}: must be greater than 0, got {value!r}")
    return value


def _non_negative_int(table: dict, section: str, key: str, default: int) -> int:
    value = _get(table, section, key, int, default)
    if value < 0:
        raise ConfigError(f"[{section}].{key}: must be 0 or more, got {value!r}")
    return value


def _messenger(data: dict, name: str, env_var: str, default_base: str) -> MessengerConfig:
    table = _table(data, name)
    admins = _get(table, name, "admins", list, [])
    if not all(isinstance(a, int | str) and not isinstance(a, bool) for a in admins):
        raise ConfigError(f"[{name}].admins: must be a list of user ids")
    return MessengerConfig(
        token=os.environ.get(env_var) or _get(table, name, "token", str, None),
        base_url=_get(table, name, "base_url", str, default_base),
        base_file_url=_get(table, name, "base_file_url", str, None),
        admins=frozenset(str(a) for a in admins),
        poll_timeout=int(_positive(table, name, "poll_timeout", 30)),
    )


def _feeds(data: dict, default_interval: int) -> tuple[FeedConfig, ...]:
    raw = data.get("feeds", [])
    if not isinstance(raw, list):
        raise ConfigError("[[feeds]]: must be an array of tables ([[feeds]] blocks)")
    feeds = []
    for i, feed in enumerate(raw):
        where = f"feeds[{i}]"
        if not isinstance(feed, dict) or not isinstance(feed.get("url"), str) or not feed["url"]:
            raise ConfigError(f"[[feeds]] #{i + 1}.url: required, a URL or a local path")
        province = _get(feed, where, "province", str, None)
        if province:
            from bot.vietnamese.gazetteer import default_gazetteer

            resolved = default_gazetteer().resolve(province)
            if resolved.unit is None:
                raise ConfigError(f"[[feeds]] #{i + 1}.province: unknown province {province!r}")
            province = resolved.unit.slug
        interval = int(_positive(feed, where, "interval_seconds", default_interval))
        feeds.append(FeedConfig(url=feed["url"], interval_seconds=interval, province=province))
    return tuple(feeds)


def _load_topics(path: Path | None, overrides: dict) -> Topics:
    """The taxonomy, loaded here so that a bad [topics] table is a config error, not a crash later."""
    from bot.vietnamese.topics import Topics

    try:
        return Topics.load(path, overrides or None)
    except FileNotFoundError:
        raise ConfigError(f"[topics].path: file not found: {path}") from None
    except (ValueError, TypeError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"[topics]: {str(exc).removeprefix('config [topics]: ')}") from None


def parse_config(data: dict, *, path: Path | None = None) -> Config:
    """Validate a parsed TOML document."""
    base = path.parent if path else Path.cwd()
    storage = _table(data, "storage")
    storage_path = Path(_get(storage, "storage", "path", str, "data/diemtin.sqlite3"))
    if not storage_path.is_absolute():
        storage_path = base / storage_path

    schedule = _table(data, "schedule")
    tz_name = _get(schedule, "schedule", "timezone", str, "Asia/Ho_Chi_Minh")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[schedule].timezone: unknown time zone {tz_name!r}") from None
    weekly_text = _get(schedule, "schedule", "weekly", str, "mon 08:00")
    weekly = parse_weekly_slot(weekly_text)
    if weekly is None:
        raise ConfigError(f"[schedule].weekly: cannot read {weekly_text!r}; use e.g. \"mon 08:00\"")

    polling_t = _table(data, "polling")
    polling = PollingConfig(
        timeout_seconds=_positive(polling_t, "polling", "timeout_seconds", 20.0),
        max_bytes=int(_positive(polling_t, "polling", "max_bytes", 10 * 1024 * 1024)),
        max_redirects=int(_get(polling_t, "polling", "max_redirects", int, 5)),
        max_backoff_seconds=int(_positive(polling_t, "polling", "max_backoff_seconds", 21600)),
        tagging_workers=_non_negative_int(polling_t, "polling", "tagging_workers", 2),
    )
    default_interval = int(_positive(polling_t, "polling", "interval_seconds", 900))

    delivery_t = _table(data, "delivery")
    defaults = DeliveryConfig()
    delivery = DeliveryConfig(
        **{
            key: type(getattr(defaults, key))(_positive(delivery_t, "delivery", key, getattr(defaults, key)))
            for key in DeliveryConfig.__dataclass_fields__
        }
    )

    topics_t = _table(data, "topics")
    topics_path = _get(topics_t, "topics", "path", str, None)
    overrides = {k: v for k, v in topics_t.items() if k != "path"}

    topics_file = (base / topics_path) if topics_path else None
    topics = _load_topics(topics_file, overrides)

    zalo = _messenger(data, "zalo", "ZALO_BOT_TOKEN", "https://bot-api.zapps.me/bot") if "zalo" in data else None
    log_level = str(_table(data, "logging").get("level", "INFO")).upper()
    return Config(
        path=path,
        storage_path=storage_path,
        feeds=_feeds(data, default_interval),
        telegram=_messenger(data, "telegram", "TELEGRAM_BOT_TOKEN", "https://api.telegram.org/bot"),
        zalo=zalo,
        timezone=timezone,
        weekly_default=weekly,
        delivery=delivery,
        polling=polling,
        topics_path=topics_file,
        topic_overrides=overrides,
        topics=topics,
        log_level=log_level,
    )


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raises ConfigError with a one-line reason."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (copy config.example.toml)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(data, path=path)
