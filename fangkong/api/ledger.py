"""Ledger items: `GET /ledger/items`, `GET /ledger/items/{uid}`, and one POST per action.

The same rules as the pages (fangkong/ledger/views.py): scoped by `visible_items`, detail only for
`can_see_detail` (and that access is audited), acting only for the owner or the officers over it,
optimistic locking by `version` (409 when someone else acted first).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, WithJsonSchema

from fangkong.ledger import actions, queries
from fangkong.ledger.actions import log_detail_view
from fangkong.ledger.models import Item, Kind
from fangkong.ledger.queries import (
    Filters,
    can_act,
    event_data,
    filtered_items,
    is_overdue,
    item_for_user,
    owner_candidates,
)
from fangkong.lib.dates import zone
from fangkong.org.actions import ActionError

from .schemas import answers

router = Router(tags=["ledger"])

PAGE_SIZE = 100
STALE = "the item was changed by someone else (its version is no longer the one sent): reload it"


class FieldErrors(Schema):
    detail: list[dict[str, Any]]


class ItemsQuery(Schema):
    unit: str = Field("", max_length=32)
    kind: Kind | None = None
    state: Literal["active", "open", "in_progress", "closed", "all"] = "active"
    owner: Literal["me", "none", ""] = ""
    overdue: bool = False
    today: bool = False
    page: int = Field(1, ge=1, le=1_000_000)


class ItemBrief(Schema):
    uid: uuid.UUID
    kind: str
    title: str
    unit: str
    person: str | None
    state: str
    owner: str | None
    due_at: dt.datetime
    overdue: bool
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    escalation_level: int
    version: int


class ItemsPage(Schema):
    items: list[ItemBrief]
    count: int


class EventOut(Schema):
    type: str
    at: dt.datetime
    actor: str
    data: dict[str, Any]


class ItemOut(ItemBrief):
    # Only for those who may see the detail: absent from the answer otherwise (not null).
    detail: dict[str, Any] | None = None
    close_reason: str | None = None
    close_note: str | None = None
    events: list[EventOut]


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=32)
    note: str = Field("", max_length=500)
    evidence: str = Field("", max_length=300)
    version: int


_TEMPERATURE = {"type": "number", "minimum": 34, "maximum": 43}


class FollowUpIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500)
    # The schema advertises the action's range as a number; the action refuses others naming the field.
    temperature: Annotated[Decimal, WithJsonSchema(_TEMPERATURE)] | None = None
    medical_visit: str = Field("", max_length=200)
    test_result: str = Field("", max_length=16)
    version: int


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    owner: str = Field(..., max_length=150)
    due_at: dt.datetime | None = None
    version: int


def _brief(item: Item, now: dt.datetime | None = None) -> dict[str, Any]:
    return {
        "uid": item.uid,
        "kind": item.kind,
        "title": item.display_title,
        "unit": item.unit.code,
        "person": item.person.employee_no if item.person else None,
        "state": item.state,
        "owner": item.owner.username if item.owner else None,
        "due_at": item.due_at,
        "overdue": is_overdue(item, now),
        "opened_at": item.opened_at,
        "closed_at": item.closed_at,
        "escalation_level": item.escalation_level,
        "version": item.version,
    }


def _field_error(field: str, message: str) -> dict[str, Any]:
    return {"detail": [{"loc": ["body", field], "msg": message, "type": "value_error"}]}


def _act(request: HttpRequest, uid: uuid.UUID, version: int, do) -> Status:
    """Scope (404), permission (403), then the action: 409 on a stale version or state, 422 on input."""
    item = item_for_user(request.user, uid)
    if not can_act(request.user, item):
        return Status(403, {"detail": "you may not act on this item"})
    if version != item.version:
        return Status(409, {"detail": STALE})
    try:
        item = do(item)
    except actions.StaleItem:
        return Status(409, {"detail": STALE})
    except ActionError as exc:
        if exc.field == "state":
            return Status(409, {"detail": str(exc)})
        return Status(422, _field_error(exc.field or "body", str(exc)))
    return Status(200, _brief(item))


@router.get(
    "/items",
    response={200: ItemsPage, **answers(404), 422: FieldErrors},
    summary="Ledger items in the caller's scope, by due time (default: open and in progress)",
)
def list_items(request: HttpRequest, q: Query[ItemsQuery]):
    f = Filters(
        unit=q.unit.strip(),
        kind=q.kind.value if q.kind else "",
        state=q.state,
        owner=q.owner,
        overdue=q.overdue,
        today=q.today,
    )
    items = filtered_items(request.user, f)
    rows = items[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    now = dt.datetime.now(dt.UTC)
    return {"items": [_brief(i, now) for i in rows], "count": items.count()}


@router.get(
    "/items/{uid}",
    response={200: ItemOut, **answers(404, 422)},
    exclude_unset=True,
    summary="One item and its history; detail only for its owner and the enterprise's officers",
)
def get_item(request: HttpRequest, uid: uuid.UUID):
    item = item_for_user(request.user, uid)
    detail = queries.can_see_detail(request.user, item)
    out = _brief(item)
    out["events"] = [
        {"type": e.type, "at": e.at, "actor": e.actor, "data": event_data(e, detail)}
        for e in item.events.order_by("at", "pk")
    ]
    if detail:
        log_detail_view(request.user, item, how="api")
        out.update(detail=item.detail, close_reason=item.close_reason, close_note=item.close_note)
    return out


@router.post(
    "/items/{uid}/close",
    response={200: ItemBrief, **answers(400, 403, 404, 409, 413), 422: FieldErrors},
    summary="Close an item out with a reason (and a note for 'other')",
)
def close_item(request: HttpRequest, uid: uuid.UUID, payload: CloseIn):
    return _act(
        request,
        uid,
        payload.version,
        lambda item: actions.close_item(
            request.user,
            item,
            reason=payload.reason,
            note=payload.note.strip(),
            evidence=payload.evidence.strip(),
            version=payload.version,
        ),
    )


@router.post(
    "/items/{uid}/follow-up",
    response={200: ItemBrief, **answers(400, 403, 404, 409, 413), 422: FieldErrors},
    summary="Record a follow-up: note, temperature, medical visit, test result",
)
def follow_up(request: HttpRequest, uid: uuid.UUID, payload: FollowUpIn):
    return _act(
        request,
        uid,
        payload.version,
        lambda item: actions.follow_up(
            request.user,
            item,
            version=payload.version,
            note=payload.note.strip(),
            temperature=payload.temperature,
            medical_visit=payload.medical_visit.strip(),
            test_result=payload.test_result,
        ),
    )


@router.post(
    "/items/{uid}/assign",
    response={200: ItemBrief, **answers(400, 403, 404, 409, 413), 422: FieldErrors},
    summary="Give the item to a user holding a role on its unit or above",
)
def assign_item(request: HttpRequest, uid: uuid.UUID, payload: AssignIn):
    def do(item: Item) -> Item:
        owner = owner_candidates(item).filter(username=payload.owner).first()
        if owner is None:
            raise ActionError("not someone who holds a role on this item's unit or above it", "owner")
        due = payload.due_at
        if due is not None:
            if due.tzinfo is None:  # a wall-clock time: the item's enterprise's
                due = due.replace(tzinfo=zone((item.enterprise or item.unit).timezone))
            if due <= dt.datetime.now(dt.UTC):
                raise ActionError("must be in the future", "due_at")
        return actions.assign_item(request.user, item, owner, version=payload.version, due_at=due)

    return _act(request, uid, payload.version, do)
