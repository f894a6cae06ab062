"""The statements of a check-in, hand-written (org.rawsql): the morning peak's hot path.

A check-in needs the person with unit, enterprise, open placement, exemption hint and consent
standing (one read), the person locked with its current check-in of the day (a lock and a read),
the check-in row (one insert) and its unit-day's counters (one update). Built through the ORM these
cost ~10 ms of CPU per check-in, mostly compiling SQL; written here they are compiled once per
process, and PostgreSQL plans each once per connection (server-side binding, settings.py) as long
as the generic plan does not look dearer than a planned call (see `_current_sql`, `any_of`):
tests/checkins/test_statements.py checks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone

from fangkong.audit import actions as audit
from fangkong.consent.models import Acceptance
from fangkong.org import rawsql
from fangkong.org.models import Membership, Person, Unit
from fangkong.org.rawsql import (
    Columns,
    Pending,
    Pipeline,
    any_of,
    column,
    converter,
    day_param,
    insert_select,
    insert_statement,
    pipeline,
    table,
)

from .models import CheckIn, Exemption, UnitDay

# How far back the `may_be_exempt` hint looks: a check-in is at most a day old.
EXEMPT_HINT_DAYS = timedelta(days=2)

# The encrypted identifiers stay deferred: a check-in never reads them.
_PERSON = Columns(Person, "p", exclude=("id_number", "mobile"))
_UNIT = Columns(Unit, "u")
_ENTERPRISE = Columns(Unit, "e")
_CHECKIN = Columns(CheckIn, "c")


@cache
def _people_sql(key: str, test: str) -> str:
    m, x, a = table(Membership), table(Exemption), table(Acceptance)
    end, xend = column(Membership, "end"), column(Exemption, "end")
    # The open placement is unique per person (membership_one_open_per_person); the consent probe
    # is answered by the partial unique index of standing acceptances.
    return (
        f"SELECT {_PERSON.sql}, {_UNIT.sql}, {_ENTERPRISE.sql}, pm.unit_id, pm.start, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {x} xx WHERE xx.person_id = p.id AND xx.cancelled_at IS NULL "
        f"AND xx.{xend} >= %s), "
        f"EXISTS (SELECT 1 FROM {a} aa WHERE aa.person_id = p.id AND aa.withdrawn_at IS NULL "
        f"AND aa.consented) "
        f"FROM {table(Person)} p JOIN {table(Unit)} u ON u.id = p.unit_id "
        f"JOIN {table(Unit)} e ON e.id = p.enterprise_id "
        f"LEFT JOIN {m} pm ON pm.person_id = p.id AND pm.{end} IS NULL "
        f"WHERE {key} {test}"
    )


def people(*, employee_nos: Iterable[str] = (), pks: Iterable[int] = ()) -> list[Person]:
    """People with what a check-in needs, in one read: `unit` and `enterprise` loaded, and
    `placed_unit_id`, `placed_since` (the open placement), `may_be_exempt` (False: no exemption can
    cover a day from `exempt_hint_from` on, so a first check-in of such a day leaves UnitDay.exempt
    alone) and `consent_standing` (may the person's check-ins be processed under the consent basis)."""
    read = PeopleRead(employee_nos=employee_nos, pks=pks)
    if read.statement is None:
        return []
    with rawsql.cursor() as cursor:
        cursor.execute(*read.statement)
        rows = cursor.fetchall()
    return read.build(rows)


class PeopleRead:
    """The read of `people` as a statement, to run alone or joined to another (the caller's token:
    `api.auth.BearerAuth(prefetch=…)`), and the people built from its rows."""

    def __init__(self, *, employee_nos: Iterable[str] = (), pks: Iterable[int] = ()):
        nos, ids = list(dict.fromkeys(employee_nos)), list(dict.fromkeys(pks))
        self.recent = timezone.now().date() - EXEMPT_HINT_DAYS
        self.statement: tuple[str, list[Any]] | None = None
        if nos or ids:
            key, values = ("p.employee_no", nos) if nos else ("p.id", ids)
            test, params = any_of(values)
            self.statement = _people_sql(key, test), [day_param(self.recent), *params]

    def build(self, rows: Iterable[tuple[Any, ...]]) -> list[Person]:
        since = _since()
        n_person, n_unit = len(_PERSON), len(_UNIT)
        units: dict[int, Unit] = {}  # one instance per unit: a batch's people share few units
        found = []
        for row in rows:
            person = _PERSON.build(row[:n_person])
            unit_at, enterprise_at = n_person, n_person + n_unit
            if (unit := units.get(row[unit_at])) is None:
                unit = units[row[unit_at]] = _UNIT.build(row[unit_at:enterprise_at])
            if (enterprise := units.get(row[enterprise_at])) is None:
                enterprise = units[row[enterprise_at]] = _ENTERPRISE.build(
                    row[enterprise_at : enterprise_at + n_unit]
                )
            # The read joined them by these keys: only the caches are set (the descriptors' checks
            # cost more than the rest of this loop).
            if unit.enterprise_id == enterprise.pk:
                _UNIT_ENTERPRISE.set_cached_value(unit, enterprise)  # (a red card's ledger item reads it)
            _PERSON_UNIT.set_cached_value(person, unit)
            _PERSON_ENTERPRISE.set_cached_value(person, enterprise)
            rest = row[enterprise_at + n_unit :]
            person.placed_unit_id = rest[0]
            person.placed_since = since(rest[1])
            person.may_be_exempt, person.consent_standing = bool(rest[2]), bool(rest[3])
            person.exempt_hint_from = self.recent
            found.append(person)
        return found


_PERSON_UNIT, _PERSON_ENTERPRISE = Person._meta.get_field("unit"), Person._meta.get_field("enterprise")
_UNIT_ENTERPRISE = Unit._meta.get_field("enterprise")


@cache
def _since() -> Any:
    return converter(Membership._meta.get_field("start"))


@cache
def person_lock() -> str:
    """The locking clause with which check-ins (one or a batch's) lock their people. NO KEY UPDATE:
    still one check-in (or card override, consent change) of a person at a time, but rows that only
    reference the person (the check-in's own foreign key check) need not wait for it."""
    features = connection.features
    if features.has_select_for_no_key_update:
        return " FOR NO KEY UPDATE"
    return " FOR UPDATE" if features.has_select_for_update else ""


@cache
def _lock_sql() -> str:
    return f"SELECT id FROM {table(Person)} WHERE id = %s{person_lock()}"  # noqa: S608


@cache
def _current_sql() -> str:
    # At most one row (checkin_one_current_per_person_day); LIMIT 1 says so to the planner. Without
    # it the generic plan of the prepared statement is estimated at 4 rows against 1 for a planned
    # call, so PostgreSQL planned the read anew on every check-in (~80 µs, more than it runs).
    return (
        f"SELECT {_CHECKIN.sql} FROM {table(CheckIn)} c "  # noqa: S608
        "WHERE c.person_id = %s AND c.day = %s AND c.current LIMIT 1"
    )


def lock_with_current(person_pk: int, day: date, *, audit_key: str | None = None) -> CheckIn | None:
    """Lock the person (its submissions queue behind each other; different people never wait), then
    read its current check-in of `day`; with `audit_key`, also take the audit chain the check-in's
    audit row will go to (audit.take_statement). One round trip on PostgreSQL (rawsql.pipeline),
    still two statements: a row joined to a locking read comes from the snapshot taken before the
    lock was granted, so it could be a version already superseded."""
    take = audit.take_statement(audit_key) if audit_key is not None else None
    with pipeline() as pipe:
        pipe.execute(_lock_sql(), [person_pk])
        current = pipe.execute(_current_sql(), [person_pk, day_param(day)])
        taken = pipe.execute(*take) if take is not None else None
    if taken is not None:
        audit.took(taken.rows)
    return _CHECKIN.build(current.rows[0]) if current.rows else None


def supersede(pipe: Pipeline, checkin_pk: Any) -> None:
    """The person's earlier check-in of the day stops being current."""
    pk = CheckIn._meta.pk.get_db_prep_value(checkin_pk, connection)
    pipe.execute(f"UPDATE {table(CheckIn)} SET current = %s WHERE id = %s", [False, pk])  # noqa: S608


def move_counters(unit_id: int, day: date, changes: dict[str, int]) -> bool:
    """Add `changes` (checked_in, red, yellow, on_site) to the unit-day's counters; False if the
    unit-day has no row yet."""
    with connection.cursor() as cursor:
        cursor.execute(*_counters(unit_id, day, changes))
        return cursor.rowcount > 0


def insert_and_count(pipe: Pipeline, checkin: CheckIn, changes: dict[str, int]) -> Pending:
    """Insert the check-in and add `changes` to its unit-day's counters (one statement on
    PostgreSQL); a row count of 0 once the pipeline has ended: the unit-day has no row yet (the
    check-in is inserted all the same)."""
    return pipe.execute_after(insert_statement(checkin), _counters(checkin.unit_id, checkin.day, changes))


def _counters(unit_id: int, day: date, changes: dict[str, int]) -> tuple[str, list[Any]]:
    names = tuple(sorted(changes))
    return _counters_sql(names), [*(changes[n] for n in names), unit_id, day_param(day)]


@cache
def _counters_sql(names: tuple[str, ...]) -> str:
    assign = ", ".join(f"{column(UnitDay, n)} = {column(UnitDay, n)} + %s" for n in names)
    return f"UPDATE {table(UnitDay)} SET {assign} WHERE unit_id = %s AND day = %s"  # noqa: S608


def stores_first_at_once() -> bool:
    """Whether a first check-in of the day can be stored by one statement (`store_first`)."""
    return rawsql.on_postgresql()


def store_first(
    checkin: CheckIn, changes: dict[str, int], audit_row: audit.Append | None, *, may_be_exempt: bool = False
) -> bool:
    """Store a person's first check-in of the day with its unit-day's counters (and its audit row)
    in one statement, without a transaction of its own (PostgreSQL): the morning peak's common case.

    The person is locked as `lock_with_current` locks it, so the statement queues behind the
    person's other writers (and they behind it) rather than deadlocking with them. The check-in goes
    in only if its unit-day has a counter row. That row is not locked for the test: a lock would be
    one more write (a WAL record, and a multixact where check-ins of a unit overlap) on every
    check-in, to guard against a removal that the app never makes while the day is counted, and
    that the statement catches anyway (below). No current check-in is read: the unique index of
    current check-ins leaves the row out if the person has one for the day (ON CONFLICT on that
    index alone: no error, and nothing else is written then). Only that index is probed before the
    insert: with no conflict target PostgreSQL probed the primary key and the version index too,
    ~4 % of its CPU for a check-in (docs/performance-history.md, session 16). A first check-in meets
    those two only with an id stored before, which now fails the statement on the primary key.
    False (nothing written) if the person has a current check-in or the unit-day has no counter row;
    IntegrityError with nothing written if the id was stored before; DataError with nothing written
    if no audit chain was free (`audit.append_ctes`), or if the counters did not move with the row.
    The caller takes the transaction path then, which answers every other case.

    With `may_be_exempt` (the person has an exemption that may cover the day) the unit-day's exempt
    count also loses the person if an exemption covers the check-in's day: counted as exempt until
    now (placed in the unit, no check-in that day), the person counts as reported from now on. The
    batch does the same (`batch._uncount_exempt`)."""
    names = tuple(sorted(changes))
    where_params = [checkin.person_id, checkin.unit_id, day_param(checkin.day)]
    insert_sql, insert_params = insert_select(
        checkin, _first_where(), where_params, "unit_id, day, person_id", skip_conflicts=_CURRENT_CONFLICT
    )
    ctes, columns = (audit_row.sql, audit_row.columns) if audit_row else ("", "")
    sql = _store_first_sql(insert_sql, names, ctes, columns, may_be_exempt)
    params = [*insert_params, *(changes[n] for n in names), *(audit_row.params if audit_row else ())]
    with rawsql.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if audit_row is not None:
        audit.appended(row[2:])
    return row[0] == 1


# The conflict target of checkin_one_current_per_person_day (models.CheckIn.Meta).
_CURRENT_CONFLICT = "(person_id, day) WHERE current"


@cache
def _first_where() -> str:
    return (
        f"EXISTS (SELECT 1 FROM {table(Person)} WHERE id = %s{person_lock()}) "  # noqa: S608
        f"AND EXISTS (SELECT 1 FROM {table(UnitDay)} WHERE unit_id = %s AND day = %s)"
    )


@cache
def _store_first_sql(
    insert_sql: str, names: tuple[str, ...], audit_ctes: str, audit_columns: str, may_be_exempt: bool
) -> str:
    assign = ", ".join(f"{column(UnitDay, n)} = d.{column(UnitDay, n)} + %s" for n in names)
    if may_be_exempt:
        exempt, start, end = column(UnitDay, "exempt"), column(Exemption, "start"), column(Exemption, "end")
        assign += (
            f", {exempt} = d.{exempt} - (EXISTS (SELECT 1 FROM {table(Exemption)} x "  # noqa: S608
            f"WHERE x.person_id = stored.person_id AND x.cancelled_at IS NULL "
            f"AND x.{start} <= stored.day AND x.{end} >= stored.day))::int"
        )
    ctes = [
        f"stored AS ({insert_sql})",
        f"counted AS (UPDATE {table(UnitDay)} d SET {assign} FROM stored "  # noqa: S608
        "WHERE d.unit_id = stored.unit_id AND d.day = stored.day RETURNING 1)",
    ]
    if audit_ctes:
        ctes.append(audit_ctes)
    # The counters move with the row or the statement fails (a division by zero), writing nothing:
    # a unit-day row removed between the test and the update (which the app never does while the
    # day is counted) sends the check-in down the transaction path.
    columns = [
        "(SELECT count(*) FROM stored)",
        "1 / (CASE WHEN (SELECT count(*) FROM stored) = (SELECT count(*) FROM counted) THEN 1 ELSE 0 END)",
    ]
    if audit_columns:
        columns.append(audit_columns)
    return f"WITH {', '.join(ctes)} SELECT {', '.join(columns)}"
