"""Hand-written statements for the hot paths (a check-in, a token, an audit row).

The ORM spends one to three milliseconds of CPU compiling each query — more than PostgreSQL spends
running it, and most of a check-in's cost at the morning peak. These helpers give a hand-written
statement what it needs from the models (column lists, values converted both ways exactly as the
ORM converts them), so the SQL is built once per process and each request only binds parameters.
Use them where a profile shows the compiler; everywhere else the ORM is clearer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache, cached_property
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Field, Model, signals
from django.db.models.base import ModelState
from psycopg.pq import ExecStatus

M = TypeVar("M", bound=Model)


def default_connection() -> Any:
    """The default connection itself: `django.db.connection` is a proxy that looks it up on every
    attribute, which a hot path pays per field or statement (~16 000 instructions each: session 20).
    Each call still costs one look-up in asgiref's `Local`: take it once per function."""
    return connections[DEFAULT_DB_ALIAS]


@cache
def on_postgresql() -> bool:
    """Whether the database is PostgreSQL: `connection.vendor`, asked once (it cannot change while
    the process runs; `default_connection` says what each ask costs)."""
    return default_connection().vendor == "postgresql"


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return qn(model._meta.db_table)


def column(model: type[Model], attname: str) -> str:
    """The quoted column of a field, by its attribute name (`unit_id`, `where`)."""
    return qn(next(f.column for f in model._meta.concrete_fields if f.attname == attname))


class Columns:
    """The columns of `model` under the table alias `alias` in a hand-written SELECT, and the model
    instances built from them. Fields in `exclude` are left deferred (read on first access)."""

    def __init__(self, model: type[Model], alias: str, exclude: Iterable[str] = ()):
        skip = set(exclude)
        self.model = model
        self.alias = alias
        self.fields: list[Field] = [f for f in model._meta.concrete_fields if f.attname not in skip]
        self.names = [f.attname for f in self.fields]

    def __len__(self) -> int:
        return len(self.fields)

    @cached_property
    def sql(self) -> str:
        return ", ".join(f"{self.alias}.{qn(f.column)}" for f in self.fields)

    @cached_property
    def _converters(self) -> list[tuple[int, Callable[[Any], Any]]]:
        return _converters(self.fields)

    def build(self, values: Sequence[Any]) -> Any:
        """An instance from this slice of a row, as if the ORM had read it."""
        row = list(values)
        for i, convert_one in self._converters:
            row[i] = convert_one(row[i])
        if not _plain_init(self.model):
            return self.model.from_db(DEFAULT_DB_ALIAS, self.names, row)
        return _instance(self.model, self.names, row, stored=True)


def day_param(value: dt.date) -> Any:
    """A date as a hand-written statement's parameter (a date on PostgreSQL, its text on SQLite), as
    the ORM passes a DateField's value."""
    return value if _dates_pass() else connection.ops.adapt_datefield_value(value)


@cache
def _dates_pass() -> bool:
    """Whether the backend passes a date to the driver unchanged (PostgreSQL's does)."""
    day = dt.date(2000, 1, 1)
    return default_connection().ops.adapt_datefield_value(day) is day


def any_of(values: Sequence[Any]) -> tuple[str, list[Any]]:
    """The test of a column against many values (`f"WHERE id {test}"`) and its parameters. On
    PostgreSQL one array parameter, `= ANY(%s)`: the statement is the same whatever the number of
    values, so it is prepared once, and psycopg does not split a query of a thousand placeholders
    (~5 µs of Python each). Elsewhere `IN (%s, …)`. Values must be database values (`_day`, a UUID
    field's `get_db_prep_value`).

    One value is tested with `= %s`: PostgreSQL estimates an array parameter at ten values, so a
    prepared `= ANY(%s)` of one person looks cheaper planned per call than by its generic plan and is
    planned on every execution (~0.5 ms for the check-in's person read, more than it runs)."""
    if on_postgresql():
        if len(values) == 1:
            return "= %s", [values[0]]
        kind = _ARRAY_TYPES.get(type(values[0])) if values else None
        if kind is not None and all(type(v) is type(values[0]) for v in values):
            return f"= ANY(%s::{kind}[])", [array_text(values)]
        return "= ANY(%s)", [list(values)]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)


