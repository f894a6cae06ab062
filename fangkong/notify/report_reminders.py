"""Report deadlines: one hour before, remind the units that have not reported; at the deadline, tell
the level above which of its units are still missing.

Deadlines are the report types' own (fangkong.reports: a local time of the reporting unit on the
period's last day plus an offset), so these are not fixed-time daily jobs: each scheduler pass looks
at every active type in every time zone where units report, and claims each (type, zone, period,
phase) once through the scheduler's unique run key. Who is missing is asked at that moment
(`reports.queries.missing_units`), so a unit that reported at 09:01 gets no 09:00 reminder.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.lib.dates import business_day, local_time
from fangkong.org import access
from fangkong.org.models import Unit

from .api import notify

ACTOR = "system:notify"
BEFORE = timedelta(hours=1)
GRACE = timedelta(hours=6)


def _due_periods(rt, tz: str, now: datetime) -> list[tuple[date, datetime]]:
    """(last day, deadline) of each period of `rt` whose deadline falls today or yesterday in `tz`."""
    from fangkong.reports.periods import period_of

    found = []
    today = business_day(tz, now)
    for deadline_day in (today - timedelta(days=1), today):
        last = deadline_day - timedelta(days=rt.deadline_offset_days)
        if period_of(rt, last)[1] != last:
            continue  # no period of this type ends that day (weekly, monthly)
        found.append((last, local_time(tz, deadline_day, rt.deadline_time)))
    return found


def _zones() -> list[str]:
    return sorted(set(Unit.objects.filter(active=True).values_list("timezone", flat=True)))


def _reporters(unit: Unit) -> list:
    from fangkong.reports.queries import SUBMIT_ROLES

    return access.holders(unit, SUBMIT_ROLES)


def _heads(unit: Unit) -> list:
    from fangkong.reports.queries import READ_ROLES

    if unit.parent_id is None:
        return []
    return access.holders(Unit.objects.get(pk=unit.parent_id), READ_ROLES)


def _link(unit: Unit, rt, last: date) -> str:
    return f"{reverse('reports_form', args=[unit.code])}?type={rt.code}&date={last.isoformat()}"


def remind(rt, tz: str, last: date, deadline: datetime) -> int:
    """Deadline − 1 h: each missing unit's own admins, one message per recipient."""
    from fangkong.reports.queries import missing_units

    by_user: dict[int, Any] = {}
    units_of: dict[int, list[Unit]] = defaultdict(list)
    for unit in missing_units(rt, last):
        if unit.timezone != tz:
            continue
        for user in _reporters(unit):
            by_user[user.pk] = user
            units_of[user.pk].append(unit)
    sent = 0
    local = timezone.localtime(deadline, deadline.tzinfo).strftime("%H:%M")
    for pk, units in units_of.items():
        names = "、".join(u.name for u in units)
        subject = _("%(type)s due at %(time)s: not yet reported") % {"type": rt.name, "time": local}
        body = ngettext(
            "%(n)d unit has not reported %(type)s for %(day)s yet: %(names)s",
            "%(n)d units have not reported %(type)s for %(day)s yet: %(names)s",
            len(units),
        ) % {"n": len(units), "type": rt.name, "day": last.isoformat(), "names": names}
        sent += notify(
            ACTOR,
            [by_user[pk]],
            subject=subject,
            body=body,
            link=_link(units[0], rt, last),
            unit=units[0],
            key=f"reports.remind:{rt.code}:{tz}:{last.isoformat()}",
        )
    return sent


def tell_above(rt, tz: str, last: date) -> int:
    """At the deadline: the admins of the level above get one digest of their units still missing."""
    from fangkong.reports.queries import missing_units

    by_user: dict[int, Any] = {}
    units_of: dict[int, list[Unit]] = defaultdict(list)
    for unit in missing_units(rt, last):
        if unit.timezone != tz:
            continue
        for user in _heads(unit):
            by_user[user.pk] = user
            units_of[user.pk].append(unit)
    sent = 0
    for pk, units in units_of.items():
        subject = ngettext(
            "%(n)d unit missed the %(type)s deadline", "%(n)d units missed the %(type)s deadline", len(units)
        ) % {"n": len(units), "type": rt.name}
        body = _("Not reported for %(day)s: %(names)s") % {
            "day": last.isoformat(),
            "names": "、".join(f"{u.name}（{u.code}）" for u in units),
        }
        parent = units[0].parent
        assert parent is not None  # _heads found someone above
        sent += notify(
            ACTOR,
            [by_user[pk]],
            subject=subject,
            body=body,
            link=f"{reverse('reports_reporting', args=[parent.code])}?type={rt.code}&date={last.isoformat()}",
            unit=parent,
            key=f"reports.overdue:{rt.code}:{tz}:{last.isoformat()}",
        )
    return sent


def run(now: datetime | None = None) -> int:
    """One scheduler pass over the report types' deadlines; each phase is claimed once."""
    try:
        from fangkong.reports.models import ReportType
    except ImportError:  # the reports module is optional for this pass
        return 0
    from .schedule import claim_key

    now = now or timezone.now()
    sent = 0
    zones = _zones()
    for rt in ReportType.objects.filter(active=True):
        for tz in zones:
            for last, deadline in _due_periods(rt, tz, now):
                if deadline - BEFORE <= now < deadline:
                    key = f"reports.remind:{rt.code}:{tz}:{last.isoformat()}"
                    with transaction.atomic():  # a failure un-claims: the next pass tries again
                        if claim_key(
                            key, job="reports.remind", unit=None, day=last, due_at=deadline - BEFORE, now=now
                        ):
                            sent += remind(rt, tz, last, deadline)
                elif deadline <= now < deadline + GRACE:
                    key = f"reports.overdue:{rt.code}:{tz}:{last.isoformat()}"
                    with transaction.atomic():
                        if claim_key(
                            key, job="reports.overdue", unit=None, day=last, due_at=deadline, now=now
                        ):
                            sent += tell_above(rt, tz, last)
    return sent
