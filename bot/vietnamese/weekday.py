"""Parse a weekly slot typed by a person: "thứ 2 8h", "T2 08:00", "chu nhat 20:30", "mon 8:00"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.vietnamese.textnorm import fold

# Folded day names → 0 = Monday … 6 = Sunday (Python's and APScheduler's numbering).
DAY_NAMES: dict[str, int] = {
    "thu 2": 0, "thu hai": 0, "t2": 0, "mon": 0, "monday": 0,
    "thu 3": 1, "thu ba": 1, "t3": 1, "tue": 1, "tues": 1, "tuesday": 1,
    "thu 4": 2, "thu tu": 2, "t4": 2, "wed": 2, "wednesday": 2,
    "thu 5": 3, "thu nam": 3, "t5": 3, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "thu 6": 4, "thu sau": 4, "t6": 4, "fri": 4, "friday": 4,
    "thu 7": 5, "thu bay": 5, "t7": 5, "sat": 5, "saturday": 5,
    "chu nhat": 6, "cn": 6, "sun": 6, "sunday": 6,
}
DAY_LABELS = {
    "vi": ("Thứ 2", "Thứ 3", "Thứ 4", "Thứ 5", "Thứ 6", "Thứ 7", "Chủ nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_DAY_PATTERN = "|".join(sorted((re.escape(k) for k in DAY_NAMES), key=len, reverse=True))
_SLOT = re.compile(
    rf"^\s*(?P<day>{_DAY_PATTERN})\b[\s,:-]*"
    r"(?:(?P<hour>\d{1,2})\s*(?:h|g|gio|:|\.)?\s*(?P<minute>\d{1,2})?\s*(?:p|phut)?)?\s*$"
)
_TIME_ONLY = re.compile(r"^\s*(?P<hour>\d{1,2})\s*(?:h|g|gio|:|\.)?\s*(?P<minute>\d{1,2})?\s*(?:p|phut)?\s*$")


@dataclass(frozen=True)
class WeeklySlot:
    day: int  # 0 = Monday … 6 = Sunday
    hour: int
    minute: int

    @property
    def hhmm(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    def label(self, lang: str = "vi") -> str:
        return f"{DAY_LABELS.get(lang, DAY_LABELS['vi'])[self.day]} {self.hhmm}"


def _time(hour: str | None, minute: str | None) -> tuple[int, int] | None:
    h = int(hour) if hour else 8
    m = int(minute) if minute else 0
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return h, m


def parse_weekly_slot(text: str, *, default_day: int | None = None) -> WeeklySlot | None:
    """A day and time from free text; None when it cannot be read. A bare time keeps ``default_day``."""
    folded = re.sub(r"\s+", " ", fold(text or "")).strip()
    if len(folded) > 40:
        return None
    match = _SLOT.match(folded)
    if match:
        parsed = _time(match.group("hour"), match.group("minute"))
        return WeeklySlot(DAY_NAMES[match.group("day")], *parsed) if parsed else None
    match = _TIME_ONLY.match(folded)
    if match and default_day is not None:
        parsed = _time(match.group("hour"), match.group("minute"))
        return WeeklySlot(default_day, *parsed) if parsed else None
    return None
