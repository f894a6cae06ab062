"""The run as a whole: aggregates survive, a second run does nothing, the audit log has the counts
and still verifies, a dry run changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from fangkong.audit.actions import verify
from fangkong.audit.models import AuditEntry
from fangkong.checkins import rollup
from fangkong.checkins.actions import add_exemption
from fangkong.checkins.models import CheckIn, Exemption, UnitDay
from fangkong.dashboard import queries
from fangkong.ledger.models import Item
from fangkong.notify.models import Message
from fangkong.org.actions import create_token, person_leaves
from fangkong.org.models import Person
from fangkong.retention.purge import ACTOR, CLASSES, run
from tests import factories

from .helpers import CHECKIN_CUTOFF, PERSON_CUTOFF, TODAY, checkin, start_of

pytestmark = pytest.mark.django_db

OLD = CHECKIN_CUTOFF - timedelta(days=10)


def _old_days(w) -> None:
    """Two purged days with every kind of figure: green, yellow, red, exempt, missing."""
    for day in (OLD, OLD + timedelta(days=1)):
        checkin(w.alice, day, card="red")
        checkin(w.carol, day, card="yellow")
    add_exemption("test", w.bob, start=OLD, end=OLD, reason="business_trip", note="去武汉")
    dave = factories.person(w.e2, "D0001", name="戴夫")
    person_leaves("test", dave, PERSON_CUTOFF - timedelta(days=1))


def _snapshot() -> dict:
    """Every row the purge may touch, as a user would read them."""
    return {
        "checkins": sorted(CheckIn.objects.values_list("pk", "day")),
        "exemptions": sorted(Exemption.objects.values_list("pk", "note")),
        "items": sorted(Item.objects.values_list("pk", "person_id", "title", "version")),
        "people": sorted(Person.objects.values_list("pk", "name", "employee_no", "id_number", "mobile")),
        "messages": sorted(Message.objects.values_list("pk", flat=True)),
        "unitdays": sorted(UnitDay.objects.values_list("unit_id", "day", "expected", "checked_in", "exempt")),
    }


def _api_rollup(client: Client, code: str) -> dict:
    response = client.get(f"/api/v1/units/{code}/rollup", {"date": OLD.isoformat()})
    assert response.status_code == 200
    return response.json()


def test_rollups_of_a_purged_day_are_unchanged(w):
    _old_days(w)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.group_admin)}")
    cache.clear()
    before = {code: _api_rollup(client, code) for code in ("G", "E1", "E1-G1", "E2")}
    board_before = queries.board(w.group, OLD + timedelta(days=1)).values
    trend_before = queries.trends(w.e1, OLD + timedelta(days=1), 3)["series"]
    assert before["G"]["checked_in"] == 2 and before["G"]["red"] == 1 and before["G"]["yellow"] == 1
    assert before["E1"]["exempt"] == 1 and before["E1"]["missing"] == 0

    counts = run(today=TODAY)
    assert counts["checkins"] == 4
    assert not CheckIn.objects.filter(day__lte=OLD + timedelta(days=1)).exists()

    cache.clear()
    assert {code: _api_rollup(client, code) for code in ("G", "E1", "E1-G1", "E2")} == before
    assert rollup.rollup(w.group, OLD) == before["G"]
    assert queries.board(w.group, OLD + timedelta(days=1)).values == board_before
    assert queries.trends(w.e1, OLD + timedelta(days=1), 3)["series"] == trend_before


def test_a_second_run_changes_nothing_and_reports_zeros(w):
    _old_days(w)
    first = run(today=TODAY)
    assert first["checkins"] and first["people"] and first["exemption_notes"]
    after_first = _snapshot()

    assert run(today=TODAY) == dict.fromkeys(CLASSES, 0)
    assert _snapshot() == after_first


def test_each_run_records_its_counts_and_the_chain_verifies(w):
    _old_days(w)
    rows_before = AuditEntry.objects.count()

    first = run(today=TODAY)
    second = run(today=TODAY)

    runs = list(AuditEntry.objects.filter(action="retention.purge").order_by("at", "pk"))
    assert [r.detail["counts"] for r in runs] == [first, second]
    assert {r.actor for r in runs} == {ACTOR}
    assert runs[0].object_id == TODAY.isoformat()
    assert runs[0].detail["cutoffs"]["checkins"] == {"Asia/Shanghai": CHECKIN_CUTOFF.isoformat()}
    assert AuditEntry.objects.count() == rows_before + 2  # the purge never deletes an audit row
    checked, breach = verify()
    assert breach is None and checked == rows_before + 2


def test_a_dry_run_counts_and_changes_nothing(w):
    _old_days(w)
    before, audit_rows = _snapshot(), AuditEntry.objects.count()

    would = run(today=TODAY, dry_run=True)

    assert _snapshot() == before
    assert AuditEntry.objects.count() == audit_rows
    assert would == run(today=TODAY)


def test_a_failing_run_records_what_it_did(w, monkeypatch):
    _old_days(w)

    def broken(plan, dry_run):
        raise RuntimeError("disk full")

    monkeypatch.setattr("fangkong.retention.purge.purge_deliveries", broken)
    with pytest.raises(RuntimeError):
        run(today=TODAY)
    failed = AuditEntry.objects.get(action="retention.purge_failed")
    assert failed.detail["counts"]["checkins"] == 4
    assert verify()[1] is None


def test_the_command_prints_counts_per_class(w, capsys):
    checkin(w.alice, OLD)
    call_command("purge", "--dry-run", "--today", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "checkins: 1" in out and "would purge 1 rows in total" in out
    assert CheckIn.objects.count() == 1

    call_command("purge", "--today", TODAY.isoformat())
    assert "checkins: 1" in capsys.readouterr().out
    assert CheckIn.objects.count() == 0


def test_old_messages_are_counted_in_the_run(w):
    Message.objects.create(user=w.employee, subject="x", created_at=start_of(TODAY - timedelta(days=400)))
    assert run(today=TODAY)["messages"] == 1
