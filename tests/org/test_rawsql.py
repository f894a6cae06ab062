"""rawsql makes the instances the model's constructor makes (the batch builds a thousand at once)."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models.signals import post_init

from fangkong.checkins.models import CheckIn
from fangkong.org.rawsql import build


def _values() -> dict:
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "person_id": 1,
        "unit_id": 2,
        "enterprise_id": 3,
        "day": now.date(),
        "version": 1,
        "temperature": Decimal("36.5"),
        "symptoms": [],
        "location": "",
        "visited": [],
        "note": "",
        "captured_at": now,
        "received_at": now,
        "source": "proxy",
        "submitted_by_id": None,
        "device_id": None,
        "card": "green",
        "card_reasons": [],
        "rule_version": 1,
        "digest": "0" * 64,
    }


def _attributes(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def test_build_makes_what_the_keyword_constructor_makes():
    values = _values()  # `current`, `counted`, `where`, `contact`, `late` left to their defaults
    built, made = build(CheckIn, values), CheckIn(**values)
    assert _attributes(built) == _attributes(made)
    assert (built._state.adding, built._state.db) == (True, None)
    assert built.get_deferred_fields() == set()


def test_build_goes_through_the_constructor_while_an_init_receiver_listens():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=CheckIn)
    try:
        built = build(CheckIn, _values())
    finally:
        post_init.disconnect(receiver, sender=CheckIn)
    assert seen == [built]


# --- pipeline: statements sent together, read after the block -------------------------------------

import pytest  # noqa: E402
from django.db import IntegrityError, transaction  # noqa: E402

from fangkong.audit.models import ChainHead  # noqa: E402
from fangkong.org.rawsql import pipeline, table  # noqa: E402


@pytest.mark.django_db
def test_pipeline_runs_in_order_and_answers_after_the_block():
    heads = table(ChainHead)
    with transaction.atomic(), pipeline() as pipe:
        pipe.execute(f"INSERT INTO {heads} (chain, seq, hash) VALUES (%s, %s, %s)", [7, 0, "0" * 64])  # noqa: S608
        moved = pipe.execute(f"UPDATE {heads} SET seq = seq + 1 WHERE chain = %s", [7])  # noqa: S608
        read = pipe.execute(f"SELECT seq FROM {heads} WHERE chain = %s", [7])  # noqa: S608
    assert moved.rowcount == 1  # the update saw the insert before it
    assert read.rows == [(1,)]
    assert ChainHead.objects.get(chain=7).seq == 1


@pytest.mark.django_db
def test_a_failing_statement_in_a_pipeline_raises_djangos_error_and_nothing_after_it_runs():
    heads = table(ChainHead)
    ChainHead.objects.create(chain=3)
    with pytest.raises(IntegrityError), transaction.atomic(), pipeline() as pipe:
        pipe.execute(f"UPDATE {heads} SET seq = 5 WHERE chain = %s", [3])  # noqa: S608
        pipe.execute(f"INSERT INTO {heads} (chain, seq, hash) VALUES (%s, %s, %s)", [3, 0, "0" * 64])  # noqa: S608
        pipe.execute(f"INSERT INTO {heads} (chain, seq, hash) VALUES (%s, %s, %s)", [4, 0, "0" * 64])  # noqa: S608
    assert list(ChainHead.objects.values_list("chain", "seq")) == [(3, 0)]


@pytest.mark.django_db
def test_without_pipeline_mode_the_statements_run_one_by_one_with_the_same_answers(monkeypatch):
    from fangkong.org import rawsql

    monkeypatch.setattr(rawsql, "_pipeline_supported", lambda: False)  # a libpq older than 14
    test_pipeline_runs_in_order_and_answers_after_the_block()


# --- insert_statement: the values Django's save() would send --------------------------------------

from datetime import date, timedelta  # noqa: E402

from django.db import connection  # noqa: E402
from django.utils.functional import lazy  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from fangkong.audit.models import AuditEntry  # noqa: E402
from fangkong.org.rawsql import insert_statement  # noqa: E402


def _djangos(obj) -> list:
    """What Django's own save() prepares for each inserted field (the path insert_statement skips)."""
    fields = [f for f in type(obj)._meta.concrete_fields if f.attname != "id" or obj.pk is not None]
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _comparable(values: list) -> list:
    # A JSON value is wrapped for the driver (psycopg's Jsonb), a new wrapper each time.
    return [("jsonb", v.obj) if isinstance(v, Jsonb) else (type(v), v) for v in values]


def _odd_values() -> dict:
    """Values of other types than the fields' own, which Django converts on save."""
    now = datetime.now(UTC)
    return {
        **_values(),
        "id": str(uuid.uuid4()),  # a UUID as text
        "person_id": "1",  # a key as text
        "day": now,  # a datetime in a date field
        "version": True,  # a bool in an integer field
        "temperature": 36.5,  # a float in a decimal field
        "location": lazy(lambda: "110101", str)(),  # a lazy string
        "submitted_by_id": 4,
        "captured_at": now.replace(tzinfo=None) + timedelta(0),  # naive: Django makes it aware
    }


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
@pytest.mark.parametrize("values", [_values, _odd_values], ids=["own types", "other types"])
def test_insert_statement_sends_what_djangos_save_sends(values):
    given = values()
    built = CheckIn(**given)
    sent = insert_statement(built)[1]
    assert _comparable(sent) == _comparable(_djangos(CheckIn(**given)))
    assert (built._state.adding, built._state.db) == (False, "default")


