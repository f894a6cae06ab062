"""Unit reports API: report types, submitting a unit's report, completeness, review, compilation.

Integration contract (PRODUCT.md): `GET /report-types`, `POST /units/{code}/reports`,
`GET /units/{code}/reporting`. Scope first (404 like absent), then the action: 409 when what is
stored refuses it (a zero report that the health data contradicts, a closed period, children not
reported), 422 on bad input naming each field, 403 when the caller may not take the step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fangkong.lib.dates import business_day
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.reports import actions, queries
from fangkong.reports.models import ReportType, UnitReport
from fangkong.reports.periods import period_of
from fangkong.reports.validation import ValuesInvalid

from .schemas import BODY, Day, ErrorOut, Input, answers

router = Router(tags=["reports"])


class ReportTypeOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    category: str
    category_name: str
    period: str
    deadline: str
    fields: list[dict[str, Any]]


class ReportIn(Input):
    type: str = Field(..., max_length=40)
    date: Day
    zero: bool = False
    values: dict[str, Any] | None = None


class ReportOut(Schema):
    unit: str
    type: str
    period_start: dt.date
    period_end: dt.date
    state: str
    zero: bool
    values: dict[str, Any]
    computed: dict[str, Any]
    submitted_at: dt.datetime
    late: bool
    revision: int
    flagged: bool
    review_comment: str


class MissingOut(Schema):
    code: str
    name: str
    owner: str
    state: str
    deadline: dt.datetime | None


class ReportingOut(Schema):
    code: str
    type: str
    date: str
    period_start: str
    period_end: str
    expected: int
    submitted: int
    on_time: int
    late: int
    zero: int
    flagged: int
    returned: int
    excused: int
    rate: float | None
    on_time_rate: float | None
    missing: list[MissingOut]
    children: list[dict[str, Any]]


class ReportingQuery(Schema):
    date: Day | None = None
    type: str = Field("", max_length=40)


class ReviewIn(Input):
    type: str = Field(..., max_length=40)
    date: Day
    decision: Literal["accept", "return"]
    comment: str = Field("", max_length=500)


class ExcuseIn(Input):
    type: str = Field(..., max_length=40)
    date: Day
    reason: str = Field(..., max_length=200)


class CompiledQuery(Schema):
    date: Day | None = None


def _errors(exc: ActionError) -> dict[str, Any]:
    pairs = exc.errors if isinstance(exc, ValuesInvalid) else [(exc.field or "body", str(exc))]
    return {"detail": [{"field": f, "message": m} for f, m in pairs]}


def _refused(exc: ActionError) -> Status:
    if exc.field in actions.CONFLICT_FIELDS:
        return Status(409, {"detail": str(exc)})
    return Status(422, _errors(exc))


def _type_or_422(code: str) -> ReportType | Status:
    rt = ReportType.objects.select_related("category").filter(code=code, active=True).first()
    if rt is None:
        return Status(422, {"detail": [{"field": "type", "message": f"no such report type: {code}"}]})
    return rt


def _report_out(r: UnitReport) -> dict[str, Any]:
    return {
        "unit": r.unit.code,
        "type": r.report_type.code,
        "period_start": r.period_start,
        "period_end": r.period_end,
        "state": r.state,
        "zero": r.zero,
        "values": r.values,
        "computed": r.computed,
        "submitted_at": r.submitted_at,
        "late": r.late,
        "revision": r.revision,
        "flagged": r.flagged,
        "review_comment": r.review_comment,
    }


@router.get(
    "/report-types", response={200: list[ReportTypeOut], **answers()}, summary="The report types in force"
)
def report_types(request: HttpRequest):
    types = ReportType.objects.filter(active=True).select_related("category").prefetch_related("fields")
    return [
        {
            "code": t.code,
            "name": t.name,
            "name_zh": t.name_zh,
            "name_en": t.name_en,
            "category": t.category.code,
            "category_name": t.category.name,
            "period": t.period,
            "deadline": t.deadline_time.strftime("%H:%M"),
            "fields": [
                {
                    "code": f.code,
                    "label": f.label,
                    "kind": f.kind,
                    "required": f.required,
                    "computed": bool(f.binding),
                }
                for f in t.fields.all()
            ],
        }
        for t in types
    ]


@router.post(
    "/units/{code}/reports",
    response={201: ReportOut, **answers(403, 404, 409, *BODY)},
    summary="Submit the unit's report for the period of `date`: zero (nothing to report) or with values",
)
def submit(request: HttpRequest, code: str, body: ReportIn):
    unit = access.unit_for_user(request.user, code, queries.READ_ROLES)
    if not queries.can_submit(request.user, unit):
        return Status(403, {"detail": "you may not submit this unit's reports"})
    rt = _type_or_422(body.type)
    if isinstance(rt, Status):
        return rt
    if not body.zero and body.values is None:
        return Status(422, {"detail": [{"field": "values", "message": "send values, or zero: true"}]})
    try:
        report = actions.submit_report(request.user, unit, rt, body.date, zero=body.zero, values=body.values)
    except ActionError as exc:
        return _refused(exc)
    return Status(201, _report_out(report))


@router.get(
    "/units/{code}/reports/{type_code}/{report_day}",
    response={200: ReportOut, **answers(404, 422)},
    summary="One report of the unit (404 when missing)",
)
def get_report(request: HttpRequest, code: str, type_code: str, report_day: Day):
    unit = access.unit_for_user(request.user, code, queries.READ_ROLES)
    rt = queries.report_type(type_code)
    start, _ = period_of(rt, report_day)
    report = UnitReport.objects.filter(unit=unit, report_type=rt, period_start=start).first()
    if report is None:
        return Status(404, {"detail": "No report"})
    return _report_out(report)


@router.get(
    "/units/{code}/reporting",
    response={200: ReportingOut, **answers(404, 422)},
    summary="Completeness: expected, submitted, on time, zero, and the units still missing",
)
def reporting(request: HttpRequest, code: str, q: Query[ReportingQuery]):
    unit = access.unit_for_user(request.user, code, queries.READ_ROLES)
    day = q.date or business_day(unit.timezone)
    return queries.reporting(unit, day, q.type or None)


@router.post(
    "/units/{code}/reports/review",
    response={200: ReportOut, **answers(403, 404, 409, *BODY)},
    summary="The level above accepts the unit's report or returns it with a comment",
)
def review(request: HttpRequest, code: str, body: ReviewIn):
    unit = access.unit_for_user(request.user, code, queries.READ_ROLES)
    rt = _type_or_422(body.type)
    if isinstance(rt, Status):
        return rt
    start, _ = period_of(rt, body.date)
    report = UnitReport.objects.filter(unit=unit, report_type=rt, period_start=start).first()
    if report is None:
        return Status(409, {"detail": "nothing submitted for this period"})
    try:
        report = actions.review_report(
            request.user, report, accept=body.decision == "accept", comment=body.comment
        )
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc)})
    except ActionError as exc:
        return _refused(exc)
    return _report_out(report)


@router.post(
    "/units/{code}/reports/excuse",
    response={201: ErrorOut, **answers(403, 404, 409, *BODY)},
    summary="The level above excuses the unit from one period's report",
)
def excuse(request: HttpRequest, code: str, body: ExcuseIn):
    unit = access.unit_for_user(request.user, code, queries.READ_ROLES)
    rt = _type_or_422(body.type)
    if isinstance(rt, Status):
        return rt
    if not body.reason.strip():
        return Status(422, {"detail": [{"field": "reason", "message": "give the reason"}]})
    try:
        actions.excuse_unit(request.user, unit, rt, body.date, reason=body.reason)
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc)})
    except ActionError as exc:
        return _refused(exc)
    return Status(201, {"detail": "excused"})


@router.get(
    "/units/{code}/compiled",
    response={200: dict[str, Any], **answers(404, 422)},
    summary="The subtree's figures for a day, by category (columns) and child unit (rows)",
)
def compiled(request: HttpRequest, code: str, q: Query[CompiledQuery]):
    unit = access.unit_for_user(request.user, code, queries.READ_ROLES)
    day = q.date or business_day(unit.timezone)
    return queries.compiled(unit, day).as_dict()
