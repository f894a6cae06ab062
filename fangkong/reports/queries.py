"""Who must report, who did, and the compiled figures. Scoped by the callers (org/access.py).

The dashboard and the reminders call `reporting` (`reporting_over` for a trend), `missing_units`,
`compiled` and `open_overdue`'s helpers by these names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from fangkong.org import access
from fangkong.org.models import Role, RoleGrant, Unit

from .models import Assignment, Excuse, Field, ReportType, UnitReport
from .periods import deadline, period_of

DEFAULT_TYPE = "epidemic_daily"
# Who reads completeness and compilations, and submits its unit's reports: the admins.
READ_ROLES = access.ADMIN_ROLES
SUBMIT_ROLES = access.ADMIN_ROLES
# Who configures report types: the group admin (held on the root).
CONFIG_ROLES = frozenset({Role.GROUP_ADMIN})


def report_type(code: str | None) -> ReportType:
    rt = ReportType.objects.select_related("category").filter(code=code or DEFAULT_TYPE).first()
    if rt is None:
        raise Http404("No such report type")
    return rt


# --- permissions (built on access.py) ----------------------------------------------------------------


def can_submit(user, unit: Unit) -> bool:
    return access.has_role(user, SUBMIT_ROLES, unit)


def can_review(user, unit: Unit) -> bool:
    """The level above: an admin role held on the unit's parent (or higher)."""
    if unit.parent_id is None:
        return bool(user.is_superuser)
    parent = Unit.objects.get(pk=unit.parent_id)
    return access.has_role(user, READ_ROLES, parent)


def can_configure(user) -> bool:
    if user.is_superuser:
        return True
    return any(role in CONFIG_ROLES and unit.parent_id is None for role, unit in access.roles_of(user))


# --- who is expected ---------------------------------------------------------------------------------


def _in_force(qs: QuerySet[Assignment], day: date) -> QuerySet[Assignment]:
    return qs.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gt=day))


def expected_units(rt: ReportType, day: date, under: Unit | None = None) -> QuerySet[Unit]:
    """Units that must report `rt` for the period containing `day`: an assignment in force on the
    period's last day, no exclusion in force then, and the unit active."""
    _start, last = period_of(rt, day)
    assigns = list(_in_force(Assignment.objects.filter(report_type=rt), last).select_related("under"))
    include = Q(pk__in=[])
    excluded = []
    for a in assigns:
        if not a.include:
            excluded.append(a.unit_id)
        elif a.unit_id:
            include |= Q(pk=a.unit_id)
        else:
            q = Q(kind=a.unit_kind)
            if a.under is not None:
                q &= Q(path__startswith=a.under.path)
            include |= q
    qs = Unit.objects.filter(active=True).filter(include).exclude(pk__in=excluded)
    if under is not None:
        qs = qs.filter(path__startswith=under.path)
    return qs.order_by("path")


def reporting_children(unit: Unit, rt: ReportType, day: date) -> list[Unit]:
    """The expected units strictly below `unit` with no expected unit between (a segment's enterprises)."""
    below = [u for u in expected_units(rt, day, under=unit) if u.pk != unit.pk]
    ids = {u.pk for u in below}
    return [u for u in below if not (_between(u, unit) & ids)]


def _between(u: Unit, top: Unit) -> set[int]:
    ids = u.ancestor_ids
    return set(ids[ids.index(top.pk) + 1 :]) if top.pk in ids else set()


def owners(units: list[Unit]) -> dict[int, str]:
    """Each unit's nearest admin (on the unit or its nearest ancestor with one), by username."""
    chain = {pk for u in units for pk in [u.pk, *u.ancestor_ids]}
    held: dict[int, list[str]] = defaultdict(list)
    grants = RoleGrant.objects.filter(
        unit_id__in=chain, role__in=list(SUBMIT_ROLES), user__is_active=True
    ).values_list("unit_id", "user__username")
    for unit_id, username in grants.order_by("user__username"):
        held[unit_id].append(username)
    out = {}
    for u in units:
        for pk in [u.pk, *reversed(u.ancestor_ids)]:
            if held.get(pk):
                out[u.pk] = held[pk][0]
                break
        else:
            out[u.pk] = ""
    return out


# --- completeness ----------------------------------------------------------------------------------


@dataclass
class Tally:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    late: int = 0
    zero: int = 0
    flagged: int = 0
    returned: int = 0
    excused: int = 0
    missing: list[Unit] = field(default_factory=list)

    def as_dict(
        self, owner_of: dict[int, str], states: dict[int, str], deadline_of: dict[int, datetime] | None = None
    ) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "submitted": self.submitted,
            "on_time": self.on_time,
            "late": self.late,
            "zero": self.zero,
            "flagged": self.flagged,
            "returned": self.returned,
            "excused": self.excused,
            "rate": _rate(self.submitted, self.expected),
            "on_time_rate": _rate(self.on_time, self.expected),
            "missing": [
                {
                    "code": u.code,
                    "name": u.name,
                    "owner": owner_of.get(u.pk, ""),
                    "state": states.get(u.pk, "missing"),
                    "deadline": (deadline_of or {}).get(u.pk),
                }
                for u in self.missing
            ],
        }


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def _tally(unit: Unit, day: date, rt: ReportType) -> tuple[Tally, dict[int, Tally], dict[int, str]]:
    start, _last = period_of(rt, day)
    expected = list(expected_units(rt, day, under=unit))
    ids = [u.pk for u in expected]
    reports = {
        r.unit_id: r
        for r in UnitReport.objects.filter(report_type=rt, period_start=start, unit_id__in=ids).only(
            *_TALLIED
        )
    }
    excused = set(
        Excuse.objects.filter(report_type=rt, period_start=start, unit_id__in=ids).values_list(
            "unit_id", flat=True
        )
    )
    return _count(expected, reports, excused, list(unit.children.all()))


