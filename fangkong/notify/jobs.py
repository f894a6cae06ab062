"""The daily jobs this module brings (registered from NotifyConfig.ready)."""

from __future__ import annotations

from datetime import datetime

from fangkong.org.models import Unit

from . import reminders, schedule


def scan_missing(now: datetime, unit: Unit | None) -> int:
    """`fangkong checkins scan-missing` once a day: items for people missing several days running."""
    from fangkong.checkins.scan import open_missing_items

    return open_missing_items().opened


def register_builtin() -> None:
    schedule.register("checkins.remind_people", "08:30", reminders.remind_people)
    schedule.register("checkins.tell_grid_leaders", "10:00", reminders.tell_grid_leaders)
    schedule.register("checkins.tell_enterprise_admin", "11:00", reminders.tell_enterprise_admin)
    # Idempotent, and it works out each enterprise's last complete day itself: once a day is enough.
    schedule.register("checkins.scan_missing", "01:00", scan_missing, per="global")
