"""Central's clock helpers: ISO 8601 with the offset for records people sign, UTC µs for order."""

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_ZONE)


def now_iso(tz: tzinfo = UTC) -> str:
    """Now, to the second, with its offset: what an audit line records as "when"."""
    return datetime.now(tz).isoformat(timespec="seconds")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_us(moment: datetime) -> int:
    """UTC microseconds since the epoch: one ordering that SQLite and PostgreSQL agree on.

    Exact integer arithmetic (no float timestamp), so two events a microsecond apart never
    collide or swap order.
    """
    return (moment - _EPOCH) // timedelta(microseconds=1)