# Whole numbers, UUIDs and dates: types whose text form needs no quoting in an array literal.
_ARRAY_TYPES: dict[type, str] = {int: "bigint", uuid.UUID: "uuid", dt.date: "date"}


def array_text(values: Iterable[int | uuid.UUID | dt.date]) -> str:
    """An array parameter of whole numbers, UUIDs or dates as PostgreSQL's array literal
    (`{1,2,3}`), for a statement that casts it (`%s::bigint[]`). psycopg's list adapter dumps each
    element through Python, ~1 ms of CPU for a thousand numbers and ~1.4 ms for a thousand UUIDs; the
    literal is one join (docs/performance-history.md, session 13)."""
    return "{" + ",".join(map(str, values)) + "}"


def select(sql: str, params: Sequence[Any], model: type[Model], names: Sequence[str]) -> list[list[Any]]:
    """The rows of a hand-written SELECT of `model`'s fields `names` (attribute names: `unit_id`), in
    that order, each value converted as the ORM converts it."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    converters = _converters([by_name[n] for n in names])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [list(row) for row in cursor.fetchall()]
    for row in rows:
        for i, convert_one in converters:
            row[i] = convert_one(row[i])
    return rows


def build(model: type[M], values: dict[str, Any]) -> M:
    """`model(**values)` for attribute values (`person_id`, not `person`; a field left out takes its
    default), at a fifth of the keyword constructor's cost, which a batch of a thousand new rows
    feels (`_instance`)."""
    fields = model._meta.concrete_fields
    row = [values[f.attname] if f.attname in values else f.get_default() for f in fields]
    if not _plain_init(model):
        return model(*row)
    return _instance(model, [f.attname for f in fields], row, stored=False)


def _plain_init(model: type[Model]) -> bool:
    """Whether the model's constructor does no more than set the field attributes: neither it nor
    `from_db` is overridden, and no pre_init or post_init receiver is connected (to any model)."""
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__  # type: ignore[attr-defined]
        and not signals.pre_init.receivers
        and not signals.post_init.receivers
    )


def _instance(model: type[M], names: Sequence[str], values: Sequence[Any], *, stored: bool) -> M:
    """What `model(*values)` makes (then `from_db` if `stored`) when `_plain_init(model)`, without
    Model.__init__'s per-field descriptor calls: the instance holds the same attributes, and fields
    not in `names` are deferred (read on first access) as `from_db` leaves them."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(names, values, strict=True))
    obj._state = ModelState()
    if stored:
        obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS
    return obj


def convert(field: Field, value: Any) -> Any:
    """A value of `field`'s type read by a hand-written statement (an annotation), as the ORM reads it."""
    return converter(field)(value)


def converter(field: Field) -> Callable[[Any], Any]:
    """`convert` for many values of one field: the converters are looked up once."""
    col = field.get_col("x")
    convs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)  # type: ignore[attr-defined]

    def convert_one(value: Any) -> Any:
        for conv in convs:
            value = conv(value, col, connection)
        return value

    return convert_one


def _converters(fields: Sequence[Field]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, converter) of the fields that have database converters, in `fields`' order."""
    found = []
    for i, f in enumerate(fields):
        col = f.get_col("x")
        if connection.ops.get_db_converters(col) + f.get_db_converters(connection):  # type: ignore[attr-defined]
            found.append((i, converter(f)))
    return found


_insert_sql: dict[tuple[type[Model], bool], tuple[str, list[Field]]] = {}


