"""Read-side questions about the roster that other apps ask (checkins, reports, dashboard)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from .models import Membership, Person, Unit


def placements_on(units: QuerySet[Unit], day: date) -> QuerySet[Membership]:
    """Memberships covering `day` on any of `units`."""
    return Membership.objects.filter(unit__in=units.values("pk"), start__lte=day).filter(
        Q(end__isnull=True) | Q(end__gt=day)
    )


def expected_people(units: QuerySet[Unit], day: date) -> QuerySet[Person]:
    """Who was expected on `day` in `units`: placed there that day, whatever happened since."""
    return Person.objects.filter(pk__in=placements_on(units, day).values("person_id"))
