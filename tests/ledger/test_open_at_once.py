"""A red card's item opened in one statement (ledger.actions.open_at_once): the rows `open_item`
writes, on the chain the check-in's transaction holds, and nothing when an item of the key is open."""

import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from fangkong.audit.actions import verify
from fangkong.audit.models import AuditEntry
from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import Source
from fangkong.ledger import actions
from fangkong.ledger.hooks import default_owner
from fangkong.ledger.models import Event, Item, Kind
from fangkong.org.actions import revoke_role
from fangkong.org.models import Role, RoleGrant

from .helpers import red_checkin

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the single statement is PostgreSQL's"
)


def _opening(person, unit) -> actions.Opening:
    return actions.Opening(
        kind=Kind.HEALTH_ANOMALY,
        key=f"person:{person.pk}",
        unit=unit,
        person=person,
        title=f"{person.name} ({person.employee_no}): red card",
        due_at=timezone.now() + timedelta(hours=24),
        owner=lambda: default_owner(unit),
        detail={"temperature": "38.6", "symptoms": ["cough"]},
    )


def _rows(person) -> tuple[dict, list, list]:
    item = Item.objects.get(person=person)
    fields = {
        f: getattr(item, f)
        for f in (
            "kind",
            "unit_id",
            "enterprise_id",
            "owner_id",
            "state",
            "detail",
            "escalation_level",
            "version",
        )
    }
    events = [(e.type, e.actor, sorted(e.data)) for e in item.events.all()]
    audit = AuditEntry.objects.filter(object_type="ledger_item", object_id=str(item.uid))
    return fields, events, list(audit.values_list("action", "actor", "unit_code", "detail"))


@pytest.mark.django_db(transaction=True)
def test_its_rows_are_open_items_and_the_chain_stays_whole(w):
    """The same item, event and audit row as `open_item`'s, for a person whose grid has a leader
    and one whose grid has none (the enterprise's officer follows); a second opening of the key
    writes nothing; the audit chains verify."""
    actions.open_opening("tracker", _opening(w.alice, w.grid1))
    with transaction.atomic():
        assert actions.open_at_once("tracker", _opening(w.bob, w.grid2)) is True
        assert actions.open_at_once("tracker", _opening(w.bob, w.grid2)) is False  # open already
    by_item, at_once = _rows(w.alice), _rows(w.bob)
    assert by_item[0] == {**at_once[0], "unit_id": w.grid1.pk, "owner_id": w.grid_leader.pk}
    assert at_once[0]["owner_id"] == w.enterprise_admin.pk  # grid2 has no leader
    assert by_item[1] == at_once[1] == [(Event.Type.OPENED, "tracker", ["due_at", "owner"])]
    assert by_item[2] == [
        ("ledger.open", "tracker", "E1", {"kind": Kind.HEALTH_ANOMALY, "owner": "grid_leader"})
    ]
    assert at_once[2] == [
        ("ledger.open", "tracker", "E1", {"kind": Kind.HEALTH_ANOMALY, "owner": "e1_admin"})
    ]
    assert Event.objects.count() == 2 and AuditEntry.objects.filter(action="ledger.open").count() == 2
    assert verify()[1] is None


@pytest.mark.django_db(transaction=True)
def test_a_red_checkin_opens_its_item_at_once_and_an_amendment_does_not(w):
    """Through a check-in (the path it serves), proxied (its transaction holds a chain already)
    and self-reported (it takes one): one item each, owned as `default_owner` says, chains whole."""
    for grant in RoleGrant.objects.filter(role=Role.GRID_LEADER):  # the enterprise's officer follows both
        revoke_role("test", grant)
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal("38.6"))
    submit_checkin(w.tracker, w.alice, data, source=Source.PROXY)  # audited: holds a chain
    red_checkin(w.bob)
    red_checkin(w.bob, temperature="39.1")  # an amendment, still red
    items = Item.objects.filter(kind=Kind.HEALTH_ANOMALY).order_by("person__employee_no")
    assert [(i.person_id, i.owner_id) for i in items] == [
        (w.alice.pk, w.enterprise_admin.pk),
        (w.bob.pk, w.enterprise_admin.pk),
    ]
    assert Event.objects.count() == 2 and AuditEntry.objects.filter(action="ledger.open").count() == 2
    assert verify()[1] is None


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_leaves_the_opening_to_open_item(w):
    opening = replace(_opening(w.alice, w.grid1), owner=w.grid_leader)
    assert actions.open_at_once("test", opening) is None
    assert not Item.objects.exists()
