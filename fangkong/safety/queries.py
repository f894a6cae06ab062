"""Scoped reads of safety and environment, and the figures: summary, monthly counts, clean months.

Who sees what (role sets over fangkong/org/access.py's roles, defined here for this module):
- incidents: the admins and grid leaders over the unit, and inspectors (they supervise safety);
- inspection plans, visits and findings: the admins over the unit and inspectors;
- a plan also shows to the inspectors named on it.
"""

from __future__ import annotations

import uuid
from calendar import monthrange
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404, QueryDict

from fangkong.lib.dates import business_day
from fangkong.org import access
from fangkong.org.models import Role, Unit

from .models import ENV_KINDS, Finding, Incident, IncidentKind, InspectionPlan, Visit

INCIDENT_READ_ROLES = access.ADMIN_ROLES | {Role.GRID_LEADER, Role.INSPECTOR}
REPORT_ROLES = access.ADMIN_ROLES | {Role.GRID_LEADER}
FOLLOW_UP_ROLES = access.ADMIN_ROLES
INSPECTION_READ_ROLES = access.ADMIN_ROLES | {Role.INSPECTOR}
PLAN_ROLES = access.ADMIN_ROLES
# Visits: inspectors; an admin of the unit records a self-inspection (自查).
VISIT_ROLES = access.ADMIN_ROLES | {Role.INSPECTOR}
INSPECTOR_ROLES = frozenset({Role.INSPECTOR})
SERIOUS_INJURY_KINDS = frozenset({IncidentKind.INJURY_FATAL, IncidentKind.INJURY_SERIOUS})


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such object") from None


# --- incidents -------------------------------------------------------------------------------------


def visible_incidents(user) -> QuerySet[Incident]:
    units = access.visible_units(user, INCIDENT_READ_ROLES)
    return Incident.objects.filter(unit__in=units.values("pk"))


def incident_for_user(user, uid: Any) -> Incident:
    found = visible_incidents(user).select_related("unit", "enterprise", "reported_by").filter(uid=_uuid(uid))
    incident = found.first()
    if incident is None:
        raise Http404("No such incident")
    return incident


@dataclass(frozen=True)
class IncidentFilters:
    unit: str = ""
    kind: str = ""  # an IncidentKind, or "serious", "injury", "environment"
    month: str = ""  # YYYY-MM (local days of the enterprise)
    late: bool = False

    @classmethod
    def from_query(cls, q: QueryDict) -> IncidentFilters:
        kind = q.get("kind", "")
        month = q.get("month", "").strip()
        try:
            _month_bounds(month)
        except ValueError:
            month = ""
        return cls(
            unit=q.get("unit", "").strip()[:32],
            kind=kind if kind in (*IncidentKind.values, *KIND_GROUPS) else "",
            month=month,
            late=q.get("late") in ("1", "on", "true"),
        )

    def query(self, **override: Any) -> str:
        qd = QueryDict(mutable=True)
        for k, v in {**asdict(self), **override}.items():
            if v not in ("", False):
                qd[k] = "1" if v is True else v
        return qd.urlencode()


KIND_GROUPS: dict[str, Q] = {
    "serious": Q(serious=True),
    "injury": Q(kind__in=[IncidentKind.INJURY_FATAL, IncidentKind.INJURY_SERIOUS, IncidentKind.INJURY_MINOR]),
    "environment": Q(kind__in=list(ENV_KINDS)),
}


def _month_bounds(month: str) -> tuple[date, date]:
    """'2020-02' -> (2020-02-01, 2020-02-29); '' -> ValueError unless empty is allowed by the caller."""
    if not month:
        return date.min, date.max
    year, mon = (int(p) for p in month.split("-", 1))
    return date(year, mon, 1), date(year, mon, monthrange(year, mon)[1])


def filtered_incidents(user, f: IncidentFilters) -> QuerySet[Incident]:
    incidents = visible_incidents(user)
    if f.unit:
        unit = access.unit_for_user(user, f.unit, INCIDENT_READ_ROLES)
        incidents = incidents.filter(unit__path__startswith=unit.path)
    if f.kind in KIND_GROUPS:
        incidents = incidents.filter(KIND_GROUPS[f.kind])
    elif f.kind:
        incidents = incidents.filter(kind=f.kind)
    if f.month:
        first, last = _month_bounds(f.month)
        incidents = incidents.filter(occurred_on__range=(first, last))
    if f.late:
        incidents = incidents.filter(late=True)
    return incidents.select_related("unit", "enterprise").order_by("-occurred_at", "-pk")


