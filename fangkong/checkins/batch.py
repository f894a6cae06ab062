"""Many check-ins in one transaction: the batch endpoint's set-based path.

The common case of a batch — new check-ins of different people — is stored with a fixed number of
statements whatever its size: one lock of the people (in id order, skipping any another writer
holds: theirs go one by one after the batch's transaction), one read for replays and
superseded check-ins, one insert, one counter update for all the unit-days touched, and one audit
insert (on the one audit chain the transaction holds). Everything else (a replay, an amendment, a
person or id twice in the batch, an invalid item, a lost race) goes through `actions.submit_checkin`
one by one, so the rules live in one place and every item gets the same answer it would get alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fangkong.audit.actions import Row, record_many
from fangkong.consent import gate as consent_gate
from fangkong.ledger import hooks as ledger_hooks
from fangkong.lib.dates import business_day
from fangkong.org.actions import ActionError
from fangkong.org.bulk import insert_objects
from fangkong.org.models import Person, Unit
from fangkong.org.rawsql import any_of, array_text, column, day_param, on_postgresql, qn, select, table

from . import actions, rollup, signals, statements
from . import rules as card_rules
from .models import CheckIn, Device, Exemption, Source, UnitDay, Where


@dataclass(frozen=True)
class Submission:
    index: int
    person: Person  # from actions.people_for_checkin()
    data: actions.CheckinData
    source: str


@dataclass(frozen=True)
class Outcome:
    status: int  # 201 created, 200 replay, 409 conflict, 422 invalid
    checkin: CheckIn | None = None
    field: str = ""
    message: str = ""


@dataclass(frozen=True)
class _Ready:
    sub: Submission
    digest: str
    day: date
    unit: Unit
    captured: datetime


def submit_many(
    actor: Any, subs: list[Submission], *, device: Device | None = None, now: datetime | None = None
) -> dict[int, Outcome]:
    """Store the submissions; returns an Outcome per submission index."""
    now = now or timezone.now()
    ready: list[_Ready] = []
    one_by_one: list[Submission] = []
    ids: set = set()
    person_days: set[tuple[int, date]] = set()
    for sub in subs:
        prepared = _prepare(sub, now)
        if prepared is None or sub.data.id in ids or (sub.person.pk, prepared.day) in person_days:
            one_by_one.append(sub)
            continue
        ids.add(sub.data.id)
        person_days.add((sub.person.pk, prepared.day))
        ready.append(prepared)
    outcomes: dict[int, Outcome] = {}
    if ready:
        try:
            with transaction.atomic():
                one_by_one += _store_many(actor, ready, now, device, outcomes)
        except IntegrityError:
            # A concurrent writer stored one of these ids first: each item decides on its own.
            outcomes.clear()
            one_by_one += [r.sub for r in ready]
    for sub in sorted(one_by_one, key=lambda s: s.index):
        outcomes[sub.index] = _one(actor, sub, device, now)
    return outcomes


def _prepare(sub: Submission, now: datetime) -> _Ready | None:
    """The item's day and unit if it is valid now; None sends it down the one-by-one path."""
    data = sub.data
    try:
        actions.validate(data)
    except ActionError:
        return None
    captured = data.captured_at or now
    if not now - actions.MAX_AGE <= captured <= now + actions.MAX_AHEAD:
        return None
    day = business_day(sub.person.enterprise.timezone, captured)
    since = getattr(sub.person, "placed_since", None)
    placed_here = getattr(sub.person, "placed_unit_id", None) == sub.person.unit_id
    if since is None or since > day or not placed_here or not consent_gate.may_process(sub.person):
        return None  # (a consent refusal is answered by submit_checkin, naming the field)
    return _Ready(sub, data.digest(sub.person.employee_no), day, sub.person.unit, captured)


def _one(actor: Any, sub: Submission, device: Device | None, now: datetime) -> Outcome:
    try:
        checkin, created = actions.submit_checkin(
            actor, sub.person, sub.data, source=sub.source, device=device, now=now
        )
    except actions.CheckinConflict as exc:
        return Outcome(409, message=str(exc))
    except ActionError as exc:
        return Outcome(422, field=exc.field or "body", message=str(exc))
    return Outcome(201 if created else 200, checkin)


@dataclass(frozen=True)
class _Previous:
    """The person's current check-in of the day that a new one supersedes."""

    pk: Any
    version: int
    card: str
    where: str
    unit_id: int


