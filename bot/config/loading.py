"""Reading config.toml into a ``Config``: TOML, then the schema, with the environment's secrets."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config.model import Config
from bot.config.problems import ConfigError, describe


def parse_config(
    data: dict[str, Any], *, path: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Validate a parsed TOML document; ``env`` (default: the process's) holds tokens and secrets.

    Raises ConfigError with every problem found, one line each.
    """
    base = path.absolute().parent if path else Path.cwd()
    context = {"base": base, "env": os.environ if env is None else env, "path": path}
    try:
        return Config.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(describe(exc), source=str(path) if path else None) from None


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file; raises ConfigError, one line per problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config file not found (copy config.example.toml)", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", str(path)) from None
    return parse_config(data, path=path, env=env)
