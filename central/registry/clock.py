"""Timestamps for records people sign off: ISO 8601 with the offset, in the site's zone."""

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_ZONE)


def now_iso(tz: tzinfo = UTC) -> str:
    """Now, to the second, with its offset: what an audit line records as "when"."""
    return datetime.now(tz).isoformat(timespec="seconds")


def utc_us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)
