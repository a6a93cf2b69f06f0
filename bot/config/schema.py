"""The shape of config.toml: one frozen, strict pydantic model per table (the messengers'
tables are in bot/config/messengers.py).

Validation context (``model_validate(..., context=...)``): ``base``, the folder relative paths
are read against, and ``env``, the environment that tokens and webhook secrets come from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.vietnamese.weekday import WeeklySlot, parse_weekly_slot

if TYPE_CHECKING:
    from bot.vietnamese.topics import Topics

class Problems(ValueError):
    """Problems a validator found, each under a key of its table: [(key or None, text)]."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(text for _key, text in problems))
        self.problems = problems


def context_of(info: ValidationInfo) -> Mapping[str, Any]:
    return info.context or {}


def relative_path(value: Any, info: ValidationInfo) -> Path:
    if not isinstance(value, str) or not value:
        raise ValueError(f"must be a path (a string), got {value!r}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(context_of(info).get("base", Path.cwd())) / path


def url_problem(url: str, *, schemes: tuple[str, ...]) -> str | None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes:
        return f"must be an {' or '.join(schemes)} URL, got {url!r}"
    if not parts.hostname:
        return f"{url!r} names no host"
    return None


def _http_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a URL (a string), got {value!r}")
    problem = url_problem(value, schemes=("http", "https"))
    if problem:
        raise ValueError(problem)
    return value


def _listen_address(value: Any) -> str:
    """host:port, e.g. 127.0.0.1:8080 or [::1]:8080."""
    if isinstance(value, str):
        host, _, port = value.rpartition(":")
        if host.strip("[]") and port.isdigit() and 0 < int(port) < 65536:
            return value
    raise ValueError(f'must be "host:port" with a port from 1 to 65535, got {value!r}')


PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
ListenAddress = Annotated[str, BeforeValidator(_listen_address)]


class Section(BaseModel):
    """A table of config.toml: unknown keys refused, no type coercion, immutable."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, validate_default=True,
        arbitrary_types_allowed=True,
    )


class StorageConfig(Section):
    path: Annotated[Path, BeforeValidator(relative_path)] = "data/diemtin.sqlite3"  # type: ignore[assignment]


class FeedConfig(Section):
    url: str
    interval_seconds: PositiveInt = 900
    province: str | None = None  # a provincial portal's default province, as a slug

    @field_validator("url")
    @classmethod
    def _source(cls, value: str, info: ValidationInfo) -> str:
        """A well-formed http(s) URL, a file:// URL, or a local path (made absolute)."""
        from bot.intake.sourcefile import UnsupportedSource, local_path

        if not value.strip():
            raise ValueError("must not be empty: a URL or a local path")
        try:
            path = local_path(value)
        except UnsupportedSource as exc:
            raise ValueError(str(exc)) from None
        if path is None:
            problem = url_problem(value, schemes=("http", "https"))
            if problem:
                raise ValueError(problem)
        elif path == Path(value):
            return str(relative_path(value, info))
        return value

    @field_validator("province")
    @classmethod
    def _province(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from bot.vietnamese.gazetteer import default_gazetteer

        resolved = default_gazetteer().resolve(value)
        if resolved.unit is None:
            raise ValueError(f"unknown province {value!r}")
        return resolved.unit.slug


class ScheduleConfig(Section):
    timezone: ZoneInfo = "Asia/Ho_Chi_Minh"  # type: ignore[assignment]
    weekly: WeeklySlot = "mon 08:00"  # type: ignore[assignment]

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> ZoneInfo:
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f'unknown time zone {value!r}; use e.g. "Asia/Ho_Chi_Minh"') from None

    @field_validator("weekly", mode="before")
    @classmethod
    def _weekly(cls, value: Any) -> WeeklySlot:
        slot = parse_weekly_slot(value) if isinstance(value, str) else None
        if slot is None:
            raise ValueError(f'cannot read {value!r}; use e.g. "mon 08:00" or "thứ 2 8h"')
        return slot


class PollingConfig(Section):
    interval_seconds: PositiveInt = 900  # for feeds that set none
    timeout_seconds: PositiveFloat = 20.0
    max_bytes: PositiveInt = 10 * 1024 * 1024
    max_redirects: Annotated[int, Field(ge=0, le=30)] = 5
    max_backoff_seconds: PositiveInt = 6 * 3600
    tagging_workers: Annotated[int, Field(ge=0, le=64)] = 2  # 0: tag in the bot's process


class DeliveryConfig(Section):
    """What every messenger's sending shares; each one's rate limits are in its own table."""

    retry_for_seconds: PositiveFloat = 24 * 3600.0  # network errors and 5xx: retry this long
    backoff_base_seconds: PositiveFloat = 2.0
    backoff_max_seconds: PositiveFloat = 300.0
    concurrency: PositiveInt = 32
    poll_interval_seconds: PositiveFloat = 2.0
    fanout_chunk: PositiveInt = 1000  # chats queued per transaction; sending starts after the first

    @model_validator(mode="after")
    def _backoff_order(self) -> DeliveryConfig:
        if self.backoff_max_seconds < self.backoff_base_seconds:
            raise Problems([("backoff_max_seconds", f"must be at least backoff_base_seconds "
                                                    f"({self.backoff_base_seconds:g})")])
        return self


class TopicsConfig(Section):
    """``path`` to a taxonomy file, and adjustments that bot.vietnamese.topics validates."""

    model_config = ConfigDict(extra="allow")

    path: Annotated[Path, BeforeValidator(relative_path)] | None = None
    _taxonomy: Topics | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _load(self) -> TopicsConfig:
        import tomllib

        from bot.vietnamese.topics import Topics

        try:
            self._taxonomy = Topics.load(self.path, self.overrides or None)
        except FileNotFoundError:
            raise Problems([("path", f"file not found: {self.path}")]) from None
        except (ValueError, TypeError, KeyError, tomllib.TOMLDecodeError) as exc:
            text = str(exc).strip("'\"")
            key, sep, rest = text.removeprefix("config [topics]: topics.").partition(": ")
            raise Problems([(key, rest) if sep else (None, text)]) from None
        return self

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def taxonomy(self) -> Topics:
        assert self._taxonomy is not None  # set by validation
        return self._taxonomy


class ServerConfig(Section):
    """Where /healthz and /metrics are served; unset, the bot opens no port for them."""

    listen: ListenAddress | None = None


class AlertsConfig(Section):
    """When the admins are told, in their chat, that something needs them."""

    feed_failing_hours: PositiveFloat = 24.0  # a feed failing this long; and its recovery
    digest_late_hours: PositiveFloat = 24.0  # past a week after the last digest
    dead_messages: PositiveInt = 20  # this many more messages dead since the last alert


class RetentionConfig(Section):
    """What the bot prunes once a day; freed pages go back by incremental vacuum."""

    items_days: PositiveInt = 730
    sent_days: PositiveInt = 30  # sent (and cancelled) outbox rows


class LoggingConfig(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value
