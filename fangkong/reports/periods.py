"""Periods, deadlines and closing times of a report type, in the reporting unit's own time zone."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from fangkong.lib.dates import local_time
from fangkong.org.models import Unit

from .models import Period, ReportType


def period_of(report_type: ReportType, day: date) -> tuple[date, date]:
    """The [first, last] days of the period of `report_type` that contains `day`."""
    if report_type.period == Period.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if report_type.period == Period.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def deadline(report_type: ReportType, unit: Unit, day: date) -> datetime:
    """Submitted at or after this instant is late (10:00:00 is late, 09:59:59 on time)."""
    _start, end = period_of(report_type, day)
    when = end + timedelta(days=report_type.deadline_offset_days)
    return local_time(unit.timezone, when, report_type.deadline_time)


def closes_at(report_type: ReportType, unit: Unit, day: date) -> datetime:
    """From this instant the period is locked (an unlock granted by the level above reopens it)."""
    _start, end = period_of(report_type, day)
    when = end + timedelta(days=report_type.closing_offset_days)
    return max(local_time(unit.timezone, when, report_type.closing_time), deadline(report_type, unit, day))