_TALLIED = ("unit_id", "state", "late", "zero", "flagged")


def _count(
    expected: list[Unit], reports: dict[int, UnitReport], excused: set[int], children: list[Unit]
) -> tuple[Tally, dict[int, Tally], dict[int, str]]:
    """The tallies of a period from its expected units, their reports and excuses: in all, per
    child, and the state of each unit owing a report."""
    total = Tally()
    per_child: dict[int, Tally] = {c.pk: Tally() for c in children}
    states: dict[int, str] = {}
    for u in expected:
        tallies = [total] + [per_child[c.pk] for c in children if u.path.startswith(c.path)]
        r = reports.get(u.pk)
        for t in tallies:
            if r is not None and r.counted:
                t.expected += 1
                t.submitted += 1
                t.on_time += not r.late
                t.late += r.late
                t.zero += r.zero
                t.flagged += r.flagged
            elif u.pk in excused:
                t.excused += 1
            else:
                t.expected += 1
                t.missing.append(u)
                if r is not None:
                    t.returned += 1
                    states[u.pk] = "returned"
    return total, per_child, states


def reporting_over(unit: Unit, days: list[date], type_code: str | None = None) -> dict[date, dict[str, int]]:
    """`reporting`'s totals for each of `days` (`expected`, `submitted`, `on_time`, and `missing` as
    a count), for a trend of 30 or 90 days: the reports and excuses of all their periods in one read
    each, and the expected units read once for each set of assignments in force, where `reporting`
    reads all of them per day (~40 ms a day at the group of 1 000 000 people). Counted by the same
    rule (`_count`)."""
    rt = report_type(type_code)
    periods = {d: period_of(rt, d) for d in days}
    assignments = list(Assignment.objects.filter(report_type=rt).values_list("pk", "start", "end"))
    expected_for: dict[tuple[int, ...], list[Unit]] = {}
    expected_of: dict[date, list[Unit]] = {}
    for d, (_start, last) in periods.items():
        # expected_units depends on the assignments in force on the period's last day (`_in_force`'s
        # test, here on the rows read once) and on the units (read now): the same assignments give
        # the same units. tests/reports/test_rates.py holds the two to the same answers.
        key = tuple(pk for pk, start, end in assignments if start <= last and (end is None or end > last))
        if key not in expected_for:
            expected_for[key] = list(expected_units(rt, d, under=unit))
        expected_of[d] = expected_for[key]
    ids = sorted({u.pk for units in expected_for.values() for u in units})
    starts = sorted({start for start, _last in periods.values()})
    reports: dict[date, dict[int, UnitReport]] = defaultdict(dict)
    for r in UnitReport.objects.filter(report_type=rt, period_start__in=starts, unit_id__in=ids).only(
        "period_start", *_TALLIED
    ):
        reports[r.period_start][r.unit_id] = r
    excused: dict[date, set[int]] = defaultdict(set)
    for start, unit_id in Excuse.objects.filter(
        report_type=rt, period_start__in=starts, unit_id__in=ids
    ).values_list("period_start", "unit_id"):
        excused[start].add(unit_id)
    over: dict[date, dict[str, int]] = {}
    for d, (start, _last) in periods.items():
        total, _children, _states = _count(expected_of[d], reports[start], excused[start], [])
        over[d] = {
            "expected": total.expected,
            "submitted": total.submitted,
            "on_time": total.on_time,
            "missing": len(total.missing),
        }
    return over


def reporting(unit: Unit, day: date, type_code: str | None = None) -> dict[str, Any]:
    """Completeness of `type_code` (default the daily epidemic report) in the unit's subtree for the
    period containing `day`: expected (excused units are left out), submitted (a returned report is
    owed again), on_time, late, zero, and `missing` (code, name, owner, state); rates, and the same
    per child unit in `children`."""
    rt = report_type(type_code)
    total, per_child, states = _tally(unit, day, rt)
    every_missing = list(total.missing)
    owner_of = owners(every_missing)
    deadline_of = {u.pk: deadline(rt, u, day) for u in every_missing}
    start, last = period_of(rt, day)
    out = {
        "code": unit.code,
        "type": rt.code,
        "date": day.isoformat(),
        "period_start": start.isoformat(),
        "period_end": last.isoformat(),
        **total.as_dict(owner_of, states, deadline_of),
    }
    names = dict(unit.children.values_list("pk", "code"))
    out["children"] = [
        {
            "code": names[pk],
            **{k: v for k, v in t.as_dict(owner_of, states).items() if k != "missing"},
            "missing": len(t.missing),
        }
        for pk, t in sorted(per_child.items(), key=lambda kv: names[kv[0]])
        if t.expected or t.excused
    ]
    return out


