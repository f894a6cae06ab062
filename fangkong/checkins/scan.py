"""Scanning for people missing several days in a row: each gets a ledger item with a named owner.

A person is missing on a day when expected there (on the roster), without a current check-in and not
exempt. Someone missing on each of the N consecutive business days ending `day` gets one open item
of kind person_missing (key "missing:<person pk>"); scanning again opens nothing new while that item
is open. The set of people is found with one query per group of enterprises sharing a business day,
whatever the head count; only the items to open are written one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.ledger import actions as ledger
from fangkong.ledger.hooks import default_owner
from fangkong.ledger.models import OPEN_STATES, Item, Kind
from fangkong.lib.dates import business_day, local_time
from fangkong.org.models import Membership, Person, Unit

from .models import CheckIn, Exemption

DUE_AT = time(12, 0)  # the day after the last missing day, local noon
ACTOR = "scan-missing"


@dataclass
class ScanResult:
    days: int
    enterprises: int = 0
    missing: int = 0  # people missing on every one of the days
    opened: int = 0
    already_open: int = 0


def missing_days_setting() -> int:
    return int(getattr(settings, "MISSING_DAYS_ALERT", 2))


def missing_on_all(enterprises: QuerySet[Unit] | list[int], days: list[date]) -> QuerySet[Person]:
    """Active people of `enterprises` missing on every one of `days` (one query, however many days)."""
    people = Person.objects.filter(enterprise__in=enterprises, status=Person.Status.ACTIVE)
    for day in days:
        placed = Membership.objects.filter(person=OuterRef("pk"), start__lte=day).filter(
            Q(end__isnull=True) | Q(end__gt=day)
        )
        reported = CheckIn.objects.filter(person=OuterRef("pk"), day=day, current=True, counted=True)
        exempt = Exemption.objects.filter(
            person=OuterRef("pk"), start__lte=day, end__gte=day, cancelled_at__isnull=True
        )
        people = people.filter(Exists(placed), ~Exists(reported), ~Exists(exempt))
    return people


def open_missing_items(day: date | None = None, n_days: int | None = None) -> ScanResult:
    """Open a person_missing item for everyone missing on each of the `n_days` days ending `day`.

    `day` defaults to each enterprise's last complete business day (yesterday in its own zone),
    so a scan at any hour never counts a day that is still running. Idempotent.
    """
    n = n_days if n_days is not None else missing_days_setting()
    if n < 1:
        raise ValueError("n_days must be at least 1")
    result = ScanResult(days=n)
    by_day: dict[date, list[int]] = defaultdict(list)
    now = timezone.now()
    for pk, tz in Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, active=True).values_list("pk", "timezone"):
        last = day if day is not None else business_day(tz, now) - timedelta(days=1)
        by_day[last].append(pk)
        result.enterprises += 1
    for last, enterprise_ids in sorted(by_day.items()):
        days = [last - timedelta(days=i) for i in range(n - 1, -1, -1)]
        _open_for(enterprise_ids, days, result)
    return result


def _open_for(enterprise_ids: list[int], days: list[date], result: ScanResult) -> None:
    last = days[-1]
    people = list(
        missing_on_all(enterprise_ids, days)
        .select_related("unit", "enterprise")
        .order_by("unit_id", "employee_no")
    )
    result.missing += len(people)
    if not people:
        return
    open_keys = set(
        Item.objects.filter(kind=Kind.PERSON_MISSING, state__in=OPEN_STATES, enterprise_id__in=enterprise_ids)
        .values_list("key", flat=True)
        .iterator()
    )
    owners: dict[int, object] = {}
    for person in people:
        key = f"missing:{person.pk}"
        if key in open_keys:
            result.already_open += 1
            continue
        if person.unit_id not in owners:
            owners[person.unit_id] = default_owner(person.unit)
        _item, created = ledger.open_item(
            ACTOR,
            kind=Kind.PERSON_MISSING,
            key=key,
            unit=person.unit,
            person=person,
            title=_("%(name)s (%(no)s): no check-in for %(n)d days up to %(day)s")
            % {"name": person.name, "no": person.employee_no, "n": len(days), "day": last.isoformat()},
            due_at=local_time(person.enterprise.timezone, last + timedelta(days=1), DUE_AT),
            owner=owners[person.unit_id],
            detail={"days": [d.isoformat() for d in days]},
        )
        if created:
            result.opened += 1
        else:
            result.already_open += 1
