"""API of the overseas projects module: the projects of a unit's subtree.

The router is mounted at the root: paths are written in full after /api/v1. Same scope as the pages
(`overseas.queries.unit_for`: the admins over the unit; out of scope is 404 like absent)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Max
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from fangkong.overseas import queries

from .schemas import answers

router = Router(tags=["overseas"])

PAGE_SIZE = 100


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)


class ProjectOut(Schema):
    uid: uuid.UUID
    name: str
    unit: str
    country: str
    city: str
    timezone: str
    status: str
    staff_cn: int
    staff_local: int
    plan_version: int | None
    last_drill: dt.date | None


class ProjectPage(Schema):
    items: list[ProjectOut]
    count: int


@router.get(
    "/units/{code}/projects",
    response={200: ProjectPage, **answers(404, 422)},
    summary="Projects abroad of the enterprises in the unit's subtree",
)
def list_projects(request: HttpRequest, code: str, q: Query[PageQuery]):
    unit = queries.unit_for(request.user, code)
    projects = queries.projects_in(unit)
    rows = projects.annotate(plan_version=Max("plans__version"), last_drill=Max("drills__day"))[
        (q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE
    ]
    items = [
        {
            "uid": p.uid,
            "name": p.name,
            "unit": p.enterprise.code,
            "country": p.country_id,
            "city": p.city,
            "timezone": p.timezone,
            "status": p.status,
            "staff_cn": p.staff_cn,
            "staff_local": p.staff_local,
            "plan_version": p.plan_version,
            "last_drill": p.last_drill,
        }
        for p in rows
    ]
    return {"items": items, "count": projects.count()}
