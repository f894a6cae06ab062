"""API of the safety and environment module (fangkong/safety).

The router is mounted at the root: paths are written in full after /api/v1. The lists of the
integration contract: `GET /units/{code}/incidents` and `GET /units/{code}/inspections` (the
subtree's, paged `{"items": [...], "count": N}`); besides them, reporting an incident and the summary.
A unit out of the caller's scope answers 404 exactly like an absent one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fangkong.ledger.models import OPEN_STATES
from fangkong.lib.dates import parse_day
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.safety import actions, queries
from fangkong.safety.models import Incident, IncidentKind

from .schemas import BODY, Input, answers

router = Router(tags=["safety"])

PAGE_SIZE = 100


class IncidentsQuery(Schema):
    kind: IncidentKind | Literal["serious", "injury", "environment"] | None = None
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$")
    late: bool = False
    page: int = Field(1, ge=1, le=1_000_000)


class IncidentOut(Schema):
    id: uuid.UUID
    kind: str
    serious: bool
    unit: str
    enterprise: str
    occurred_at: dt.datetime
    occurred_on: dt.date
    reported_at: dt.datetime
    late: bool
    limit_minutes: int
    place: str
    description: str
    people_affected: int
    immediate_actions: str


class IncidentsPage(Schema):
    items: list[IncidentOut]
    count: int


class IncidentIn(Input):
    kind: IncidentKind
    occurred_at: dt.datetime = Field(
        ..., description="ISO time; without an offset it is wall-clock time in the enterprise's zone"
    )
    place: str = Field(..., max_length=200)
    description: str = Field(..., max_length=4000)
    people_affected: int = Field(0, ge=0, le=100_000)
    immediate_actions: str = Field("", max_length=4000)


class InspectionOut(Schema):
    id: uuid.UUID
    unit: str
    enterprise: str
    visited_at: dt.datetime
    inspector: str
    self_inspection: bool
    plan: uuid.UUID | None
    issues: int
    findings: int
    open_findings: int


class InspectionsPage(Schema):
    items: list[InspectionOut]
    count: int


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)


class SummaryQuery(Schema):
    date: str = Field("", pattern=r"^(\d{4}-\d{2}-\d{2})?$")


class SummaryOut(Schema):
    unit: str
    date: dt.date
    incidents_30d: int
    serious_30d: int
    days_without_serious: int | None
    month: dict[str, int]
    enterprises: int
    with_serious_injury: int
    with_environmental: int
    clean_month: bool


def _incident(i: Incident) -> dict[str, Any]:
    return {
        "id": i.uid,
        "kind": i.kind,
        "serious": i.serious,
        "unit": i.unit.code,
        "enterprise": i.enterprise.code,
        "occurred_at": i.occurred_at,
        "occurred_on": i.occurred_on,
        "reported_at": i.reported_at,
        "late": i.late,
        "limit_minutes": i.limit_minutes,
        "place": i.place,
        "description": i.description,
        "people_affected": i.people_affected,
        "immediate_actions": i.immediate_actions,
    }


@router.get(
    "/units/{code}/incidents",
    response={200: IncidentsPage, **answers(404, 422)},
    summary="Incidents of the unit's subtree, newest first",
)
def list_incidents(request: HttpRequest, code: str, q: Query[IncidentsQuery]):
    f = queries.IncidentFilters(unit=code, kind=q.kind or "", month=q.month, late=q.late)
    incidents = queries.filtered_incidents(request.user, f)
    rows = incidents[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    return {"items": [_incident(i) for i in rows], "count": incidents.count()}


@router.post(
    "/units/{code}/incidents",
    response={201: IncidentOut, **answers(403, 404, *BODY)},
    summary="Report an incident (late when past the limit for its kind; a serious one notifies at once)",
)
def report_incident(request: HttpRequest, code: str, body: IncidentIn):
    unit = access.unit_for_user(request.user, code, queries.INCIDENT_READ_ROLES)
    if not queries.can_report(request.user, unit):
        return Status(403, {"detail": "you may not report incidents for this unit"})
    occurred = body.occurred_at
    try:
        incident = actions.report_incident(
            request.user,
            unit=unit,
            kind=body.kind.value,
            occurred_at=occurred,
            place=body.place,
            description=body.description,
            people_affected=body.people_affected,
            immediate_actions=body.immediate_actions,
        )
    except ActionError as exc:
        return Status(422, {"detail": [{"field": exc.field or "body", "message": str(exc)}]})
    return Status(201, _incident(incident))


@router.get(
    "/units/{code}/incident-summary",
    response={200: SummaryOut, **answers(404, 422)},
    summary="Days without a serious incident, the last 30 days, and the month of `date` by kind",
)
def incident_summary(request: HttpRequest, code: str, q: Query[SummaryQuery]):
    unit = access.unit_for_user(request.user, code, queries.INCIDENT_READ_ROLES)
    day = parse_day(q.date) if q.date else queries.local_today(unit)
    summary = queries.incident_summary(unit, day)
    clean = queries.serious_free_month(unit, day.year, day.month)
    return {
        "unit": unit.code,
        "date": day,
        "incidents_30d": summary["incidents_30d"],
        "serious_30d": summary["serious_30d"],
        "days_without_serious": summary["days_without_serious"],
        "month": queries.monthly(unit, day.year, day.month),
        "enterprises": clean["enterprises"],
        "with_serious_injury": clean["with_serious_injury"],
        "with_environmental": clean["with_environmental"],
        "clean_month": clean["clean"],
    }


@router.get(
    "/units/{code}/inspections",
    response={200: InspectionsPage, **answers(404, 422)},
    summary="Inspection visits to the unit's subtree, newest first, with their findings",
)
def list_inspections(request: HttpRequest, code: str, q: Query[PageQuery]):
    unit = access.unit_for_user(request.user, code, queries.INSPECTION_READ_ROLES)
    visits = (
        queries.visible_visits(request.user)
        .filter(unit__path__startswith=unit.path)
        .select_related("unit", "enterprise", "inspector", "plan")
        .order_by("-visited_at", "-pk")
    )
    rows = visits.annotate(
        n_issues=Count("checklist", filter=Q(checklist__result="issue"), distinct=True),
        n_findings=Count("findings", distinct=True),
        n_open=Count("findings", filter=Q(findings__item__state__in=list(OPEN_STATES)), distinct=True),
    )[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    items = [
        {
            "id": v.uid,
            "unit": v.unit.code,
            "enterprise": v.enterprise.code,
            "visited_at": v.visited_at,
            "inspector": v.inspector.username,
            "self_inspection": v.self_inspection,
            "plan": v.plan.uid if v.plan else None,
            "issues": v.n_issues,
            "findings": v.n_findings,
            "open_findings": v.n_open,
        }
        for v in rows
    ]
    return {"items": items, "count": visits.count()}
