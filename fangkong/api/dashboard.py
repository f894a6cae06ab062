"""API of the dashboard and bulletin module: the daily bulletin of a unit, as PDF or XLSX.

The router is mounted at the root: paths are written in full after /api/v1."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from fangkong.dashboard.queries import DASHBOARD_ROLES
from fangkong.dashboard.views import bulletin_response
from fangkong.lib.dates import business_day
from fangkong.org import access

from .schemas import Day, answers

router = Router(tags=["dashboard"])


class BulletinQuery(Schema):
    date: Day | None = None
    format: Literal["pdf", "xlsx"] = "pdf"


@router.get(
    "/units/{code}/bulletin",
    response={200: None, **answers(404, 422)},
    summary="The daily bulletin (疫情通报) of the unit: PDF (CJK font embedded) or XLSX",
    openapi_extra={
        "responses": {
            200: {
                "description": "The bulletin file",
                "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            }
        }
    },
)
def unit_bulletin(request: HttpRequest, code: str, q: Query[BulletinQuery]) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, DASHBOARD_ROLES)
    return bulletin_response(unit, q.date or business_day(unit.timezone), q.format)
