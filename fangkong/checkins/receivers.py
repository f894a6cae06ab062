"""Keep the day counters true when a person's placement changes after they checked in."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.dispatch import receiver

from fangkong.org.models import Person, Unit
from fangkong.org.signals import placement_changed

from .models import Card, CheckIn


@receiver(placement_changed, sender=Person)
def move_counters(
    sender: Any, person: Person, old_unit: Unit | None, new_unit: Unit | None, on: date, **kwargs: Any
) -> None:
    """Check-ins on or after `on` now count for the new unit, or, after leaving, for nobody."""
    from .actions import _count

    for ci in CheckIn.objects.select_for_update().filter(person=person, current=True, day__gte=on):
        red = 1 if ci.card == Card.RED else 0
        yellow = 1 if ci.card == Card.YELLOW else 0
        if ci.counted:
            _count(ci.unit_id, ci.day, checked_in=-1, red=-red, yellow=-yellow)
        if new_unit is None:
            CheckIn.objects.filter(pk=ci.pk).update(counted=False)
        else:
            _count(new_unit.pk, ci.day, checked_in=1, red=red, yellow=yellow)
            CheckIn.objects.filter(pk=ci.pk).update(
                unit=new_unit, enterprise_id=new_unit.enterprise_id, counted=True
            )
