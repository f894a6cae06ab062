"""Daily person state and roll-ups: expected, checked in, exempt, missing, abnormal per unit and day.

Checked-in and card counts come from the per-unit day counters (`UnitDay`); who is expected comes
from the effective-dated roster; exemptions only count for people who did not check in (someone who
reports while exempt counts as reported). missing = expected - checked_in - exempt.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum

from fangkong.org.models import Person, Unit
from fangkong.org.roster import placements_on

from .models import CheckIn, Exemption, UnitDay

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


def figures_by_unit(subtree: QuerySet[Unit], day: date) -> dict[int, Figures]:
    """Figures of each unit in `subtree` on its own (not including its descendants)."""
    out: dict[int, Figures] = defaultdict(Figures)
    placements = placements_on(subtree, day)
    for row in placements.values("unit_id").annotate(n=Count("id")):
        out[row["unit_id"]].expected = row["n"]
    counters = (
        UnitDay.objects.filter(unit__in=subtree.values("pk"), day=day)
        .values("unit_id")
        .annotate(c=Sum("checked_in"), r=Sum("red"), y=Sum("yellow"))
    )
    for row in counters:
        f = out[row["unit_id"]]
        f.checked_in, f.red, f.yellow = row["c"] or 0, row["r"] or 0, row["y"] or 0
        f.abnormal = f.red + f.yellow
    exempt = (
        placements.filter(person_id__in=exempt_people(day).values("person_id"))
        .exclude(person_id__in=reported_people(day).values("person_id"))
        .values("unit_id")
        .annotate(n=Count("id"))
    )
    for row in exempt:
        out[row["unit_id"]].exempt = row["n"]
    for unit_id, n in _open_items_by_unit(subtree).items():
        out[unit_id].open_items = n
    for f in out.values():
        f.missing = f.expected - f.checked_in - f.exempt
    return out


def _open_items_by_unit(subtree: QuerySet[Unit]) -> dict[int, int]:
    try:
        from fangkong.ledger.queries import open_items_by_unit
    except ImportError:  # the ledger app is optional for the roll-up
        return {}
    return open_items_by_unit(subtree)


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
    return (
        Person.objects.filter(pk__in=expected)
        .exclude(pk__in=reported_people(day).values("person_id"))
        .exclude(pk__in=exempt_people(day).values("person_id"))
    )


def cards(unit: Unit, day: date, colours: list[str]) -> QuerySet[CheckIn]:
    """Current check-ins of the given card colours in the subtree that day."""
    return reported_people(day).filter(unit__in=unit.subtree().values("pk"), card__in=colours)


__all__ = ["Figures", "rollup", "figures_by_unit", "missing_people", "cards", "Q"]
