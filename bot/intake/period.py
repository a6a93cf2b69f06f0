"""The reporting period of a digest: dates named in its text, else the ISO week it was published."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.models import Period
from bot.vietnamese.textnorm import clean

# Periods: "tuần 19 (từ ngày 07/5 đến ngày 13/5/2022)", "(từ 07/5 - 13/5/2022)",
# "từ ngày 30/12/2021 đến ngày 05/01/2022", "từ ngày 7 đến 13/5/2022".
_RANGE_SEP = r"\s*(?:đến|tới|đến hết|-|–|—|~)\s*(?:ngày\s*)?"
_FULL_RANGE = re.compile(
    r"(?:từ\s*(?:ngày\s*)?)?(?<!\d)(\d{1,2})\s*[/.]\s*(\d{1,2})(?:\s*[/.]\s*(\d{4}|\d{2}))?"
    + _RANGE_SEP
    + r"(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{4}|\d{2})(?!\d)",
    re.IGNORECASE,
)
_DAY_RANGE = re.compile(
    r"từ\s*(?:ngày\s*)?(?<!\d)(\d{1,2})" + _RANGE_SEP
    + r"(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{4}|\d{2})(?!\d)",
    re.IGNORECASE,
)
_WEEK = re.compile(r"tuần\s*(?:thứ\s*|số\s*)?(\d{1,2})(?!\d)", re.IGNORECASE)


def parse_period(text: str) -> Period | None:
    """The reporting period named in ``text``, or None.

    >>> parse_period("tuần 19 (từ ngày 07/5 đến ngày 13/5/2022)")
    Period(start=datetime.date(2022, 5, 7), end=datetime.date(2022, 5, 13), week=19)
    """
    text = clean(text)
    if not text:
        return None
    found = _find_range(text)
    if found is None:
        return None
    start, end, pos = found
    week = None
    # The week number written before the dates ("tuần 19 (từ ngày …)"), or just after them.
    for match in _WEEK.finditer(text):
        if match.start() <= pos and pos - match.end() <= 40 or 0 <= match.start() - pos <= 80:
            number = int(match.group(1))
            if 1 <= number <= 53:
                week = number
                break
    return Period(start=start, end=end, week=week)


def _find_range(text: str) -> tuple[date, date, int] | None:
    for match in _FULL_RANGE.finditer(text):
        d1, m1, y1, d2, m2, y2 = match.groups()
        end = _date(y2, m2, d2)
        if end is None:
            continue
        if y1:
            start = _date(y1, m1, d1)
        else:
            start = _date(str(end.year), m1, d1)
            if start is not None and start > end:
                start = _date(str(end.year - 1), m1, d1)
        if start is not None and timedelta(0) <= end - start <= timedelta(days=31):
            return start, end, match.start()
    for match in _DAY_RANGE.finditer(text):
        d1, d2, m2, y2 = match.groups()
        end = _date(y2, m2, d2)
        if end is None:
            continue
        start = _date(str(end.year), m2, d1)
        if start is not None and start <= end:
            return start, end, match.start()
    return None


def _date(year: str, month: str, day: str) -> date | None:
    y = int(year)
    if y < 100:
        y += 2000
    try:
        return date(y, int(month), int(day))
    except ValueError:
        return None


def week_of(published: datetime | None, tz: ZoneInfo) -> Period | None:
    """Monday..Sunday ISO week of ``published`` in ``tz`` (naive times are taken as UTC)."""
    if published is None:
        return None
    try:
        if published.tzinfo is None:
            published = published.replace(tzinfo=ZoneInfo("UTC"))
        local = published.astimezone(tz).date()
    except (OverflowError, ValueError):
        return None
    iso = local.isocalendar()
    monday = local - timedelta(days=iso.weekday - 1)
    return Period(start=monday, end=monday + timedelta(days=6), week=iso.week)
