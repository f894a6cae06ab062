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
