"""The messengers' tables: [telegram] and [zalo], each with its [<name>.limits].

A messenger is enabled when its token is in the environment. Tokens and webhook secrets are
private attributes, read from the validation context's ``env``: never a field, so never in a
repr, a dump or an error.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import PrivateAttr, ValidationInfo, field_validator, model_validator

from bot.config.schema import (
    HttpUrl,
    ListenAddress,
    PositiveFloat,
    PositiveInt,
    Problems,
    Section,
    context_of,
    url_problem,
)

_SECRET = re.compile(r"[A-Za-z0-9_-]{8,256}")


class RateLimits(Section):
    """How fast one messenger may be sent to; Telegram's published limits by default."""

    global_per_second: PositiveFloat = 30.0
    private_per_second: PositiveFloat = 1.0
    private_burst: PositiveInt = 3
    group_per_minute: PositiveFloat = 20.0


class ZaloLimits(RateLimits):
    """Zalo publishes no rate: well under Telegram's, and a 429 pauses sending anyway."""

    global_per_second: PositiveFloat = 5.0
    private_per_second: PositiveFloat = 1.0
    private_burst: PositiveInt = 2
    group_per_minute: PositiveFloat = 10.0


class MessengerConfig(Section):
    """One messenger's table; it is enabled when its token is in the environment."""

    name: ClassVar[str]
    token_env: ClassVar[str]
    secret_env: ClassVar[str]
    user_id_kind: ClassVar[str]

    base_url: HttpUrl
    admins: frozenset[str] = frozenset()
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: ListenAddress
    poll_timeout: PositiveInt = 30
    limits: RateLimits = RateLimits()

    _token: str | None = PrivateAttr(None)
    _webhook_secret: str | None = PrivateAttr(None)

    @classmethod
    def user_id(cls, value: Any) -> str | None:
        """The id as stored and compared, or None when ``value`` is not one."""
        return value.strip() or None if isinstance(value, str) else None

    @field_validator("admins", mode="before")
    @classmethod
    def _admins(cls, value: Any) -> frozenset[str]:
        if isinstance(value, frozenset | set | tuple):  # a default, or built in code
            value = list(value)
        if not isinstance(value, list):
            raise ValueError(f"must be a list of {cls.user_id_kind}, got {value!r}")
        ids = {v: None if isinstance(v, bool) else cls.user_id(v) for v in value}
        bad = [v for v, user_id in ids.items() if user_id is None]
        if bad:
            shown = ", ".join(repr(v) for v in bad)
            raise ValueError(f"must be a list of {cls.user_id_kind}, not {shown}")
        return frozenset(ids.values())

    @model_validator(mode="after")
    def _webhook_and_secrets(self, info: ValidationInfo) -> MessengerConfig:
        env = context_of(info).get("env", {})
        self._token = (env.get(self.token_env) or "").strip() or None
        self._webhook_secret = env.get(self.secret_env) or None
        problems: list[tuple[str | None, str]] = []
        if self.webhook_url is not None:
            problem = url_problem(self.webhook_url, schemes=("https",))
            if problem and self.mode == "webhook":
                problems.append(("webhook_url", problem + ' (mode = "webhook" needs a public HTTPS URL)'))
        elif self.mode == "webhook":
            problems.append(("webhook_url", 'required when mode = "webhook" (the public HTTPS URL)'))
        if self.mode == "webhook" and self.enabled:
            if self._webhook_secret is None:
                problems.append((None, f'mode = "webhook" needs a secret: set {self.secret_env}'))
            elif not _SECRET.fullmatch(self._webhook_secret):
                problems.append((None, f"{self.secret_env}: must be 8 to 256 characters of A-Z, "
                                       f"a-z, 0-9, _ and - (it has {len(self._webhook_secret)})"))
        if problems:
            raise Problems(problems)
        return self

    @property
    def token(self) -> str | None:
        """The bot token from the environment (``token_env``), None when unset."""
        return self._token

    @property
    def webhook_secret(self) -> str | None:
        """The webhook secret from the environment (``secret_env``), None when unset."""
        return self._webhook_secret

    @property
    def enabled(self) -> bool:
        return self._token is not None


class TelegramConfig(MessengerConfig):
    name: ClassVar[str] = "telegram"
    token_env: ClassVar[str] = "TELEGRAM_BOT_TOKEN"
    secret_env: ClassVar[str] = "TELEGRAM_WEBHOOK_SECRET"
    user_id_kind: ClassVar[str] = "Telegram user ids (whole numbers)"

    base_url: HttpUrl = "https://api.telegram.org/bot"
    base_file_url: HttpUrl | None = None
    webhook_listen: ListenAddress = "127.0.0.1:8080"

    @classmethod
    def user_id(cls, value: Any) -> str | None:
        if isinstance(value, str):
            value = int(value) if value.strip().isdigit() else None
        return str(value) if isinstance(value, int) and value > 0 else None


class ZaloConfig(MessengerConfig):
    name: ClassVar[str] = "zalo"
    token_env: ClassVar[str] = "ZALO_BOT_TOKEN"
    secret_env: ClassVar[str] = "ZALO_WEBHOOK_SECRET"
    user_id_kind: ClassVar[str] = "Zalo user ids (strings)"

    base_url: HttpUrl = "https://bot-api.zaloplatforms.com/bot"
    webhook_listen: ListenAddress = "127.0.0.1:8081"
    limits: ZaloLimits = ZaloLimits()