@pytest.mark.django_db
def test_insert_statement_of_an_audit_row_sends_what_djangos_save_sends():
    entry = AuditEntry(
        chain=1, seq=2, at=datetime.now(UTC), actor="a", action="x.y", object_type="person", object_id="E1",
        unit_code="", detail={"day": str(date(2026, 12, 6))}, prev_hash="0" * 64, hash="1" * 64,
    )  # fmt: skip
    assert _comparable(insert_statement(entry)[1]) == _comparable(_djangos(entry))
    assert insert_statement(entry)[0].startswith(f"INSERT INTO {table(AuditEntry)} ")


# --- any_of and array_text: many values in one parameter ------------------------------------------

from fangkong.checkins.models import UnitDay  # noqa: E402
from fangkong.org.rawsql import any_of, array_text, day_param, select  # noqa: E402


@pytest.mark.django_db
def test_any_of_selects_the_rows_the_orms_in_selects(w):
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(5)]
    UnitDay.objects.bulk_create(
        [UnitDay(unit=u, day=d, expected=1) for u in (w.grid1, w.grid2, w.e2) for d in days]
    )
    for units, wanted in (
        ([w.grid1.pk, w.e2.pk, 10**12], days[1:4]),  # many of each (and a unit that is not there)
        ([w.grid2.pk], [days[0]]),  # one of each
        ([w.grid1.pk, w.grid2.pk], days),
    ):
        unit_test, unit_params = any_of(units)
        day_test, day_params = any_of([day_param(d) for d in wanted])
        sql = f"SELECT unit_id, day FROM {table(UnitDay)} WHERE unit_id {unit_test} AND day {day_test}"  # noqa: S608
        rows = select(sql, [*unit_params, *day_params], UnitDay, ["unit_id", "day"])
        expected = UnitDay.objects.filter(unit_id__in=units, day__in=wanted).values_list("unit_id", "day")
        assert sorted(map(tuple, rows)) == sorted(expected)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="an array literal is PostgreSQL's")
def test_array_text_reads_back_as_the_same_values(db):
    cases = (
        ([1, -2, 2**62, 0], "bigint"),
        ([uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)], "uuid"),
        ([date(1, 1, 1), date(2026, 12, 7), date(9999, 12, 31)], "date"),
    )
    with connection.cursor() as cursor:
        for values, kind in cases:
            cursor.execute(f"SELECT %s::{kind}[]", [array_text(values)])
            assert cursor.fetchone()[0] == values


# --- cursor: the connection's own cursor for the hot statements -----------------------------------

from django.db import ProgrammingError  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from fangkong.org import rawsql  # noqa: E402

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the kept cursor is PostgreSQL's"
)


def _seq(chain: int) -> int:
    with rawsql.cursor() as cursor:
        cursor.execute(f"SELECT seq FROM {table(ChainHead)} WHERE chain = %s", [chain])  # noqa: S608
        return cursor.fetchone()[0]


@postgresql_only
@pytest.mark.django_db
def test_the_hot_cursor_is_kept_for_the_next_statement_and_reads_what_the_orm_wrote():
    ChainHead.objects.create(chain=11, seq=4)
    with rawsql.cursor() as first:
        first.execute("SELECT 1")
    with rawsql.cursor() as second:
        second.execute("SELECT 2")
        assert second.fetchone() == (2,)
    assert second is first  # the same psycopg cursor, not a new one per statement
    assert _seq(11) == 4


@postgresql_only
@pytest.mark.django_db
def test_the_hot_cursor_raises_djangos_errors_and_works_after_them():
    with pytest.raises(ProgrammingError), transaction.atomic():
        with rawsql.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")
    ChainHead.objects.create(chain=12, seq=9)
    assert _seq(12) == 9


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_hot_cursor_is_replaced_with_the_connection():
    ChainHead.objects.create(chain=13, seq=1)
    with rawsql.cursor() as before:
        before.execute("SELECT 1")
    connection.close()  # a persistent connection Django replaced (it was broken, or too old)
    assert _seq(13) == 1
    with rawsql.cursor() as after:
        after.execute("SELECT 1")
    assert after is not before
    assert not after.closed


@pytest.mark.django_db
def test_the_hot_cursors_statements_are_seen_where_they_are_watched():
    ChainHead.objects.create(chain=14, seq=2)
    with CaptureQueriesContext(connection) as seen:
        assert _seq(14) == 2
    assert [q["sql"] for q in seen.captured_queries if "chain" in q["sql"]]
    calls = []

    def watch(execute, sql, params, many, context):
        calls.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        assert _seq(14) == 2
    assert len(calls) == 1


@pytest.mark.django_db
def test_a_nested_hot_cursor_leaves_the_outer_ones_rows_alone():
    ChainHead.objects.create(chain=15, seq=3)
    ChainHead.objects.create(chain=16, seq=6)
    with rawsql.cursor() as outer:
        outer.execute(f"SELECT seq FROM {table(ChainHead)} WHERE chain = %s", [15])  # noqa: S608
        assert _seq(16) == 6
        assert outer.fetchone() == (3,)
