"""Keep the day counters true when a person's placement changes after they checked in."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F
from django.dispatch import receiver

from fangkong.org.models import Person, Unit
from fangkong.org.signals import headcount_changed, placement_changed

from .models import CheckIn, OpenDay, UnitDay
from .rollup import recount_exempt, recount_exempt_person


@receiver(placement_changed, sender=Person)
def move_counters(
    sender: Any, person: Person, old_unit: Unit | None, new_unit: Unit | None, on: date, **kwargs: Any
) -> None:
    """Check-ins on or after `on` now count for the new unit, or, after leaving, for nobody."""
    from .actions import _count, _delta

    for ci in CheckIn.objects.select_for_update().filter(person=person, current=True, day__gte=on):
        if ci.counted:
            _count(ci.unit_id, ci.day, checked_in=-1, **_delta(ci.card, ci.where, -1))
        if new_unit is None:
            CheckIn.objects.filter(pk=ci.pk).update(counted=False)
        else:
            _count(new_unit.pk, ci.day, checked_in=1, **_delta(ci.card, ci.where, 1))
            CheckIn.objects.filter(pk=ci.pk).update(
                unit=new_unit, enterprise_id=new_unit.enterprise_id, counted=True
            )
    units = [u.pk for u in (old_unit, new_unit) if u is not None]
    recount_exempt_person(person.pk, units, on)


@receiver(headcount_changed, sender=Person)
def move_expected(sender: Any, changes: list[tuple[int, date, date | None, int]], **kwargs: Any) -> None:
    """Keep UnitDay.expected true for days already counted; open days get the rows they lack."""
    from fangkong.org.roster import placements_on

    for unit_id, first, end, delta in changes:
        rows = UnitDay.objects.filter(unit_id=unit_id, day__gte=first)
        if end is not None:
            rows = rows.filter(day__lt=end)
        rows.update(expected=F("expected") + delta)
        if delta <= 0:
            continue
        # An open day on which this unit had nobody (so no row) has somebody now.
        days = OpenDay.objects.filter(day__gte=first)
        if end is not None:
            days = days.filter(day__lt=end)
        have = set(
            UnitDay.objects.filter(unit_id=unit_id, day__in=days.values("day")).values_list("day", flat=True)
        )
        unit = Unit.objects.filter(pk=unit_id)
        made = UnitDay.objects.bulk_create(
            [
                UnitDay(unit_id=unit_id, day=d, expected=placements_on(unit, d).count())
                for d in days.values_list("day", flat=True)
                if d not in have
            ],
            ignore_conflicts=True,
        )
        recount_exempt((row.unit_id, row.day) for row in made)
