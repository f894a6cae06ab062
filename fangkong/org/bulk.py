"""Writing many rows fast (the generator, module histories): COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.db.models.fields import AutoFieldMixin

CHUNK = 50_000


def batched_rows(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite. Returns the row count.

    Values must already be database values: ints, str, None, ISO date strings, and datetimes adapted
    with `connection.ops.adapt_datetimefield_value`. Call inside a transaction.
    """
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    n = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        else:
            # Table and column names come from code (model metadata), never from input.
            sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
            for batch in batched_rows(rows, CHUNK):
                cursor.executemany(sql, batch)
                n += len(batch)
    return n


@contextmanager
def bulk_load(*tables: str) -> Iterator[None]:
    """Load into empty tables without per-row index and foreign-key upkeep (call inside a transaction).

    On PostgreSQL the tables' secondary indexes, unique and foreign-key constraints are dropped for the
    duration and re-created after with their exact names and definitions: one sort per index and one
    join per key, instead of index maintenance per row and an RI check per row and key at commit.
    A failure rolls the DDL back with the rest. On SQLite, secondary indexes are re-created the same way.
    """
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses tables with pending deferred FK checks: run the pending ones now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f') "
                "ORDER BY contype DESC, conname",
                [list(tables)],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [list(tables)],
            )
            indexes = cursor.fetchall()
            for table, name, _ in reversed(constraints):
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        else:
            constraints, indexes = [], []
            for table in tables:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    "AND tbl_name = %s ORDER BY name",
                    [table],
                )
                indexes += [(qn(name), sql) for name, sql in cursor.fetchall()]
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _, sql in indexes:
            cursor.execute(sql)
        for table, name, definition in constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")


def reset_sequences(*models: Any) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def next_id(model: Any) -> int:
    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def reserve_ids(model: Any, n: int) -> list[int]:
    """`n` new ids from the table's own sequence (PostgreSQL), in one statement: instances given them
    can be written by `insert_objects`, and so can rows that refer to them."""
    sql = "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [model._meta.db_table, model._meta.pk.column, n])
        return [row[0] for row in cursor.fetchall()]


def insert_objects(objs: Sequence[Any]) -> None:
    """Insert model instances built in Python (primary keys set, or left to the database's default):
    COPY on PostgreSQL — a tenth of bulk_create's per-field preparation on the morning peak's batch
    path — and bulk_create elsewhere. Call inside a transaction; instances are not refreshed."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=1000)
        return
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if not (f.primary_key and getattr(objs[0], f.attname) is None)
    ]
    insert_values(model, names, ([getattr(obj, n) for n in names] for obj in objs))


# One encoder for every value: json.dumps(value, default=str) builds one per call.
_json = json.JSONEncoder(default=str).encode


def insert_values(model: Any, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows given as the values of the fields `names` (attribute names: `person_id`), as
    `insert_objects` inserts instances holding them, without building the instances on PostgreSQL.
    Every concrete field is named but an automatic primary key (the database's default then)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    missing = [n for n, f in fields.items() if n not in names and not isinstance(f, AutoFieldMixin)]
    if missing:  # COPY would leave them to the column default (NULL), not to the field's default
        raise TypeError(f"insert_values needs {model.__name__}.{missing[0]}")
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=1000
        )
        return
    # Values go in as Python holds them: only Django's own field types, whose COPY text form is
    # the value's (an encrypted or otherwise custom field would skip its preparation).
    custom = [n for n in names if not type(fields[n]).__module__.startswith("django.")]
    if custom:
        raise TypeError(f"insert_values cannot write {model.__name__}.{custom[0]}: use bulk_create")
    json_at = [i for i, n in enumerate(names) if fields[n].get_internal_type() == "JSONField"]
    columns = [fields[n].column for n in names]

    def prepared() -> Iterator[Sequence[Any]]:
        for row in rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    value = row[i]
                    # Most are empty lists (a check-in's symptoms, places, card reasons).
                    row[i] = "[]" if value == [] else _json(value)
            yield row

    insert_rows(model._meta.db_table, columns, prepared())
