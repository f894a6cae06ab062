"""Notifications: the caller's inbox, and per unit its channels, reminder times and delivery record.

The router is mounted at the root: paths are written in full after /api/v1. The inbox is the
caller's own (another user's message answers 404 like an absent one); a unit's channels, times and
deliveries are for its admins (notify.queries.CONFIGURE_ROLES), out of scope answers 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fangkong.notify import actions, queries
from fangkong.notify.models import Channel, Delivery, Message
from fangkong.org import access
from fangkong.org.actions import ActionError

from .schemas import BODY, Input, answers

router = Router(tags=["notify"])

PAGE_SIZE = 100


def _field_error(exc: ActionError) -> dict:
    return {"detail": [{"field": exc.field or "body", "message": str(exc)}]}


class MessageOut(Schema):
    uid: uuid.UUID
    subject: str
    body: str
    link: str
    unit: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class MessagesPage(Schema):
    items: list[MessageOut]
    count: int
    unread: int


class MessagesQuery(Schema):
    unit: str = Field(
        "", max_length=32, description="only messages about this unit's subtree (a code in scope)"
    )
    unread: bool = False
    page: int = Field(1, ge=1, le=1_000_000)


class MarkedOut(Schema):
    marked: int
    unit: str | None


def _message(m: Message) -> dict:
    return {
        "uid": m.uid,
        "subject": m.subject,
        "body": m.body,
        "link": m.link,
        "unit": m.unit.code if m.unit else None,
        "created_at": m.created_at,
        "read_at": m.read_at,
    }


@router.get(
    "/notify/messages",
    response={200: MessagesPage, **answers(404, 422)},
    summary="The caller's inbox, newest first",
)
def list_messages(request: HttpRequest, q: Query[MessagesQuery]):
    rows = queries.inbox(request.user).select_related("unit")
    if q.unit:
        rows = queries.about(rows, access.unit_for_user(request.user, q.unit))
    if q.unread:
        rows = rows.filter(read_at__isnull=True)
    page = rows[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    return {
        "items": [_message(m) for m in page],
        "count": rows.count(),
        "unread": queries.unread_count(request.user),
    }


class ReadAllIn(Input):
    unit: str = Field(
        "", max_length=32, description="only messages about this unit's subtree (a code in scope)"
    )


@router.post(
    "/notify/messages/read-all",
    response={200: MarkedOut, **answers(404, *BODY)},
    summary="Mark every message (or those about one unit's subtree) as read",
)
def read_all(request: HttpRequest, payload: ReadAllIn):
    unit = access.unit_for_user(request.user, payload.unit) if payload.unit else None
    return {"marked": actions.mark_all_read(request.user, unit), "unit": unit.code if unit else None}


@router.get(
    "/notify/messages/{message_uid}",
    response={200: MessageOut, **answers(404, 422)},
    summary="One message of the caller's",
)
def get_message(request: HttpRequest, message_uid: uuid.UUID):
    return _message(queries.message_for_user(request.user, message_uid))


@router.post(
    "/notify/messages/{message_uid}/read",
    response={200: MessageOut, **answers(404, 422)},
    summary="Mark one message as read",
)
def read_message(request: HttpRequest, message_uid: uuid.UUID):
    m = queries.message_for_user(request.user, message_uid)
    return _message(actions.mark_read(request.user, m))


class ChannelOut(Schema):
    uid: uuid.UUID
    unit: str
    kind: str
    name: str
    url: str
    signed: bool
    active: bool


class ChannelIn(Input):
    kind: Literal["email", "wecom", "dingtalk", "feishu"]
    name: str = Field("", max_length=100)
    url: str = Field("", max_length=500)
    secret: str = Field("", max_length=200)


def _channel(c: Channel) -> dict:
    # The secret is never sent back; `signed` says whether there is one.
    return {
        "uid": c.uid,
        "unit": c.unit.code,
        "kind": c.kind,
        "name": c.name,
        "url": c.url,
        "signed": bool(c.secret),
        "active": c.active,
    }


@router.get(
    "/units/{code}/channels",
    response={200: list[ChannelOut], **answers(404)},
    summary="The unit's own channels (e-mail, WeCom, DingTalk, Feishu robots)",
)
def list_channels(request: HttpRequest, code: str):
    unit = queries.unit_to_configure(request.user, code)
    return [_channel(c) for c in queries.channels_of(unit).select_related("unit")]


@router.post(
    "/units/{code}/channels",
    response={201: ChannelOut, **answers(404, *BODY)},
    summary="Add a channel to the unit",
)
def add_channel(request: HttpRequest, code: str, payload: ChannelIn):
    unit = queries.unit_to_configure(request.user, code)
    try:
        c = actions.add_channel(
            request.user, unit, kind=payload.kind, url=payload.url, secret=payload.secret, name=payload.name
        )
    except ActionError as exc:
        return Status(422, _field_error(exc))
    return Status(201, _channel(c))


@router.post(
    "/notify/channels/{channel_uid}/deactivate",
    response={200: ChannelOut, **answers(404, 422)},
    summary="Switch a channel off",
)
def deactivate_channel(request: HttpRequest, channel_uid: uuid.UUID):
    c = queries.channel_for_user(request.user, channel_uid)
    try:
        c = actions.deactivate_channel(request.user, c)
    except ActionError as exc:
        return Status(422, _field_error(exc))
    return Status(200, _channel(c))


class ScheduleOut(Schema):
    job: str
    default: str
    effective: str | None
    set_here: bool
    timezone: str


class ScheduleIn(Input):
    at: str | None = Field(None, max_length=5, description="local HH:MM; null with enabled=true inherits")
    enabled: bool = True


def _schedule_rows(unit) -> list[dict]:
    return [
        {
            "job": r["job"],
            "default": r["default"].strftime("%H:%M"),
            "effective": r["effective"].strftime("%H:%M") if r["effective"] else None,
            "set_here": r["own"] is not None,
            "timezone": r["zone"],
        }
        for r in queries.schedule_rows(unit)
    ]


@router.get(
    "/units/{code}/reminder-times",
    response={200: list[ScheduleOut], **answers(404)},
    summary="The daily jobs and their local times in force at this unit",
)
def list_schedules(request: HttpRequest, code: str):
    return _schedule_rows(queries.unit_to_configure(request.user, code))


@router.put(
    "/units/{code}/reminder-times/{notify_job}",
    response={200: list[ScheduleOut], **answers(404, *BODY)},
    summary="Set, switch off or inherit a job's local time at this unit",
)
def set_schedule(request: HttpRequest, code: str, notify_job: str, payload: ScheduleIn):
    unit = queries.unit_to_configure(request.user, code)
    try:
        actions.set_schedule(request.user, unit, notify_job, at=payload.at, enabled=payload.enabled)
    except ActionError as exc:
        return Status(422, _field_error(exc))
    return Status(200, _schedule_rows(unit))


class DeliveryOut(Schema):
    kind: str
    unit: str | None
    subject: str
    state: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime


class DeliveriesPage(Schema):
    items: list[DeliveryOut]
    count: int


class DeliveriesQuery(Schema):
    state: Literal["pending", "sending", "retrying", "sent", "failed", ""] = ""
    page: int = Field(1, ge=1, le=1_000_000)


@router.get(
    "/units/{code}/deliveries",
    response={200: DeliveriesPage, **answers(404, 422)},
    summary="What was sent on the subtree's channels: state, attempts, last error",
)
def list_deliveries(request: HttpRequest, code: str, q: Query[DeliveriesQuery]):
    unit = queries.unit_to_configure(request.user, code)
    rows = queries.deliveries_under(unit)
    if q.state:
        rows = rows.filter(state=q.state)
    page = rows[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    items = [
        {
            "kind": d.kind,
            "unit": d.unit.code if d.unit else None,
            "subject": d.subject,
            "state": d.state,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "created_at": d.created_at,
            "sent_at": d.sent_at,
            "next_attempt_at": d.next_attempt_at,
        }
        for d in page
    ]
    return {"items": items, "count": rows.count()}


__all__ = ["router", "Delivery"]