def insert_statement(obj: Model) -> tuple[str, list[Any]]:
    """The INSERT of one instance built in Python, values prepared as `save()` prepares them
    (defaults and auto_now included). A primary key left None is the database's."""
    model = type(obj)
    meta = model._meta
    with_pk = getattr(obj, meta.pk.attname) is not None
    key = (model, with_pk)
    if key not in _insert_sql:
        fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
        names = ", ".join(qn(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        # Table and column names come from the model, never from input.
        _insert_sql[key] = (f"INSERT INTO {table(model)} ({names}) VALUES ({marks})", fields)  # noqa: S608
    sql, fields = _insert_sql[key]
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    db = default_connection()
    stored = obj.__dict__
    values = []
    for f, (plain, wrap) in zip(fields, _pass_through(key), strict=True):
        value = stored.get(f.attname, _UNSET) if plain else _UNSET
        if type(value) not in plain:
            value = _UNSET
        elif wrap is not None and value is not None:
            value = wrap(value)  # (or _UNSET: this value needs Django after all)
        if value is _UNSET:
            value = f.get_db_prep_save(f.pre_save(obj, True), db)
        values.append(value)
    return sql, values


_UNSET = object()
_Plain = tuple[frozenset[type], Callable[[Any], Any] | None]


@cache
def _pass_through(key: tuple[type[Model], bool]) -> list[_Plain]:
    """Per field of the insert `key`: the exact types of a value that Django's `pre_save` and
    `get_db_prep_save` hand to the driver unchanged, or only wrapped (an integer on PostgreSQL, in
    the type of its column: psycopg then binds it so, and the prepared statement stays one); empty
    types: ask Django. A check-in has 25 fields, and asking Django for each cost ~5 % of a check-in's
    Python (docs/performance-history.md)."""
    return [_plain(f) for f in _insert_sql[key][1]]


def _plain(field: Field) -> _Plain:
    """What `_pass_through` knows of one field. Only Django's own field classes (not subclasses,
    which may convert), for types whose conversion is the identity: text, booleans, whole numbers
    (wrapped as Django wraps them, which a sample value shows), a UUID where the column is native,
    a date or an aware datetime where the backend adapts it unchanged (PostgreSQL; SQLite makes them
    text); or for which it is one step of the backend's, taken here as Django takes it: a finite
    Decimal, a list or dict for a JSON column. None only where the column takes NULL. Anything else
    goes through Django."""
    db = default_connection()
    cls, none = type(field), ((type(None),) if field.null else ())
    if cls is models.ForeignKey:
        types, wrap = _plain(field.target_field)  # type: ignore[attr-defined]
        if not types or (str in types and db.features.interprets_empty_strings_as_nulls):
            return frozenset(), None  # ("" is stored as NULL there)
        return types | frozenset(none), wrap
    if cls in (models.CharField, models.TextField):
        return frozenset((str, *none)), None
    if cls is models.BooleanField:
        return frozenset((bool, *none)), None
    if cls in _INTEGER_FIELDS:
        sample = field.get_db_prep_save(7, db)
        if type(sample) is int:
            return frozenset((int, *none)), None
        if type(sample)(7) == sample and int(sample) == 7:
            return frozenset((int, *none)), type(sample)
        return frozenset(), None
    if cls is models.UUIDField and db.features.has_native_uuid_field:
        return frozenset((uuid.UUID, *none)), None
    if cls is models.DateTimeField and not (field.auto_now or field.auto_now_add):  # type: ignore[attr-defined]
        moment = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        if settings.USE_TZ and db.ops.adapt_datetimefield_value(moment) is moment:
            # Django makes a naive value aware (with a warning): that one goes through Django.
            return frozenset((dt.datetime, *none)), _aware
    if cls is models.DecimalField:
        digits, places = field.max_digits, field.decimal_places  # type: ignore[attr-defined]

        def decimal(value: Decimal) -> Any:
            # Django's own steps; its to_python refuses NaN and infinities, so those go to Django.
            if not value.is_finite():
                return _UNSET
            return db.ops.adapt_decimalfield_value(Decimal(value), digits, places)

        return frozenset((Decimal, *none)), decimal
    if cls is models.JSONField:
        ops, encoder = db.ops, field.encoder  # type: ignore[attr-defined]
        return frozenset((list, dict)), lambda v: ops.adapt_json_value(v, encoder)
    day = dt.date(2000, 1, 1)
    if (
        cls is models.DateField
        and not (field.auto_now or field.auto_now_add)  # type: ignore[attr-defined]
        and db.ops.adapt_datefield_value(day) is day
    ):
        return frozenset((dt.date, *none)), None
    return frozenset(), None


def _aware(value: dt.datetime) -> Any:
    return value if value.utcoffset() is not None else _UNSET


_INTEGER_FIELDS = (
    models.IntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
)


def insert_select(
    obj: Model,
    where: str,
    where_params: Sequence[Any],
    returning: str,
    *,
    skip_conflicts: bool | str = False,
) -> tuple[str, list[Any]]:
    """`insert_statement` as `INSERT … SELECT … WHERE where RETURNING returning`: the row goes in
    only if `where` holds, tested in the same statement (PostgreSQL). Each value is cast to its
    column's type, which an INSERT … VALUES would infer. With `skip_conflicts=True`, a row that any
    unique index refuses is left out (ON CONFLICT DO NOTHING) instead of failing the statement; with
    a conflict target (`"(person_id, day) WHERE current"`), only a row that index refuses is left out:
    PostgreSQL then probes that index alone before the insert, not every unique index, and another
    unique index's refusal fails the statement."""
    sql, params = insert_statement(obj)
    return _insert_select_sql(sql, where, returning, skip_conflicts), [*params, *where_params]


@cache
def _insert_select_sql(insert_sql: str, where: str, returning: str, skip_conflicts: bool | str) -> str:
    head = insert_sql.partition(" VALUES ")[0]
    fields = next(fields for sql, fields in _insert_sql.values() if sql == insert_sql)
    typed = ", ".join(f"%s::{_cast_type(f)}" for f in fields)
    target = f" {skip_conflicts}" if isinstance(skip_conflicts, str) else ""
    conflicts = f" ON CONFLICT{target} DO NOTHING" if skip_conflicts else ""
    return f"{head} SELECT {typed} WHERE {where}{conflicts} RETURNING {returning}"


def _cast_type(field: Field) -> str:
    """The type a value of `field` is cast to in a hand-written statement (a foreign key: its
    target's), without modifiers: `varchar(8)` and `numeric(3, 1)` are applied by the column on
    assignment, which refuses a value too long where an explicit cast would cut it."""
    db_type = field.db_type(connection)
    if not db_type:
        raise ValueError(f"{field} has no database type to cast to")
    return db_type.partition("(")[0]


def insert(obj: Model) -> None:
    """INSERT one instance (`insert_statement`); a primary key left None is not read back."""
    with connection.cursor() as cursor:
        cursor.execute(*insert_statement(obj))


def execute_after(first: tuple[str, list[Any]], then: tuple[str, list[Any]]) -> int:
    """Run the INSERT or UPDATE `first`, then `then`; returns the rows `then` touched. On PostgreSQL
    one statement (`first` as a data-modifying WITH) and one round trip; elsewhere two. `then` must
    not read what `first` writes (a WITH's writes are not visible to its own statement)."""
    with connection.cursor() as cursor:
        for statement in _after(first, then):
            cursor.execute(*statement)
        return cursor.rowcount


def _after(first: tuple[str, list[Any]], then: tuple[str, list[Any]]) -> list[tuple[str, list[Any]]]:
    """The statements of `execute_after`: one data-modifying WITH on PostgreSQL, else both."""
    if on_postgresql():
        return [(f"WITH w AS ({first[0]}) {then[0]}", [*first[1], *then[1]])]
    return [first, then]


@contextmanager
def cursor() -> Iterator[Any]:
    """`connection.cursor()` for the statements every request of the morning peak runs (the token's
    read, a first check-in's statement): on PostgreSQL the connection's own psycopg cursor, kept
    for the next such statement, with Django's steps around it kept (the health check, a connection
    made if there is none, the broken-transaction check, errors raised as Django's). Django's cursor
    wrapper and a new psycopg cursor for each statement (whose adapters are looked up again) cost a
    check-in 154 000 instructions, 4.3 % of its own (docs/performance-history.md, session 20).
    Django's own cursor where something watches the statements (a query log, as
    `CaptureQueriesContext` and `DEBUG` keep; an `execute_wrapper`), off PostgreSQL, and when the
    kept cursor is in use (a nested block). Fetch the rows inside the block."""
    db = default_connection()
    kept = db.__dict__.get(_HOT)
    if not on_postgresql() or db.queries_logged or db.execute_wrappers or (kept and kept[1]):
        with db.cursor() as wrapped:
            yield wrapped
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        if kept is None or kept[0].connection is not db.connection or kept[0].closed:
            kept = [db.create_cursor(), False]
            db.__dict__[_HOT] = kept
        kept[1] = True
        try:
            yield kept[0]
        finally:
            kept[1] = False


_HOT = "fangkong_hot_cursor"  # [the kept psycopg cursor, in use] on Django's connection


class Pending:
    """A statement sent in a `pipeline`: its row count and rows, read once the block has ended."""

    def __init__(self, cursor: Any):
        self._cursor = cursor
        self.rowcount = -1
        self.rows: list[tuple[Any, ...]] = []

    def _read(self) -> None:
        self.rowcount = self._cursor.rowcount
        self.rows = self._cursor.fetchall() if _has_rows(self._cursor.cursor) else []
        self._cursor.close()


def _has_rows(cursor: Any) -> bool:
    """Whether the statement just run returned rows. psycopg's result status says so without
    building the columns' description (~25 objects for a check-in row), which `description` does."""
    result = getattr(cursor, "pgresult", None)
    if result is not None:
        return result.status == ExecStatus.TUPLES_OK
    return cursor.description is not None


class Pipeline:
    """The statements of one `pipeline` block."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self._pending: list[Pending] = []

    def execute(self, sql: str, params: Sequence[Any]) -> Pending:
        cursor = self._db.cursor()
        cursor.execute(sql, params)
        pending = Pending(cursor)
        self._pending.append(pending)
        return pending

    def execute_after(self, first: tuple[str, list[Any]], then: tuple[str, list[Any]]) -> Pending:
        """`execute_after` in the pipeline: the Pending of `then`."""
        return [self.execute(*statement) for statement in _after(first, then)][-1]

    def _read(self) -> None:
        for pending in self._pending:
            pending._read()


@cache
def _pipeline_supported() -> bool:
    """Whether psycopg's libpq has pipeline mode (14 or newer; the binary package brings its own)."""
    import psycopg

    return psycopg.Pipeline.is_supported()


@contextmanager
def pipeline() -> Iterator[Pipeline]:
    """Statements executed in the block travel to the database together and their results come
    back together when it ends: one round trip instead of one each (psycopg's pipeline mode on
    PostgreSQL with libpq 14 or newer; elsewhere each runs at once). Read a statement's `Pending`
    after the block. They still run one after another in order, each seeing what the ones before
    it did; a statement that fails raises when the block ends (as Django's error, e.g.
    IntegrityError), and the ones after it do not run. Other code may run statements in the block
    too: reading a result there waits for it (one round trip for all sent so far)."""
    db = default_connection()
    pipe = Pipeline(db)
    if db.vendor != "postgresql" or not _pipeline_supported():
        yield pipe
        pipe._read()
        return
    # As Django's cursor() does: a persistent connection broken since its last use is replaced
    # first (the health check's own statement would otherwise join the pipeline, unanswered).
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors, db.connection.pipeline():
        yield pipe
    pipe._read()
