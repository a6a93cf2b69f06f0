"""The bot's configuration: config.toml validated strictly, tokens and secrets from the environment.

``load_config(path)`` / ``parse_config(dict)`` give a frozen ``Config`` or raise ``ConfigError``
with every problem, one line each. ``bot.config.checks`` adds what needs the file system
(`diemtin check-config`).
"""

from bot.config.loading import load_config, parse_config
from bot.config.messengers import (
    MessengerConfig,
    RateLimits,
    TelegramConfig,
    ZaloConfig,
    ZaloLimits,
)
from bot.config.model import Config
from bot.config.problems import ConfigError
from bot.config.schema import (
    AlertsConfig,
    DeliveryConfig,
    FeedConfig,
    LoggingConfig,
    PollingConfig,
    RetentionConfig,
    ScheduleConfig,
    ServerConfig,
    StorageConfig,
    TopicsConfig,
)

__all__ = [
    "AlertsConfig", "Config", "ConfigError", "DeliveryConfig", "FeedConfig", "LoggingConfig", "MessengerConfig",
    "PollingConfig", "RateLimits", "RetentionConfig", "ScheduleConfig", "ServerConfig",
    "StorageConfig", "TelegramConfig",
    "TopicsConfig", "ZaloConfig", "ZaloLimits", "load_config", "parse_config",
]
