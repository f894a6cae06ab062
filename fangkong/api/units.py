"""Units and their rosters: GET /units, /units/{code}, /units/{code}/people."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from fangkong.org import access
from fangkong.org.models import Unit

from .schemas import answers

router = Router(tags=["units"])

PAGE_SIZE = 100


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    children: list[str]
    region: str | None = None
    timezone: str | None = None


class UnitBrief(Schema):
    code: str
    name: str
    kind: str


class PersonOut(Schema):
    employee_no: str
    name: str
    unit: str


class PeoplePage(Schema):
    items: list[PersonOut]
    count: int


class RosterQuery(Schema):
    # Bounded, so a huge value is a 422 naming the field rather than an OFFSET the database refuses.
    page: int = Field(1, ge=1, le=1_000_000)
    # The people after this employee number (the last one a page answered); `page` then counts from
    # there. Read from where the number stands in the index, so a client reading the whole roster of
    # a large subtree pays the same for its last page as for its first (docs/api.md).
    after: str | None = Field(None, min_length=1, max_length=32)


def _unit_out(unit: Unit) -> dict:
    out = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent.code if unit.parent is not None else None,
        "children": list(unit.children.order_by("code").values_list("code", flat=True)),
    }
    if unit.kind == Unit.Kind.ENTERPRISE:
        out["region"] = unit.region_id
        out["timezone"] = unit.timezone
    return out


@router.get(
    "", response={200: list[UnitBrief], **answers()}, summary="The units at the top of the caller's scope"
)
def list_units(request: HttpRequest):
    return [{"code": u.code, "name": u.name, "kind": u.kind} for u in access.top_units(request.user)]


@router.get("/{code}", response={200: UnitOut, **answers(404)}, summary="One unit")
def get_unit(request: HttpRequest, code: str):
    unit = access.unit_for_user(request.user, code)
    return _unit_out(unit)


@router.get(
    "/{code}/people",
    response={200: PeoplePage, **answers(404, 422, 429)},
    summary="The roster of the unit's subtree, masked",
)
def unit_people(request: HttpRequest, code: str, q: Query[RosterQuery]):
    unit = access.unit_for_user(request.user, code, access.ROSTER_ROLES)
    people = access.visible_people(request.user, within=unit)
    count = people.count()
    in_order = people.order_by("employee_no").values("employee_no", "name", "unit__code")
    if q.after is not None:
        in_order = in_order.filter(employee_no__gt=q.after)
    rows = in_order[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    return {
        "items": [
            {"employee_no": r["employee_no"], "name": r["name"], "unit": r["unit__code"]} for r in rows
        ],
        "count": count,
    }
