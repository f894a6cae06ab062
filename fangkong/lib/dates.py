"""Business days: a day is the enterprise's local day, whatever the server's time zone."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

DEFAULT_ZONE = "Asia/Shanghai"


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_ZONE)


def business_day(tz_name: str | None, instant: datetime | None = None) -> date:
    """The local date in zone `tz_name` at `instant` (now by default)."""
    instant = instant or timezone.now()
    return instant.astimezone(zone(tz_name)).date()


def day_bounds(tz_name: str | None, day: date) -> tuple[datetime, datetime]:
    """The UTC-aware [start, end) instants of local day `day` in zone `tz_name`."""
    tz = zone(tz_name)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def local_time(tz_name: str | None, day: date, at: time) -> datetime:
    """An aware instant for local wall-clock time `at` on `day` (deadlines, reminders)."""
    return datetime.combine(day, at, tzinfo=zone(tz_name))


# The days a user may name: far enough either way for any real period, near enough that a period's
# end and deadline (a day plus weeks) are still dates (9999-12-31 plus a day is not).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def parse_day(value: str) -> date:
    """Parse YYYY-MM-DD strictly, within FIRST_DAY..LAST_DAY; raises ValueError with a readable
    message."""
    try:
        day = date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise ValueError(f"not a date (expected YYYY-MM-DD): {value!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"out of range ({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}): {value!r}")
    return day