def missing_units(rt: ReportType, day: date, under: Unit | None = None) -> list[Unit]:
    """Expected units (under `under`) with no counted report and no excuse for the period of `day`."""
    start, _ = period_of(rt, day)
    expected = expected_units(rt, day, under=under)
    done = UnitReport.objects.filter(report_type=rt, period_start=start).exclude(
        state=UnitReport.State.RETURNED
    )
    excused = Excuse.objects.filter(report_type=rt, period_start=start)
    return list(expected.exclude(pk__in=done.values("unit_id")).exclude(pk__in=excused.values("unit_id")))


def children_ready(unit: Unit, rt: ReportType, day: date) -> list[Unit]:
    """The reporting children that block the unit's compiled report: neither reported nor excused."""
    blocking = {u.pk for u in missing_units(rt, day, under=unit)}
    return [u for u in reporting_children(unit, rt, day) if u.pk in blocking]


# --- compilation -----------------------------------------------------------------------------------


@dataclass
class Column:
    category: str
    report_type: str
    type_code: str
    field: str
    label: str
    rollup: str
    binding: str


@dataclass
class Compilation:
    unit: Unit
    day: date
    columns: list[Column]
    rows: list[tuple[Unit, list[Any]]]
    total: list[Any]

    def groups(self) -> list[tuple[str, int]]:
        """(category, number of columns) runs, for a two-row table header."""
        out: list[tuple[str, int]] = []
        for c in self.columns:
            if out and out[-1][0] == c.category:
                out[-1] = (c.category, out[-1][1] + 1)
            else:
                out.append((c.category, 1))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.unit.code,
            "date": self.day.isoformat(),
            "columns": [c.__dict__ for c in self.columns],
            "rows": [{"code": u.code, "name": u.name, "values": v} for u, v in self.rows],
            "total": self.total,
        }


def _combine(values: list[Decimal], how: str) -> Decimal | None:
    if not values:
        return None
    return sum(values, Decimal(0)) if how == Field.Rollup.SUM else max(values)


def _shown(value: Decimal | None) -> Any:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def compiled(unit: Unit, day: date) -> Compilation:
    """The figures of the unit's subtree for `day`, by category (条, columns) and by child unit (块,
    rows), plus the unit's own report as a row when it has one. Typed fields roll up from the counted
    reports of each period containing `day`; fields bound to person data come straight from the
    health-card roll-up (never summed from reports, which would count a segment's people twice)."""
    from fangkong.checkins.rollup import rollup

    types = list(ReportType.objects.filter(active=True).select_related("category").prefetch_related("fields"))
    children = list(unit.children.filter(active=True).order_by("code"))
    row_units = children
    columns: list[Column] = []
    cells: dict[int, list[Decimal | None]] = {u.pk: [] for u in [unit, *children]}
    total: list[Decimal | None] = []
    figures = None
    for rt in types:
        fields = [f for f in rt.fields.all() if f.numeric and f.rollup != Field.Rollup.NONE]
        if not fields:
            continue
        start, _ = period_of(rt, day)
        reports = list(
            UnitReport.objects.filter(report_type=rt, period_start=start, unit__path__startswith=unit.path)
            .exclude(state=UnitReport.State.RETURNED)
            .values_list("unit__path", "unit_id", "values")
        )
        for f in sorted(fields, key=lambda f: f.order):
            columns.append(Column(rt.category.name, rt.name, rt.code, f.code, f.label, f.rollup, f.binding))
            if f.binding:
                if figures is None:
                    figures = rollup(unit, day)
                by_code = {c["code"]: c for c in figures["children"]}
                for c in children:
                    cells[c.pk].append(Decimal(by_code.get(c.code, {}).get(f.binding, 0)))
                cells[unit.pk].append(None)
                total.append(Decimal(figures[f.binding]))
                continue
            own: list[Decimal] = []
            per_child: dict[int, list[Decimal]] = defaultdict(list)
            every: list[Decimal] = []
            for path, unit_id, values in reports:
                if f.code not in values:
                    continue
                v = Decimal(str(values[f.code]))
                every.append(v)
                if unit_id == unit.pk:
                    own.append(v)
                for c in children:
                    if path.startswith(c.path):
                        per_child[c.pk].append(v)
            cells[unit.pk].append(_combine(own, f.rollup))
            for c in children:
                cells[c.pk].append(_combine(per_child[c.pk], f.rollup))
            total.append(_combine(every, f.rollup))
    rows = [(c, [_shown(v) for v in cells[c.pk]]) for c in row_units]
    if any(v is not None for v in cells[unit.pk]):
        rows.insert(0, (unit, [_shown(v) for v in cells[unit.pk]]))
    return Compilation(unit, day, columns, rows, [_shown(v) for v in total])
