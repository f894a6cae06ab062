"""Every step of a ledger item: open, assign, start, follow up, escalate, close, reopen.

Each step is one transaction with its event row and audit row. Steps that a person takes on an item
they are looking at carry the `version` they saw: if someone else acted in between, the step is
refused (StaleItem) instead of silently overwriting — two people cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from fangkong.audit.actions import Row, actor_name, appended, hold, record, record_many
from fangkong.audit.actions import append_ctes as audit_append
from fangkong.org.actions import ActionError
from fangkong.org.bulk import insert_objects, reserve_ids
from fangkong.org.models import Person, Unit
from fangkong.org.rawsql import column, insert_select, table
from fangkong.privacy.actions import log_access

from .models import OPEN_STATES, CloseReason, Event, Item, Kind, State

TEST_RESULTS = ("negative", "positive", "pending")


class StaleItem(Exception):
    """Someone else changed the item since it was read (HTTP 409)."""


def _event(item: Item, type_: str, actor: Any, **data: Any) -> Event:
    return Event.objects.create(
        item=item,
        type=type_,
        at=timezone.now(),
        actor=actor_name(actor),
        data=_kept(data),
    )


def _kept(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "")}


def _audit(actor: Any, action: str, item: Item, **detail: Any) -> None:
    record(
        actor,
        f"ledger.{action}",
        "ledger_item",
        item.uid,
        unit_code=item.enterprise.code if item.enterprise else item.unit.code,
        detail={"kind": item.kind, **detail},
    )


def _bump(item: Item, expected_version: int | None, **changes: Any) -> Item:
    """Apply `changes` if the item is still at `expected_version` (when given); bump the version."""
    qs = Item.objects.filter(pk=item.pk)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    if not qs.update(version=F("version") + 1, **changes):
        raise StaleItem("the item was changed by someone else; reload it and try again")
    item.refresh_from_db()
    return item


@transaction.atomic
def open_item(
    actor: Any,
    *,
    kind: str,
    key: str,
    unit: Unit,
    title: str,
    due_at: datetime,
    owner: Any = None,
    person: Person | None = None,
    detail: dict | None = None,
) -> tuple[Item, bool]:
    """Open an item unless one is already open for (kind, key); returns (item, created). `owner` is a
    user, or a function that finds one, called only when the item is opened (a red card of a person
    whose item is open already looks no owner up)."""
    existing = Item.objects.filter(kind=kind, key=key, state__in=OPEN_STATES).first()
    if existing is not None:
        return existing, False
    if callable(owner):
        owner = owner()
    try:
        with transaction.atomic():
            item = Item.objects.create(
                kind=kind,
                key=key,
                unit=unit,
                enterprise=unit.enterprise,
                person=person,
                title=title,
                detail=detail or {},
                owner=owner,
                due_at=due_at,
                opened_at=timezone.now(),
            )
    except IntegrityError:  # opened concurrently by someone else: theirs stands
        return Item.objects.get(kind=kind, key=key, state__in=OPEN_STATES), False
    _event(item, Event.Type.OPENED, actor, owner=owner.username if owner else None, due_at=due_at.isoformat())
    _audit(actor, "open", item, owner=owner.username if owner else None)
    return item, True


@dataclass(frozen=True)
class Opening:
    """One item for `open_items` and `insert_opened`: `open_item`'s arguments."""

    kind: str
    key: str
    unit: Unit
    title: str
    due_at: datetime
    owner: Any = None
    person: Person | None = None
    detail: dict | None = None


