"""Reading python-telegram-bot's errors the one way this package needs."""

from __future__ import annotations

import datetime as dtm
import warnings

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning


def retry_after_seconds(exc: RetryAfter) -> float:
    """A 429's wait in seconds (PTB 22 gives an int today and a timedelta later)."""
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, dtm.timedelta) else float(wait)