def local_today(unit: Unit) -> date:
    """Today in the unit's zone (an enterprise's own, copied onto its grids; the group's default above)."""
    return business_day(unit.timezone)


def incident_summary(unit: Unit, day: date) -> dict[str, Any]:
    """For `unit`'s subtree, up to local day `day`: incidents and serious ones in the 30 days ending
    that day, and the days since the last serious one (None if there never was one)."""
    return _summary([(on, serious) for _, on, serious in _counted(unit, day, day)], day)


def incident_summaries(unit: Unit, children: list[Unit], day: date) -> dict[int, dict[str, Any]]:
    """`incident_summary` of `unit` and of each of its `children` (by pk) on `day`, from one read (a
    board and its rows: a segment has ~90 enterprises)."""
    rows = _counted(unit, day, day)
    by_unit: dict[int, list[tuple[date, bool]]] = {c.pk: [] for c in children}
    by_unit[unit.pk] = [(on, serious) for _, on, serious in rows]
    paths = [(c.path, c.pk) for c in children]
    for path, on, serious in rows:
        for prefix, pk in paths:
            if path.startswith(prefix):
                by_unit[pk].append((on, serious))
                break
    return {pk: _summary(found, day) for pk, found in by_unit.items()}


def incident_summary_over(unit: Unit, days: list[date]) -> dict[date, dict[str, Any]]:
    """`incident_summary` of `unit` for each of `days` (a trend of 30 or 90), from one read."""
    rows = [(on, serious) for _, on, serious in _counted(unit, min(days), max(days))]
    return {d: _summary(rows, d) for d in days}


def _counted(unit: Unit, first: date, last: date) -> list[tuple[str, date, bool]]:
    """(unit path, local day, serious) of the incidents of `unit`'s subtree that a summary of a day
    from `first` to `last` can count: those of the 30 days ending one of them, and every serious one
    before (the days since the last)."""
    since = first - timedelta(days=29)
    return list(
        Incident.objects.filter(unit__path__startswith=unit.path, occurred_on__lte=last)
        .filter(Q(occurred_on__gte=since) | Q(serious=True))
        .values_list("unit__path", "occurred_on", "serious")
    )


def _summary(rows: list[tuple[date, bool]], day: date) -> dict[str, Any]:
    """The summary of `day` from (local day, serious) rows; rows after the day do not count."""
    since = day - timedelta(days=29)
    incidents = serious_n = 0
    last: date | None = None
    for on, serious in rows:
        if on > day:
            continue
        if on >= since:
            incidents += 1
            serious_n += serious
        if serious and (last is None or on > last):
            last = on
    return {
        "incidents_30d": incidents,
        "serious_30d": serious_n,
        "days_without_serious": (day - last).days if last else None,
        "last_serious": last,
    }


def monthly(unit: Unit, year: int, month: int) -> dict[str, int]:
    """Incidents in `unit`'s subtree in that month (the enterprises' local days), by kind (every kind)."""
    first, last = date(year, month, 1), date(year, month, monthrange(year, month)[1])
    rows = (
        Incident.objects.filter(unit__path__startswith=unit.path, occurred_on__range=(first, last))
        .values("kind")
        .annotate(n=Count("pk"))
    )
    counts = {kind: 0 for kind in IncidentKind.values}
    for r in rows:
        counts[r["kind"]] = r["n"]
    return counts


def serious_free_month(unit: Unit, year: int, month: int) -> dict[str, Any]:
    """ "No serious injury and no environmental emergency in February across 548 enterprises": one
    query over the enterprises of the subtree, counting those that had either in that month."""
    first, last = date(year, month, 1), date(year, month, monthrange(year, month)[1])
    in_month = Q(enterprise_incidents__occurred_on__range=(first, last))
    row = Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, active=True, path__startswith=unit.path).aggregate(
        enterprises=Count("pk", distinct=True),
        with_serious_injury=Count(
            "pk",
            distinct=True,
            filter=in_month & Q(enterprise_incidents__kind__in=list(SERIOUS_INJURY_KINDS)),
        ),
        with_environmental=Count(
            "pk", distinct=True, filter=in_month & Q(enterprise_incidents__kind__in=list(ENV_KINDS))
        ),
    )
    row["clean"] = row["with_serious_injury"] == 0 and row["with_environmental"] == 0
    return row