@transaction.atomic
def open_items(
    actor: Any, openings: list[Opening], owners: Callable[[list[Unit]], dict[int, Any]]
) -> list[tuple[Item, bool]]:
    """`open_item` for many, in the order given, with a fixed number of statements whatever their
    number (a batch of check-ins with its red cards): the open items of their keys in one read,
    the owners of the new ones from `owners` (unit pk -> user or None) in one call, then the items,
    their events and their audit rows, each written at once. A key twice opens once. If an item of
    one of the keys was opened concurrently, each opening is taken one by one by `open_item`, which
    answers that case."""
    if not openings:
        return []
    found = {
        (i.kind, i.key): i
        for i in Item.objects.filter(
            kind__in={o.kind for o in openings}, key__in={o.key for o in openings}, state__in=OPEN_STATES
        )
    }
    new: dict[tuple[str, str], Opening] = {}
    for o in openings:
        if (o.kind, o.key) not in found:
            new.setdefault((o.kind, o.key), o)
    if new:
        owner_of = owners([o.unit for o in new.values()])
        owned = [replace(o, owner=owner_of.get(o.unit.pk)) for o in new.values()]
        try:
            with transaction.atomic():
                items = insert_opened(actor, owned)
        except IntegrityError:  # one was opened concurrently by someone else: theirs stands
            return [open_opening(actor, replace(o, owner=owner_of.get(o.unit.pk))) for o in openings]
        record_many(actor, [_opened_audit(item, o) for item, o in zip(items, owned, strict=True)])
        found.update({(i.kind, i.key): i for i in items})
    created = {id(found[k]) for k in new}
    answers = []
    for o in openings:
        item = found[(o.kind, o.key)]
        answers.append((item, id(item) in created))
        created.discard(id(item))  # (a key twice: the second finds the first's item)
    return answers


def insert_opened(actor: Any, openings: list[Opening], *, batch_size: int | None = None) -> list[Item]:
    """The items of `openings` (keys with no open item, each once) and their `opened` events,
    written set-based inside the caller's transaction: `open_item`'s rows but its audit row, which
    the caller writes (one per item, or one summarising row for a bulk change)."""
    now = timezone.now()
    items = [_new_item(o, now) for o in openings]
    who = actor_name(actor)
    if connection.vendor == "postgresql" and len(items) >= COPY_FROM:
        # Ids from the sequence, then COPY: bulk_create's preparation of every field of every row
        # was most of the time of a province's re-screening, 100 000 items and their events
        # (docs/performance-history.md, session 22).
        for item, pk in zip(items, reserve_ids(Item, len(items)), strict=True):
            item.pk = pk
        insert_objects(items)
        insert_objects([_opened_event(item, now, who) for item in items])
        return items
    Item.objects.bulk_create(items, batch_size=batch_size)
    Event.objects.bulk_create([_opened_event(item, now, who) for item in items], batch_size=batch_size)
    return items


# Openings from which insert_opened writes by COPY: fewer (a batch of check-ins' red cards) take the
# two statements of bulk_create rather than three.
COPY_FROM = 100


def _opened_event(item: Item, now: datetime, who: str) -> Event:
    return Event(item=item, type=Event.Type.OPENED, at=now, actor=who, data=_opened_data(item))


def _new_item(o: Opening, now: datetime) -> Item:
    """The item of an opening (not saved), its owner as given (a user or None)."""
    return Item(
        kind=o.kind,
        key=o.key,
        unit=o.unit,
        enterprise_id=o.unit.enterprise_id,
        person=o.person,
        title=o.title[:200],
        detail=o.detail or {},
        owner=o.owner,
        due_at=o.due_at,
        opened_at=now,
    )


def _opened_data(item: Item) -> dict[str, Any]:
    """What an item's `opened` event records."""
    return _kept({"owner": item.owner.username if item.owner else None, "due_at": item.due_at.isoformat()})


def open_opening(actor: Any, o: Opening) -> tuple[Item, bool]:
    """`open_item` with an Opening's arguments (its owner may be a function, as there)."""
    return open_item(
        actor,
        kind=o.kind,
        key=o.key,
        unit=o.unit,
        title=o.title,
        due_at=o.due_at,
        owner=o.owner,
        person=o.person,
        detail=o.detail,
    )


