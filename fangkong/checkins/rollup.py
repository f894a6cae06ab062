"""Daily person state and roll-ups: expected, checked in, exempt, missing, abnormal per unit and day.

Checked-in and card counts come from the per-unit day counters (`UnitDay`); who is expected comes
from the effective-dated roster; exemptions only count for people who did not check in (someone who
reports while exempt counts as reported). missing = expected - checked_in - exempt.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet

from fangkong.ledger.queries import open_items_by_unit
from fangkong.org.models import Person, Unit
from fangkong.org.roster import placements_on

from .models import CheckIn, Exemption, OpenDay, UnitDay

FIGURES = ("expected", "checked_in", "missing", "exempt", "abnormal", "red", "yellow", "open_items")


@dataclass
class Figures:
    expected: int = 0
    checked_in: int = 0
    missing: int = 0
    exempt: int = 0
    abnormal: int = 0
    red: int = 0
    yellow: int = 0
    open_items: int = 0

    def add(self, other: Figures) -> None:
        for f in FIGURES:
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def exempt_people(day: date) -> QuerySet[Exemption]:
    return Exemption.objects.filter(start__lte=day, end__gte=day, cancelled_at__isnull=True)


def reported_people(day: date) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(day=day, current=True, counted=True)


def open_day(day: date) -> None:
    """Make the UnitDay row of every unit with people that day, counting who is expected.

    Once per day (the first roll-up of it, or a job at midnight): one grouped pass over the
    memberships covering the day. After that, roll-ups read only the counters, and roster changes
    keep them true (checkins.receivers.move_expected).
    """
    if OpenDay.objects.filter(day=day).exists():
        return
    with transaction.atomic():
        counts = placements_on(Unit.objects.all(), day).values("unit_id").annotate(n=Count("id"))
        UnitDay.objects.bulk_create(
            [UnitDay(unit_id=r["unit_id"], day=day, expected=r["n"]) for r in counts.iterator()],
            batch_size=5000,
            ignore_conflicts=True,
        )
        OpenDay.objects.bulk_create([OpenDay(day=day)], ignore_conflicts=True)


def figures_by_unit(subtree: QuerySet[Unit], day: date) -> dict[int, Figures]:
    """Figures of each unit in `subtree` on its own (not including its descendants)."""
    open_day(day)
    out: dict[int, Figures] = defaultdict(Figures)
    counters = UnitDay.objects.filter(unit__in=subtree.values("pk"), day=day).values_list(
        "unit_id", "expected", "checked_in", "red", "yellow"
    )
    for unit_id, expected, checked_in, red, yellow in counters:
        f = out[unit_id]
        f.expected, f.checked_in, f.red, f.yellow = expected, checked_in, red, yellow
        f.abnormal = red + yellow
    # Exempt people who did not report: driven from the (few) exemptions covering the day.
    not_reported = ~Exists(reported_people(day).filter(person_id=OuterRef("person_id")))
    exempt_ids = exempt_people(day).filter(not_reported).values("person_id")
    exempt = (
        placements_on(subtree, day)
        .filter(person_id__in=exempt_ids)
        .values("unit_id")
        .annotate(n=Count("person_id", distinct=True))
    )
    for row in exempt:
        out[row["unit_id"]].exempt = row["n"]
    for unit_id, n in open_items_by_unit(subtree).items():
        out[unit_id].open_items = n
    for f in out.values():
        f.missing = f.expected - f.checked_in - f.exempt
    return out


def rollup(unit: Unit, day: date) -> dict:
    """The unit's figures and the same for each child, as the API and dashboard show them."""
    units = list(unit.subtree().values_list("pk", "path", "parent_id", "code"))
    per_unit = figures_by_unit(unit.subtree(), day)
    total = Figures()
    children: dict[int, tuple[str, str, Figures]] = {
        pk: (code, path, Figures()) for pk, path, parent, code in units if parent == unit.pk
    }
    child_paths = [(path, pk) for pk, (code, path, _) in children.items()]
    for pk, path, _parent, _code in units:
        f = per_unit.get(pk)
        if f is None:
            continue
        total.add(f)
        for cpath, cpk in child_paths:
            if path.startswith(cpath):
                children[cpk][2].add(f)
                break
    return {
        "code": unit.code,
        "date": day.isoformat(),
        **total.as_dict(),
        "children": [{"code": code, **f.as_dict()} for code, _, f in sorted(children.values())],
    }


def missing_people(unit: Unit, day: date) -> QuerySet[Person]:
    """The people expected in the unit's subtree that day with neither a check-in nor an exemption."""
    expected = placements_on(unit.subtree(), day).values("person_id")
    # NOT EXISTS probes the (person, day) indexes per candidate; NOT IN over the day's million
    # check-ins would make PostgreSQL rescan them.
    reported = reported_people(day).filter(person_id=OuterRef("pk"))
    exempt = exempt_people(day).filter(person_id=OuterRef("pk"))
    return Person.objects.filter(pk__in=expected).filter(~Exists(reported)).filter(~Exists(exempt))


def cards(unit: Unit, day: date, colours: list[str]) -> QuerySet[CheckIn]:
    """Current check-ins of the given card colours in the subtree that day."""
    return reported_people(day).filter(unit__in=unit.subtree().values("pk"), card__in=colours)
