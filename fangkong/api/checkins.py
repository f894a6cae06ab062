"""Check-ins (`POST /checkins`, `/checkins/batch`) and day figures (`/units/{code}/rollup|missing`)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, ValidationError

from fangkong.checkins import actions, batch, overrides, rollup
from fangkong.checkins.models import CheckIn, Device, Source
from fangkong.lib.dates import business_day
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Person
from fangkong.privacy.actions import log_access
from fangkong.privacy.models import AccessRecord

from .auth import BearerAuth, DeviceAuth, SessionAuth
from .schemas import Day, answers

router = Router(tags=["checkins"], auth=[DeviceAuth(), BearerAuth(), SessionAuth()])
unit_router = Router(tags=["checkins"])

PAGE_SIZE = 100
PERSON_MAX = 32  # an employee number's length
BATCH_MAX = 1000
FIGURE_ROLES = access.ROSTER_ROLES  # the day's counts: everyone who reads the roster


# The check-in models are plain pydantic models, not ninja Schemas: Schema's root validator (which
# lets a model be read from an object's attributes) costs more than the validation itself, and a
# batch validates a thousand bodies and answers a thousand results. Their OpenAPI schemas are the same.
class CheckinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    person: str = Field(..., min_length=1, max_length=PERSON_MAX)
    temperature: Decimal = Field(..., ge=Decimal("34.0"), le=Decimal("43.0"), decimal_places=1)
    symptoms: list[str] = Field(default_factory=list, max_length=20)
    where: Literal["on_site", "remote", "leave", "isolated"] = "on_site"
    location: str = Field("", max_length=6)
    visited: list[str] = Field(default_factory=list, max_length=50)
    contact: bool = False
    captured_at: dt.datetime | None = None
    note: str = Field("", max_length=500)


class CheckinOut(BaseModel):
    id: uuid.UUID
    person: str
    day: dt.date
    version: int
    card: str
    late: bool
    received_at: dt.datetime


class FieldErrors(Schema):
    detail: list[dict[str, Any]]


class BatchResult(BaseModel):
    index: int
    id: str | None = None
    status: int
    checkin: CheckinOut | None = None
    detail: list[dict[str, Any]] | str | None = None


def _field_error(field: str, message: str) -> list[dict[str, Any]]:
    return [{"loc": ["body", field], "msg": message, "type": "value_error"}]


def _source_for(request: HttpRequest, person: Person) -> tuple[str, Device | None] | None:
    """How the caller may check this person in (source, device), or None if out of its reach.

    A device reaches its own enterprise; a user its own person, and with a proxy role every person
    whose unit it reaches (access.has_role on the person's unit: the rule visible_people applies).
    """
    auth = getattr(request, "auth", None)
    if isinstance(auth, Device):
        return (Source.DEVICE, auth) if person.enterprise_id == auth.enterprise_id else None
    user = request.user
    if user.is_authenticated and person.user_id == user.pk:
        return Source.SELF, None
    if access.has_role(user, access.PROXY_ROLES, person.unit):
        return Source.PROXY, None
    return None


class PersonPrefetch:
    """The person a single check-in names, read in the statement that reads the caller's token
    (`BearerAuth(prefetch=…)`): a proxy's or an integration's check-in then makes one read fewer.
    The body is only peeked at here; ninja still validates it, and `_person_for` uses what was read
    only for the same employee number."""

    SENT, READ = "fangkong_person_sent", "fangkong_person_read"

    def statement(self, request: HttpRequest) -> tuple[str, list[Any]] | None:
        try:
            named = json.loads(request.body).get("person")
        except (ValueError, AttributeError, RawPostDataException, RecursionError):
            return None  # ninja answers the body (400 or 422)
        if not isinstance(named, str) or not 0 < len(named) <= PERSON_MAX:
            return None
        read = actions.PeopleRead(employee_nos=[named])
        setattr(request, self.SENT, (named, read))
        return read.statement

    def keep(self, request: HttpRequest, rows: list[tuple[Any, ...]]) -> None:
        named, read = getattr(request, self.SENT)
        setattr(request, self.READ, (named, next(iter(read.build(rows)), None)))

    @classmethod
    def read(cls, request: HttpRequest, employee_no: str) -> tuple[bool, Person | None]:
        """(whether the person was read with the token, the person or None if there is none)."""
        named, person = getattr(request, cls.READ, (None, None))
        return (True, person) if named == employee_no else (False, None)


def _person_for(request: HttpRequest, employee_no: str) -> tuple[Person, str, Device | None]:
    """The person the caller may check in, with the source it counts as; Http404 otherwise."""
    known, person = PersonPrefetch.read(request, employee_no)
    if not known:
        person = next(iter(actions.people_for_checkin(employee_nos=[employee_no])), None)
    how = _source_for(request, person) if person is not None else None
    if person is None or how is None:
        raise Http404("No such person")
    return person, *how


def _data(payload: CheckinIn) -> actions.CheckinData:
    return actions.CheckinData(
        id=payload.id,
        temperature=payload.temperature,
        symptoms=payload.symptoms,
        where=payload.where,
        location=payload.location,
        visited=payload.visited,
        contact=payload.contact,
        captured_at=payload.captured_at,
        note=payload.note,
    )


def _actor(request: HttpRequest, device: Device | None) -> Any:
    return device.prefix if device else request.user


def _submit(request: HttpRequest, payload: CheckinIn) -> HttpResponse | Status:
    person, source, device = _person_for(request, payload.person)
    data = _data(payload)
    actor = _actor(request, device)
    try:
        checkin, created = actions.submit_checkin(actor, person, data, source=source, device=device)
    except actions.CheckinConflict as exc:
        return Status(409, {"detail": str(exc)})
    except ActionError as exc:
        return Status(422, {"detail": _field_error(exc.field or "body", str(exc))})
    # Written as JSON here, as the batch writes its results (below): ninja's validation of the
    # answer against CheckinOut and its encoder cost 2.3 % of a check-in's instructions
    # (docs/performance-history.md, session 14). The same bytes (tests/checkins/test_api.py), in ninja's
    # content type.
    return HttpResponse(json.dumps(_stored(checkin)), status=201 if created else 200, content_type=_JSON)


@router.post(
    "",
    auth=[DeviceAuth(), BearerAuth(prefetch=PersonPrefetch()), SessionAuth()],
    response={200: CheckinOut, 201: CheckinOut, **answers(400, 404, 409, 413), 422: FieldErrors},
    summary="Submit one check-in (idempotent by id)",
)
def post_checkin(request: HttpRequest, payload: CheckinIn):
    return _submit(request, payload)


@router.post(
    "/batch",
    response={200: list[BatchResult], **answers(400, 413), 422: FieldErrors},
    summary="Submit up to 1 000 check-ins; a result per item",
)
def post_batch(request: HttpRequest, payload: list[dict[str, Any]]):
    if len(payload) > BATCH_MAX:
        return Status(422, {"detail": _field_error("body", f"at most {BATCH_MAX} check-ins per batch")})
    results: dict[int, dict[str, Any]] = {}
    valid: list[tuple[int, CheckinIn]] = []
    for index, raw in enumerate(payload):
        try:
            valid.append((index, CheckinIn.model_validate(raw)))
        except ValidationError as exc:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            errors = [
                {"loc": ["body", index, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
            ]
            results[index] = _result(index, str(raw_id) if raw_id else None, 422, detail=errors)
    # One read for every person named; the scope is decided per item as for a single check-in.
    people = {
        p.employee_no: p for p in actions.people_for_checkin(employee_nos=[item.person for _, item in valid])
    }
    subs: list[batch.Submission] = []
    device: Device | None = None
    for index, item in valid:
        person = people.get(item.person)
        how = _source_for(request, person) if person is not None else None
        if person is None or how is None:
            results[index] = _result(index, str(item.id), 404, detail="Not Found")
            continue
        source, device = how
        subs.append(batch.Submission(index, person, _data(item), source))
    for index, outcome in batch.submit_many(_actor(request, device), subs, device=device).items():
        item_id = str(payload[index]["id"])
        if outcome.checkin is not None:
            results[index] = _result(index, item_id, outcome.status, checkin=_stored(outcome.checkin))
            continue
        detail = _field_error(outcome.field, outcome.message) if outcome.status == 422 else outcome.message
        results[index] = _result(index, item_id, outcome.status, detail=detail)
    # A thousand results are written as JSON here, from values already in JSON's types: ninja's
    # validation of each against BatchResult and its encoder's calls per id, day and time cost a
    # tenth of the batch (docs/performance-history.md, session 12). The answer is the same, byte for byte
    # (tests/checkins/test_batch.py), in ninja's content type.
    return HttpResponse(json.dumps([results[i] for i in sorted(results)]), content_type=_JSON)


_JSON = "application/json; charset=utf-8"
_TIME = DjangoJSONEncoder()  # ninja's encoder writes times as Django's does


def _result(
    index: int, item_id: str | None, status: int, *, checkin: dict | None = None, detail: Any = None
) -> dict[str, Any]:
    """A BatchResult as JSON values, its fields in the schema's order."""
    return {"index": index, "id": item_id, "status": status, "checkin": checkin, "detail": detail}


def _stored(ci: CheckIn) -> dict[str, Any]:
    """A CheckinOut as JSON values."""
    return {
        "id": str(ci.id),
        "person": ci.person.employee_no,
        "day": ci.day.isoformat(),
        "version": ci.version,
        "card": ci.card,
        "late": ci.late,
        "received_at": _TIME.default(ci.received_at),
    }


class OverrideIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person: str = Field(..., min_length=1, max_length=PERSON_MAX)
    date: Day
    card: Literal["green", "yellow", "red"]
    reason: str = Field("", max_length=500)


class OverrideOut(Schema):
    person: str
    date: dt.date
    card: str
    card_before: str
    reason: str
    by: str
    at: dt.datetime


@router.post(
    "/override",
    response={200: OverrideOut, **answers(400, 404, 409, 413), 422: FieldErrors},
    summary="Override a person's health card for a day (enterprise prevention officers; reason required)",
)
def post_override(request: HttpRequest, payload: OverrideIn):
    person = overrides.person_for_officer(request.user, payload.person)
    try:
        row = overrides.override_card(
            request.user, person, payload.date, card=payload.card, reason=payload.reason
        )
    except overrides.NothingToOverride as exc:
        return Status(409, {"detail": str(exc)})
    except ActionError as exc:
        return Status(422, {"detail": _field_error(exc.field or "body", str(exc))})
    return {
        "person": person.employee_no,
        "date": payload.date,
        "card": row.card,
        "card_before": row.card_before,
        "reason": row.reason,
        "by": row.by_name,
        "at": row.at,
    }


class DayQuery(Schema):
    date: Day | None = None


class DayPageQuery(DayQuery):
    page: int = Field(1, ge=1, le=1_000_000)


class Figures(Schema):
    expected: int
    checked_in: int
    missing: int
    exempt: int
    abnormal: int
    red: int
    yellow: int
    open_items: int


class ChildFigures(Figures):
    code: str


class RollupOut(Figures):
    code: str
    date: dt.date
    children: list[ChildFigures]


class MissingPerson(Schema):
    employee_no: str
    name: str
    unit: str


class MissingPage(Schema):
    items: list[MissingPerson]
    count: int
    date: Day


@unit_router.get(
    "/{code}/rollup",
    response={200: RollupOut, **answers(404, 422)},
    summary="The day's figures for the unit and each child",
)
def unit_rollup(request: HttpRequest, code: str, q: Query[DayQuery]):
    unit = access.unit_for_user(request.user, code, FIGURE_ROLES)
    return rollup.rollup(unit, q.date or business_day(unit.timezone))


@unit_router.get(
    "/{code}/missing",
    response={200: MissingPage, **answers(404, 422)},
    summary="People without a check-in (and not exempt) that day",
)
def unit_missing(request: HttpRequest, code: str, q: Query[DayPageQuery]):
    unit = access.unit_for_user(request.user, code, access.ROSTER_ROLES)
    day = q.date or business_day(unit.timezone)
    people = rollup.MissingList(unit, day)
    rows = people[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    return {
        "items": [{"employee_no": p.employee_no, "name": p.name, "unit": p.unit.code} for p in rows],
        "count": people.count(),
        "date": day,
    }


CARD_ROLES = access.NAMED_HEALTH_ROLES


class CardQuery(DayPageQuery):
    colour: Literal["red", "yellow", "all"] = "all"


class CardOut(Schema):
    employee_no: str
    name: str
    unit: str
    card: str
    since: dt.datetime
    override: str | None = None  # "by X: reason" when an officer set this card (checkins.overrides)


class CardPage(Schema):
    items: list[CardOut]
    count: int
    date: Day


@unit_router.get(
    "/{code}/cards",
    response={200: CardPage, **answers(404, 422)},
    summary="Red and yellow cards of the day (enterprise officers and grid leaders only)",
)
def unit_cards(request: HttpRequest, code: str, q: Query[CardQuery]):
    # Who has a red card is health data: only the enterprise's officers and grid leaders see names;
    # the group and segments read the counts in /rollup.
    unit = access.unit_for_user(request.user, code, CARD_ROLES)
    day = q.date or business_day(unit.timezone)
    colours = ["red", "yellow"] if q.colour == "all" else [q.colour]
    cards = rollup.cards(unit, day, colours).order_by("unit__path", "person__employee_no")
    columns = cards.values("person__employee_no", "person__name", "unit__code", "card", "captured_at")
    rows = columns.annotate(**overrides.marker())[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    log_access(request.user, AccessRecord.Action.VIEW_HEALTH, unit=unit, what="cards (API)")
    items = [
        {
            "employee_no": r["person__employee_no"],
            "name": r["person__name"],
            "unit": r["unit__code"],
            "card": r["card"],
            "since": r["captured_at"],
            "override": overrides.marker_text(r),
        }
        for r in rows
    ]
    return {"items": items, "count": cards.count(), "date": day}