def open_at_once(actor: Any, o: Opening) -> bool | None:
    """`open_opening`'s writes in one statement, inside the caller's transaction (PostgreSQL): the
    item unless one of its key is open (the unique index of open items leaves it out: ON CONFLICT DO
    NOTHING), and its `opened` event and audit row only if it went in. The owner is looked up
    first, also when an item of the key is open. A red card's item (ledger.hooks): `open_item` took
    ten statements, two of them savepoints (docs/performance-history.md, session 15). True: opened; False:
    an item of the key was open; None: nothing written, not on this database or outside a
    transaction (call `open_opening`)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return None
    owner = o.owner() if callable(o.owner) else o.owner
    now = timezone.now()
    item = _new_item(replace(o, owner=owner), now)
    who = owner.username if owner else None
    enterprise = o.unit.enterprise
    code = enterprise.code if enterprise else o.unit.code
    detail = {"kind": item.kind, "owner": who}
    hold(code)  # first: the statement's row then prefers the chain held (append_ctes)
    append = audit_append(
        actor, "ledger.open", "ledger_item", item.uid, unit_code=code, detail=detail, after="opened"
    )
    if append is None:
        return None
    insert_sql, insert_params = insert_select(item, "TRUE", [], "id", skip_conflicts=True)
    data = _EVENT_DATA.get_db_prep_save(_opened_data(item), connection)
    params = [*insert_params, Event.Type.OPENED, now, actor_name(actor), data, *append.params]
    with connection.cursor() as cursor:
        cursor.execute(_open_sql(insert_sql, append.sql, append.columns), params)
        row = cursor.fetchone()
    appended(row[1:])
    return row[0] == 1


_EVENT_DATA = Event._meta.get_field("data")


@cache
def _open_sql(insert_sql: str, audit_ctes: str, audit_columns: str) -> str:
    columns = ", ".join(column(Event, n) for n in ("item_id", "type", "at", "actor", "data"))
    return (
        f"WITH opened AS ({insert_sql}), "  # noqa: S608 - names from the models, never input
        f"opened_event AS (INSERT INTO {table(Event)} ({columns}) "
        "SELECT id, %s::varchar, %s::timestamptz, %s::varchar, %s::jsonb FROM opened), "
        f"{audit_ctes} SELECT (SELECT count(*) FROM opened), {audit_columns}"
    )


def _opened_audit(item: Item, opening: Opening) -> Row:
    """The audit row `open_item` writes (the unit's enterprise as its unit code, the unit's if it is one)."""
    enterprise = opening.unit.enterprise  # (read with the unit: the item holds only its id)
    return Row(
        "ledger.open",
        "ledger_item",
        item.uid,
        unit_code=enterprise.code if enterprise else opening.unit.code,
        detail={"kind": item.kind, "owner": item.owner.username if item.owner else None},
    )


@transaction.atomic
def assign_item(
    actor: Any, item: Item, owner: Any, *, version: int | None = None, due_at: datetime | None = None
) -> Item:
    if not item.is_open:
        raise ActionError("a closed item cannot be assigned; reopen it first", "state")
    changes: dict[str, Any] = {"owner": owner}
    if due_at is not None:
        changes["due_at"] = due_at
    item = _bump(item, version, **changes)
    _event(
        item, Event.Type.ASSIGNED, actor, owner=owner.username, due_at=due_at.isoformat() if due_at else None
    )
    _audit(actor, "assign", item, owner=owner.username)
    return item


@transaction.atomic
def follow_up(
    actor: Any,
    item: Item,
    *,
    version: int | None = None,
    note: str = "",
    temperature: str | Decimal | None = None,
    medical_visit: str = "",
    test_result: str = "",
) -> Item:
    """Record what was done or found; the first follow-up moves an open item to in progress."""
    if not item.is_open:
        raise ActionError("a closed item takes no follow-up; reopen it first", "state")
    if not (note or temperature or medical_visit or test_result):
        raise ActionError(
            "say what was done: a note, a temperature, a medical visit or a test result", "note"
        )
    temp = None
    if temperature not in (None, ""):
        try:
            temp = Decimal(str(temperature))
            if not temp.is_finite():  # NaN cannot be compared below
                raise InvalidOperation
            temp = temp.quantize(Decimal("0.1"))
        except InvalidOperation:
            raise ActionError("not a number", "temperature") from None
        if not Decimal("34.0") <= temp <= Decimal("43.0"):
            raise ActionError("must be between 34.0 and 43.0 °C", "temperature")
    if test_result and test_result not in TEST_RESULTS:
        raise ActionError(f"must be one of {', '.join(TEST_RESULTS)}", "test_result")
    item = _bump(item, version, state=State.IN_PROGRESS)
    _event(
        item,
        Event.Type.FOLLOW_UP,
        actor,
        note=note[:500],
        temperature=str(temp) if temp else None,
        medical_visit=medical_visit[:200],
        test_result=test_result,
    )
    _audit(actor, "follow_up", item)
    return item


@transaction.atomic
def escalate_item(actor: Any, item: Item, *, to: Any = None, reason: str = "overdue") -> Item:
    """One step up the ladder (the notify app decides who is next); optionally hand over ownership."""
    changes: dict[str, Any] = {"escalation_level": F("escalation_level") + 1}
    if to is not None:
        changes["owner"] = to
    item = _bump(item, None, **changes)
    _event(
        item,
        Event.Type.ESCALATED,
        actor,
        to=to.username if to else None,
        reason=reason,
        level=item.escalation_level,
    )
    _audit(actor, "escalate", item, level=item.escalation_level)
    return item


@transaction.atomic
def close_item(
    actor: Any, item: Item, *, reason: str, note: str = "", evidence: str = "", version: int | None = None
) -> Item:
    if not item.is_open:
        raise ActionError("the item is already closed", "state")
    if reason not in CloseReason.values:
        raise ActionError(f"a reason is required: one of {', '.join(CloseReason.values)}", "reason")
    if reason == CloseReason.OTHER and not note.strip():
        raise ActionError("explain the reason 'other'", "note")
    item = _bump(
        item,
        version,
        state=State.CLOSED,
        close_reason=reason,
        close_note=note[:500],
        closed_at=timezone.now(),
    )
    _event(item, Event.Type.CLOSED, actor, reason=reason, note=note[:500], evidence=evidence[:300])
    _audit(actor, "close", item, reason=reason)
    return item


@transaction.atomic
def reopen_item(actor: Any, item: Item, *, note: str, version: int | None = None) -> Item:
    if item.is_open:
        raise ActionError("the item is not closed", "state")
    if not note.strip():
        raise ActionError("say why it is reopened", "note")
    if Item.objects.filter(kind=item.kind, key=item.key, state__in=OPEN_STATES).exists():
        raise ActionError("another item for the same subject is open; follow that one", "state")
    item = _bump(item, version, state=State.OPEN, close_reason="", close_note="", closed_at=None)
    _event(item, Event.Type.REOPENED, actor, note=note[:500])
    _audit(actor, "reopen", item)
    return item


def log_detail_view(user, item: Item, how: str = "page") -> None:
    """Access to health detail is logged (PIPL); other kinds' detail is not health data."""
    if item.kind != Kind.HEALTH_ANOMALY:
        return
    with transaction.atomic():
        log_access(user, "view_health", person=item.person, unit=item.unit, what=f"ledger item {item.uid}")
        record(
            user,
            "ledger.view_detail",
            "ledger_item",
            item.uid,
            unit_code=item.enterprise.code if item.enterprise else item.unit.code,
            detail={"kind": item.kind, "via": how},
        )


def default_due(hours: int = 24) -> datetime:
    return timezone.now() + timedelta(hours=hours)


__all__ = [
    "Kind",
    "StaleItem",
    "open_item",
    "assign_item",
    "follow_up",
    "escalate_item",
    "close_item",
    "reopen_item",
    "default_due",
]