def _store_many(
    actor: Any, ready: list[_Ready], now: datetime, device: Device | None, outcomes: dict[int, Outcome]
) -> list[Submission]:
    """Insert the new check-ins and amendments among `ready`; returns the submissions left for the
    one-by-one path (people another writer holds, replays of stored ids, amendments that move a
    person to another unit)."""
    locked = _lock_people(sorted({r.sub.person.pk for r in ready}))
    # A person another writer holds (a concurrent batch or check-in) is left to the one-by-one
    # path, which waits for them after this transaction: the batch does not wait for a whole other
    # batch's transaction for one person the two share.
    left = [r.sub for r in ready if r.sub.person.pk not in locked]
    ready = [r for r in ready if r.sub.person.pk in locked]
    if not ready:
        return left
    taken_ids = _stored_ids([r.sub.data.id for r in ready])
    previous = _current(sorted({(r.sub.person.pk, r.day) for r in ready}))
    fresh: list[tuple[_Ready, _Previous | None]] = []
    for r in ready:
        prev = previous.get((r.sub.person.pk, r.day))
        if r.sub.data.id in taken_ids or (prev is not None and prev.unit_id != r.unit.pk):
            left.append(r.sub)
        else:
            fresh.append((r, prev))
    if not fresh:
        return left
    rows, counts = _rows(actor, fresh, now, device)
    superseded = [prev.pk for _, prev in fresh if prev is not None]
    if superseded:
        _supersede(superseded)
    insert_objects(rows)
    _uncount_exempt(fresh, counts, now)
    record_many(actor, _audit_rows(fresh, rows))
    ledger_hooks.checkins_stored(actor, rows)
    for (r, _prev), ci in zip(fresh, rows, strict=True):
        outcomes[r.sub.index] = Outcome(201, ci)
    # The unit-day counters are rows that every concurrent writer in the unit updates: taken as late
    # as the order of locks allows (audit chain, counters, then the report day rows the signal's
    # receiver takes, as a single check-in takes them), so they are held for the shortest time.
    count_many(counts)
    signals.checkins_stored.send(sender=CheckIn, actor=actor, checkins=rows)
    return left


# The batch's statements are hand-written (org.rawsql) with one array parameter for their thousand
# values on PostgreSQL (rawsql.any_of): built by the ORM they cost more than PostgreSQL's work.


def _for_update() -> str:
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def _lock_people(pks: list[int]) -> set[int]:
    """Lock the people that no other writer holds (in id order); returns their ids. Where the
    database cannot skip locked rows (SQLite: one writer at a time anyway) that is all of them."""
    test, params = any_of(pks)
    lock = statements.person_lock()
    if lock and connection.features.has_select_for_update_skip_locked:
        lock += " SKIP LOCKED"
    sql = f"SELECT id FROM {table(Person)} WHERE id {test} ORDER BY id{lock}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _uuids(ids: list[Any]) -> list[Any]:
    pk = CheckIn._meta.pk
    return [pk.get_db_prep_value(i, connection) for i in ids]


def _stored_ids(ids: list[Any]) -> set[Any]:
    """The ids among `ids` stored already (replays, or ids used for another check-in)."""
    test, params = any_of(_uuids(ids))
    sql = f"SELECT id FROM {table(CheckIn)} WHERE id {test}"  # noqa: S608
    return {row[0] for row in select(sql, params, CheckIn, ["id"])}


def _current(pairs: list[tuple[int, date]]) -> dict[tuple[int, date], _Previous]:
    """The current check-ins of these (person, day) pairs, read after the people's lock (a read in
    the locking statement would see the snapshot taken before the lock was granted).

    A batch of one day tests the people and the day. A batch of several (a group whose enterprises
    are in time zones on either side of midnight) joins the pairs on PostgreSQL, each pair one probe
    of the (person, day) index of current check-ins: a test of the people and of the days apart was
    planned, in the prepared statement's generic plan, as a scan of each person's check-ins of every
    stored day, 13-42 ms a batch of 1 000 against 6 ms (docs/performance.md, session 21)."""
    names = ["id", "person_id", "day", "version", "card", "where", "unit_id"]
    columns = ", ".join(f"c.{column(CheckIn, n)}" for n in names)
    days = sorted({d for _, d in pairs})
    if on_postgresql() and len(days) > 1:
        sql = (
            f"SELECT {columns} FROM {table(CheckIn)} c "  # noqa: S608
            "JOIN unnest(%s::bigint[], %s::date[]) AS k(person_id, day) "
            f"ON c.person_id = k.person_id AND c.day = k.day WHERE c.{qn('current')}"
        )
        params = [array_text(p for p, _ in pairs), array_text(d for _, d in pairs)]
    else:
        person_test, person_params = any_of(sorted({p for p, _ in pairs}))
        day_test, day_params = any_of([day_param(d) for d in days])
        sql = (
            f"SELECT {columns} FROM {table(CheckIn)} c "  # noqa: S608
            f"WHERE c.person_id {person_test} AND c.day {day_test} AND c.{qn('current')}"
        )
        params = [*person_params, *day_params]
    return {
        (person_id, day): _Previous(pk, version, card, where, unit_id)
        for pk, person_id, day, version, card, where, unit_id in select(sql, params, CheckIn, names)
    }


