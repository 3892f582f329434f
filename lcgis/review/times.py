"""Times of the review store: stored in UTC, shown in Beijing time."""

from __future__ import annotations

import datetime as dt
from typing import Final

UTC: Final = dt.UTC
#: Times are stored in UTC and shown in China Standard Time (no daylight saving).
DISPLAY_TZ: Final = dt.timezone(dt.timedelta(hours=8), "北京时间")


def utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (SQLite gives naive UTC back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: dt.datetime) -> str:
    return utc(value).isoformat(timespec="microseconds")


def format_time(value: dt.datetime | None) -> str:
    """A stored time as Beijing time, e.g. ``2026-11-28 09:15:03``."""
    return "" if value is None else utc(value).astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M:%S")
