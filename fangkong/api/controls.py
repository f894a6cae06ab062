"""API of the risk levels and control plans module (integration contract).

`PUT /regions/{region_code}/risk` sets a region's level (group admin only: 403 for anyone else, the
region itself is public reference data); `GET /units/{code}/controls` an enterprise's level, region
and plan; `GET /units/{code}/operations?date=` return to work in a subtree. Units out of scope answer
404 like absent ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fangkong.controls import actions, queries
from fangkong.controls.models import Aspect, PlanMeasure
from fangkong.controls.views import is_group_admin
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit

from .schemas import BODY, Day, Input, answers

router = Router(tags=["controls"])


class RiskIn(Input):
    level: Literal["low", "medium", "high"]
    effective_from: Day
    note: str = Field("", max_length=200)


class RiskOut(Schema):
    region: str
    name: str
    level: str
    effective_from: dt.date
    source: str
    set_by: str
    enterprises_replanned: int
    people_rescreened: int


class MeasureOut(Schema):
    aspect: str
    aspect_name: str
    code: str
    text: str
    required_from: str
    state: str
    note: str
    due_at: dt.datetime
    attested_at: dt.datetime | None
    evidence: bool


class ControlsOut(Schema):
    unit: str
    level: str
    source: str
    region: str | None
    override: dict[str, Any] | None
    plan_version: int | None
    policy_version: int
    measures: list[MeasureOut]


class OpsChild(Schema):
    code: str
    name: str
    enterprises: int
    resumed: int
    rate: float
    checked_in: int
    on_site: int
    on_site_rate: float


class NotResumed(Schema):
    code: str
    name: str
    status: str
    reason: str
    since: dt.date
    owner: str


class OperationsOut(Schema):
    unit: str
    date: dt.date
    enterprises: int
    resumed: int
    rate: float
    checked_in: int
    on_site: int
    on_site_rate: float
    children: list[OpsChild]
    not_resumed: list[NotResumed]


class DateQuery(Schema):
    date: Day | None = None


def _errors(exc: ActionError) -> dict[str, Any]:
    return {"detail": [{"field": exc.field or "body", "message": str(exc)}]}


@router.put(
    "/regions/{region_code}/risk",
    response={200: RiskOut, **answers(403, 404, *BODY)},
)
def set_risk(request: HttpRequest, region_code: str, body: RiskIn):
    if not is_group_admin(request.user):
        return Status(403, {"detail": "only the group admin sets risk levels"})
    try:
        out = actions.set_region_risk(
            request.user, region_code, body.level, body.effective_from, source="api", note=body.note
        )
    except ActionError as exc:
        if exc.field == "region":
            return Status(404, {"detail": "No such region"})
        return Status(422, _errors(exc))
    row = out.rows[0]
    return {
        "region": row.region_id,
        "name": row.region.name,
        "level": row.level,
        "effective_from": row.effective_from,
        "source": row.source,
        "set_by": row.set_by,
        "enterprises_replanned": len(out.plans),
        "people_rescreened": len(out.rescreened),
    }


def _measure(pm: PlanMeasure) -> dict[str, Any]:
    m = pm.measure
    return {
        "aspect": m.aspect,
        "aspect_name": str(Aspect(m.aspect).label),
        "code": m.code,
        "text": m.label,
        "required_from": m.min_level,
        "state": pm.state,
        "note": pm.note,
        "due_at": pm.due_at,
        "attested_at": pm.attested_at,
        "evidence": bool(pm.evidence),
    }


@router.get("/units/{code}/controls", response={200: ControlsOut, **answers(404)})
def unit_controls(request: HttpRequest, code: str):
    unit = access.unit_for_user(request.user, code, queries.PLAN_ROLES)
    if unit.kind != Unit.Kind.ENTERPRISE:
        return Status(404, {"detail": "Not Found"})
    today = queries.today_of(unit)
    level, source = queries.effective_level(unit, today)
    plan = queries.current_plan(unit)
    if plan is None or plan.level != level or plan.policy_id != queries.policy_on(today).pk:
        actions.sync_plans(request.user, [unit])
        plan = queries.current_plan(unit)
    override = queries.active_override(unit, today) if source == queries.OVERRIDE_SOURCE else None
    measures = plan.measures.select_related("measure").order_by("measure__pk") if plan else []
    return {
        "unit": unit.code,
        "level": level,
        "source": source,
        "region": unit.region_id,
        "override": {"level": override.level, "reason": override.reason, "expires_on": override.expires_on}
        if override
        else None,
        "plan_version": plan.version if plan else None,
        "policy_version": plan.policy.version if plan else queries.policy_on(today).version,
        "measures": [_measure(pm) for pm in measures],
    }


@router.get("/units/{code}/operations", response={200: OperationsOut, **answers(404, 422)})
def unit_operations(request: HttpRequest, code: str, q: Query[DateQuery]):
    unit = access.unit_for_user(request.user, code, queries.PLAN_ROLES)
    day = q.date or queries.today_of(unit)
    return {"unit": unit.code, "date": day, **queries.operations(unit, day)}
