"""Re-screening after a risk rise: the people whose recent check-ins name a region that rose to
medium or high, listed per enterprise with a yellow card, and at high a ledger item each."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.checkins.models import CheckIn
from fangkong.ledger.actions import Opening
from fangkong.ledger.hooks import default_owner
from fangkong.ledger.models import Kind
from fangkong.org.bulk import insert_objects
from fangkong.org.imports.base import batched
from fangkong.org.models import Person, Region, Unit

from . import queries
from .items import open_ids, open_items
from .models import Level, RescreenEntry, RiskLevel

RESCREEN_DAYS = 14
RESCREEN_DUE_HOURS = 24


def rescreen_candidates(region: Region, day: date) -> dict[int, list[dict[str, str]]]:
    """People (active) whose current check-ins of the 14 days up to `day` name the region or a
    sub-region of it (as location or among the places visited), with those check-ins."""
    prefix = queries.region_prefix(region)
    first = day - timedelta(days=RESCREEN_DAYS - 1)
    rows = (
        CheckIn.objects.filter(
            current=True, day__gte=first, day__lte=day, person__status=Person.Status.ACTIVE
        )
        .annotate(visited_text=Cast("visited", TextField()))
        .filter(Q(location__startswith=prefix) | Q(visited_text__contains=f'"{prefix}'))
        .values_list("id", "person_id", "day", "location", "visited")
        .order_by("person_id", "day")
    )
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for pk, person_id, d, location, visited in rows.iterator(chunk_size=5000):
        named = [
            c for c in [location, *(visited or [])] if isinstance(c, str) and queries.names_region(c, region)
        ]
        if named:
            found[person_id].append({"id": str(pk), "day": d.isoformat(), "code": named[0]})
    return found


def rescreen(actor: Any, risk: RiskLevel, day: date) -> list[RescreenEntry]:
    """List, per enterprise, the people whose recent check-ins name a region that rose to medium or
    high, each with a yellow card; at high, each also gets a re-screening ledger item (rule in
    docs/controls.md)."""
    region = risk.region
    found = rescreen_candidates(region, day)
    if not found:
        return []
    # In chunks: a province's rise names ~100 000 people of a million-person group, past the
    # 65 535 parameters a PostgreSQL statement takes.
    people: dict[int, Person] = {}
    for ids in batched(found):
        people.update((p.pk, p) for p in Person.objects.filter(pk__in=ids).select_related("unit"))
    with transaction.atomic():
        # At high, the items first, so that each entry is written with its item (set afterwards by
        # bulk_update, a province's 100 000 entries took longer than their items), then the entries
        # by COPY (docs/performance-history.md, session 22).
        items = _open_items(actor, risk, found, people) if risk.level == Level.HIGH else {}
        entries = [
            RescreenEntry(
                risk=risk,
                region=region,
                level=risk.level,
                person=people[pid],
                enterprise_id=people[pid].enterprise_id,
                unit=people[pid].unit,
                checkins=refs,
                item_id=items.get(_key(pid, region)),
            )
            for pid, refs in found.items()
        ]
        insert_objects(entries)
        per_enterprise: dict[int, int] = defaultdict(int)
        for e in entries:
            per_enterprise[e.enterprise_id] += 1
        codes = dict(Unit.objects.filter(pk__in=list(per_enterprise)).values_list("pk", "code"))
        for pk, n in sorted(per_enterprise.items()):
            record(
                actor,
                "controls.rescreen",
                "region",
                region.code,
                unit_code=codes[pk],
                detail={"level": risk.level, "people": n, "items": risk.level == Level.HIGH},
            )
    return entries


def _key(person_id: int, region: Region) -> str:
    return f"rescreen:{person_id}:{region.code}"


def _open_items(
    actor: Any, risk: RiskLevel, found: dict[int, list[dict[str, str]]], people: dict[int, Person]
) -> dict[str, int]:
    """A re-screening item per person (unless one is open for the person and region), due in
    RESCREEN_DUE_HOURS, owned by the unit's default owner; the open item's id of each key."""
    region = risk.region
    owners: dict[int, Any] = {}
    specs = []
    due = timezone.now() + timedelta(hours=RESCREEN_DUE_HOURS)
    for pid, refs in found.items():
        person = people[pid]
        if person.unit_id not in owners:
            owners[person.unit_id] = default_owner(person.unit)
        specs.append(
            Opening(
                kind=Kind.RISK_RESCREEN,
                key=_key(pid, region),
                unit=person.unit,
                person=person,
                title=_("%(name)s (%(no)s): re-screen, check-ins name %(region)s (now high risk)")
                % {"name": person.name, "no": person.employee_no, "region": region.name},
                due_at=due,
                owner=owners[person.unit_id],
                detail={"region": region.code, "level": risk.level, "days": [r["day"] for r in refs]},
            )
        )
    open_items(actor, specs)
    return open_ids(Kind.RISK_RESCREEN, [s.key for s in specs])