def by_child(unit: Unit, first: date, last: date) -> list[dict[str, Any]]:
    """Incidents and serious ones per child unit of `unit` in [first, last] (two queries)."""
    children = list(unit.children.filter(active=True).order_by("code"))
    counts: dict[int, dict[str, Any]] = {
        c.pk: {"unit": c, "incidents": 0, "serious": 0, "late": 0} for c in children
    }
    rows = Incident.objects.filter(
        unit__path__startswith=unit.path, occurred_on__range=(first, last)
    ).values_list("unit__path", "serious", "late")
    by_path = {c.path: c.pk for c in children}
    for path, serious, late in rows:
        child = next((pk for p, pk in by_path.items() if path.startswith(p)), None)
        if child is None:
            continue
        counts[child]["incidents"] += 1
        counts[child]["serious"] += int(serious)
        counts[child]["late"] += int(late)
    return list(counts.values())


# --- inspections -----------------------------------------------------------------------------------


def visible_plans(user) -> QuerySet[InspectionPlan]:
    units = access.visible_units(user, INSPECTION_READ_ROLES)
    q = Q(unit__in=units.values("pk"))
    if user is not None and user.is_authenticated:
        q |= Q(inspectors=user)
    return InspectionPlan.objects.filter(q).distinct()


def plan_for_user(user, uid: Any) -> InspectionPlan:
    plan = visible_plans(user).select_related("unit").filter(uid=_uuid(uid)).first()
    if plan is None:
        raise Http404("No such plan")
    return plan


def visible_visits(user) -> QuerySet[Visit]:
    units = access.visible_units(user, INSPECTION_READ_ROLES)
    q = Q(unit__in=units.values("pk"))
    if user is not None and user.is_authenticated:
        q |= Q(inspector=user)
    return Visit.objects.filter(q)


def visit_for_user(user, uid: Any) -> Visit:
    related = ("unit", "enterprise", "inspector", "plan")
    visit = visible_visits(user).select_related(*related).filter(uid=_uuid(uid)).first()
    if visit is None:
        raise Http404("No such visit")
    return visit


def visible_findings(user) -> QuerySet[Finding]:
    return Finding.objects.filter(visit__in=visible_visits(user).values("pk"))


def finding_for_user(user, uid: Any) -> Finding:
    related = ("unit", "visit", "visit__enterprise", "visit__inspector", "item", "item__owner")
    finding = visible_findings(user).select_related(*related).filter(uid=_uuid(uid)).first()
    if finding is None:
        raise Http404("No such finding")
    return finding


def in_unit(qs: QuerySet, user, code: str, roles=INSPECTION_READ_ROLES) -> QuerySet:
    """Narrow a list to a unit's subtree; a unit out of the caller's scope is Http404."""
    if not code:
        return qs
    unit = access.unit_for_user(user, code, roles)
    return qs.filter(unit__path__startswith=unit.path)


def can_report(user, unit: Unit) -> bool:
    return access.has_role(user, REPORT_ROLES, unit)


def can_follow_up(user, incident: Incident) -> bool:
    return access.has_role(user, FOLLOW_UP_ROLES, incident.unit)


def can_visit(user, unit: Unit) -> bool:
    return access.has_role(user, VISIT_ROLES, unit)


def is_inspector_for(user, unit: Unit) -> bool:
    return access.has_role(user, INSPECTOR_ROLES, unit)


def can_add_finding(user, visit: Visit) -> bool:
    """The visit's own recorder, or an inspector over the unit."""
    return visit.inspector_id == user.pk or is_inspector_for(user, visit.unit)


def can_reinspect(user, finding: Finding) -> bool:
    """An inspector's finding is closed only by an inspector; a self-inspection's also by an admin."""
    if is_inspector_for(user, finding.unit):
        return True
    return finding.visit.self_inspection and access.has_role(user, access.ADMIN_ROLES, finding.unit)


def inspector_candidates(unit: Unit) -> QuerySet[Any]:
    """Inspectors holding the role on the plan's unit, above it or below it."""
    from django.contrib.auth import get_user_model

    chain = [*unit.ancestor_ids, unit.pk]
    return (
        get_user_model()
        .objects.filter(is_active=True, grants__role=Role.INSPECTOR)
        .filter(Q(grants__unit_id__in=chain) | Q(grants__unit__path__startswith=unit.path))
        .distinct()
        .order_by("username")
    )


def owner_candidates(unit: Unit) -> QuerySet[Any]:
    """Who may own an incident's follow-up item: the ledger's owner roles on the unit or above."""
    from django.contrib.auth import get_user_model

    from fangkong.ledger.queries import OWNER_ROLES

    chain = [*unit.ancestor_ids, unit.pk]
    return (
        get_user_model()
        .objects.filter(is_active=True, grants__unit_id__in=chain, grants__role__in=list(OWNER_ROLES))
        .distinct()
        .order_by("username")
    )