def _supersede(pks: list[Any]) -> None:
    test, params = any_of(_uuids(pks))
    sql = f"UPDATE {table(CheckIn)} SET {qn('current')} = %s WHERE id {test}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [False, *params])


def _rows(
    actor: Any, fresh: list[tuple[_Ready, _Previous | None]], now: datetime, device: Device | None
) -> tuple[list[CheckIn], dict[tuple[int, date], list[int]]]:
    """The check-in rows to insert and the counter changes per unit-day (checked in, red, yellow,
    exempt, on site)."""
    rules = card_rules.current_rules()
    rows: list[CheckIn] = []
    counts: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for r, prev in fresh:
        data = r.sub.data
        checkin = actions.checkin_row(
            rules,
            data,
            r.sub.person,
            r.unit,
            r.day,
            version=prev.version + 1 if prev else 1,
            captured=r.captured,
            now=now,
            source=r.sub.source,
            actor=actor,
            device=device,
            digest=r.digest,
        )
        card = checkin.card
        rows.append(checkin)
        c = counts[(r.unit.pk, r.day)]
        c[0] += prev is None
        c[1] += (card == "red") - (prev is not None and prev.card == "red")
        c[2] += (card == "yellow") - (prev is not None and prev.card == "yellow")
        c[4] += (data.where == Where.ON_SITE) - (prev is not None and prev.where == Where.ON_SITE)
    return rows, counts


def _uncount_exempt(fresh: list[tuple[_Ready, _Previous | None]], counts: dict, now: datetime) -> None:
    """A first check-in of a person counted as exempt that day takes one off the unit-day's exempt
    count: the person now counts as reported (PRODUCT.md's daily person state). One read finds them."""
    first = {
        (r.sub.person.pk, r.day): r.unit.pk
        for r, prev in fresh
        if prev is None and actions.may_be_exempt(r.sub.person, r.day, read=False)
    }
    if not first:
        return
    days = {d for _, d in first}
    test, params = any_of(sorted({p for p, _ in first}))
    start_col, end_col = column(Exemption, "start"), column(Exemption, "end")
    sql = (
        f"SELECT person_id, {start_col}, {end_col} FROM {table(Exemption)} WHERE person_id {test} "  # noqa: S608
        f"AND cancelled_at IS NULL AND {start_col} <= %s AND {end_col} >= %s"
    )
    spans = select(
        sql, [*params, day_param(max(days)), day_param(min(days))], Exemption, ["person_id", "start", "end"]
    )
    covered = {(p, d) for p, start, end in spans for d in days if (p, d) in first and start <= d <= end}
    for key in covered:
        counts[(first[key], key[1])][3] -= 1


def _audit_rows(fresh: list[tuple[_Ready, _Previous | None]], rows: list[CheckIn]) -> list[Row]:
    """Amendments, proxy and import check-ins are audited (self and device check-ins are their own
    record: the row names the person and the device)."""
    return [
        Row(
            "checkin.amend" if prev else f"checkin.{ci.source}",
            "checkin",
            ci.id,
            unit_code=r.sub.person.enterprise.code,
            detail={"person": r.sub.person.employee_no, "day": ci.day.isoformat(), "version": ci.version},
        )
        for (r, prev), ci in zip(fresh, rows, strict=True)
        if prev is not None or ci.source in (Source.PROXY, Source.IMPORT)
    ]


def count_many(counts: dict[tuple[int, date], list[int]]) -> None:
    """Add (checked_in, red, yellow, exempt, on_site) to many unit-days with one locking read and one
    update.

    A unit-day opened here is counted from the rows already written (open_unit_day recounts who is
    exempt), so its exempt change is not applied a second time.
    """
    if not counts:
        return
    keys = sorted(counts)
    unit_test, unit_params = any_of(sorted({u for u, _ in keys}))
    day_test, day_params = any_of(sorted({day_param(d) for _, d in keys}))
    sql = (
        f"SELECT unit_id, day FROM {table(UnitDay)} WHERE unit_id {unit_test} AND day {day_test} "  # noqa: S608
        f"ORDER BY unit_id, day{_for_update()}"
    )
    read = select(sql, [*unit_params, *day_params], UnitDay, ["unit_id", "day"])
    have = {(unit_id, day) for unit_id, day in read}
    for unit_id, day in keys:
        if (unit_id, day) not in have:  # the first write of a unit-day counts who is expected
            actions.open_unit_day(unit_id, day)
    changes = []
    for key in keys:
        n, r, y, e, s = counts[key]
        changes.append((*key, n, r, y, e if key in have else 0, s))
    rollup.update_unit_days(
        ("n", "r", "y", "e", "s"),
        changes,
        "checked_in = u.checked_in + v.n, red = u.red + v.r, yellow = u.yellow + v.y, "
        "exempt = u.exempt + v.e, on_site = u.on_site + v.s",
    )
