"""Each data class is purged at its boundary: the last day past the period goes, the first day kept
stays (counted in the enterprise's own business day)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fangkong.checkins.actions import add_exemption
from fangkong.checkins.models import CheckIn, Exemption
from fangkong.controls.models import Level, RescreenEntry, RiskLevel
from fangkong.ledger.actions import close_item
from fangkong.ledger.models import Event, Item, Kind, State
from fangkong.notify.models import Delivery, Message
from fangkong.org.actions import person_leaves
from fangkong.org.models import Person, RoleGrant, Unit
from fangkong.privacy.crypto import keyed_hash
from fangkong.retention import purge
from fangkong.retention.purge import ANONYMOUS_NAME, run
from tests import factories

from .helpers import (
    CHECKIN_CUTOFF,
    ITEM_CUTOFF,
    NOTIFY_CUTOFF,
    PERSON_CUTOFF,
    TODAY,
    checkin,
    start_of,
)

pytestmark = pytest.mark.django_db


def test_checkins_before_the_cutoff_go_and_the_cutoff_day_stays(w):
    gone = checkin(w.alice, CHECKIN_CUTOFF - timedelta(days=1))
    kept = checkin(w.alice, CHECKIN_CUTOFF)
    other = checkin(w.carol, CHECKIN_CUTOFF - timedelta(days=30))

    counts = run(today=TODAY)

    assert counts["checkins"] == 2
    assert set(CheckIn.objects.values_list("pk", flat=True)) == {kept.pk}
    assert not CheckIn.objects.filter(pk__in=[gone.pk, other.pk]).exists()


def test_amended_versions_of_an_expired_day_all_go(w):
    day = CHECKIN_CUTOFF - timedelta(days=1)
    checkin(w.alice, day, at=time(8))
    checkin(w.alice, day, card="yellow", at=time(10))
    assert CheckIn.objects.filter(person=w.alice, day=day).count() == 2

    assert run(today=TODAY)["checkins"] == 2
    assert not CheckIn.objects.filter(person=w.alice).exists()


def test_the_cutoff_is_each_enterprises_own_business_day(w):
    """At 01:00 in Shanghai it is still yesterday in Los Angeles: there the cutoff is a day earlier."""
    west = factories.unit("W1", Unit.Kind.ENTERPRISE, w.segment, tz="America/Los_Angeles")
    dave = factories.person(west, "W0001", name="戴夫")
    shanghai_gone = checkin(w.alice, CHECKIN_CUTOFF - timedelta(days=1))
    west_kept = checkin(dave, CHECKIN_CUTOFF - timedelta(days=1))
    west_gone = checkin(dave, CHECKIN_CUTOFF - timedelta(days=2))
    now = datetime.combine(TODAY, time(1), tzinfo=dt_timezone(timedelta(hours=8)))

    counts = run(now=now)

    assert counts["checkins"] == 2
    left = set(CheckIn.objects.values_list("pk", flat=True))
    assert west_kept.pk in left
    assert shanghai_gone.pk not in left and west_gone.pk not in left


def test_bounded_batches_reach_every_row(w, monkeypatch):
    monkeypatch.setattr(purge, "BATCH", 2)
    for n in range(1, 6):
        checkin(w.alice, CHECKIN_CUTOFF - timedelta(days=n))
        checkin(w.bob, CHECKIN_CUTOFF - timedelta(days=n))
    checkin(w.bob, CHECKIN_CUTOFF)

    assert run(today=TODAY)["checkins"] == 10
    assert CheckIn.objects.count() == 1


def test_exemption_notes_go_with_the_checkins_but_the_dates_stay(w):
    start, last_gone = CHECKIN_CUTOFF - timedelta(days=5), CHECKIN_CUTOFF - timedelta(days=1)
    old = add_exemption("test", w.alice, start=start, end=last_gone, reason="leave", note="回武汉探亲")
    recent = add_exemption("test", w.bob, start=start, end=CHECKIN_CUTOFF, reason="leave", note="出差")

    assert run(today=TODAY)["exemption_notes"] == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.note, old.start, old.end) == ("", start, last_gone)
    assert recent.note == "出差"
    assert Exemption.objects.count() == 2


def test_trajectories_of_rescreen_entries_are_dropped(w):
    region = factories.region("420106")
    risk = RiskLevel.objects.create(
        region=region, level=Level.HIGH, effective_from=TODAY, source="manual", set_by="test"
    )
    trail = [{"id": "x", "day": "2026-08-01", "code": "420106"}]
    old = RescreenEntry.objects.create(
        risk=risk, region=region, level=Level.HIGH, person=w.alice, enterprise=w.e1, unit=w.grid1,
        checkins=trail, created_at=start_of(CHECKIN_CUTOFF) - timedelta(seconds=1),
    )  # fmt: skip
    recent = RescreenEntry.objects.create(
        risk=risk, region=region, level=Level.HIGH, person=w.bob, enterprise=w.e1, unit=w.grid2,
        checkins=trail, created_at=start_of(CHECKIN_CUTOFF),
    )  # fmt: skip

    assert run(today=TODAY)["trajectories"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.checkins == [] and recent.checkins == trail


def _closed_health_item(person: Person, closed_at: datetime) -> Item:
    checkin(person, TODAY - timedelta(days=200), card="red")
    item = Item.objects.get(person=person, kind=Kind.HEALTH_ANOMALY, state=State.OPEN)
    close_item("test", item, reason="recovered", note=f"{person.name} 已康复")
    Item.objects.filter(pk=item.pk).update(closed_at=closed_at)
    return item


def test_closed_items_lose_the_person_after_the_period(w):
    gone = _closed_health_item(w.alice, start_of(ITEM_CUTOFF) - timedelta(seconds=1))
    kept = _closed_health_item(w.bob, start_of(ITEM_CUTOFF))
    checkin(w.carol, TODAY - timedelta(days=200), card="red")
    still_open = Item.objects.get(person=w.carol, state=State.OPEN)
    assert "艾丽" in gone.title and gone.detail

    assert run(today=TODAY)["ledger_items"] == 1

    gone.refresh_from_db()
    assert gone.person is None and gone.detail == {} and gone.close_note == ""
    assert "艾丽" not in gone.title and "A0001" not in gone.title
    assert (gone.state, gone.close_reason, gone.kind) == (State.CLOSED, "recovered", Kind.HEALTH_ANOMALY)
    assert not Event.objects.filter(item=gone).exclude(data={}).exists()
    assert Event.objects.filter(item=gone).exists()  # the history of steps stays, without content
    officer = Client()
    officer.force_login(w.enterprise_admin)
    page = officer.get(f"/ledger/items/{gone.uid}/")
    assert page.status_code == 200 and "艾丽" not in page.content.decode()
    kept.refresh_from_db()
    assert kept.person == w.bob and kept.detail
    still_open.refresh_from_db()
    assert still_open.person == w.carol and still_open.detail


def test_people_who_left_long_ago_are_anonymised(w):
    person_leaves("test", w.alice, PERSON_CUTOFF - timedelta(days=1))
    person_leaves("test", w.carol, PERSON_CUTOFF)
    account = w.alice.user
    assert Client().login(username="alice", password="pw-Secret-123")

    assert run(today=TODAY)["people"] == 1

    alice = Person.objects.get(pk=w.alice.pk)
    assert alice.name == ANONYMOUS_NAME
    assert alice.employee_no == f"anon-{alice.pk}"
    assert (alice.id_number, alice.mobile, alice.user) == ("", "", None)
    assert not Person.objects.filter(id_number_hash=keyed_hash(w.alice.id_number)).exists()
    assert not Person.objects.filter(mobile_hash=keyed_hash(w.alice.mobile)).exists()
    assert alice.status == Person.Status.LEFT
    user = get_user_model().objects.get(pk=account.pk)
    assert not user.is_active and user.username == f"anon-user-{user.pk}" and user.email == ""
    assert not RoleGrant.objects.filter(user=user).exists()
    assert not Client().login(username="alice", password="pw-Secret-123")
    carol = Person.objects.get(pk=w.carol.pk)
    assert (carol.name, carol.employee_no) == ("卡萝", "C0001") and carol.id_number


def test_a_person_with_an_open_item_keeps_their_name(w):
    checkin(w.bob, PERSON_CUTOFF - timedelta(days=30), card="red")
    person_leaves("test", w.bob, PERSON_CUTOFF - timedelta(days=10))
    assert Item.objects.filter(person=w.bob, state=State.OPEN).exists()

    assert run(today=TODAY)["people"] == 0
    assert Person.objects.get(pk=w.bob.pk).name == "鲍勃"

    item = Item.objects.get(person=w.bob, state=State.OPEN)
    close_item("test", item, reason="left_company")
    assert run(today=TODAY)["people"] == 1
    item.refresh_from_db()
    bob = Person.objects.get(pk=w.bob.pk)
    assert bob.name == ANONYMOUS_NAME and "鲍勃" not in item.title and item.detail == {}


def test_old_messages_and_deliveries_go(w):
    cutoff = start_of(NOTIFY_CUTOFF)

    def message(at: datetime) -> Message:
        m = Message.objects.create(user=w.employee, subject="红码提醒 艾丽", created_at=at)
        Delivery.objects.create(
            kind="email",
            message=m,
            address="a@example.com",
            subject=m.subject,
            next_attempt_at=at,
            created_at=at,
        )
        return m

    gone = message(cutoff - timedelta(seconds=1))
    kept = message(cutoff)

    counts = run(today=TODAY)

    assert (counts["messages"], counts["deliveries"]) == (1, 1)
    assert list(Message.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not Delivery.objects.filter(message_id=gone.pk).exists()
    assert Delivery.objects.filter(message=kept).count() == 1


def test_a_card_override_goes_with_its_checkin(w):
    from fangkong.checkins.models import CardOverride
    from fangkong.checkins.overrides import override_card

    day = CHECKIN_CUTOFF - timedelta(days=1)
    checkin(w.alice, day, card="red")
    checkin(w.bob, CHECKIN_CUTOFF, card="red")
    override_card(w.enterprise_admin, w.alice, day, card="green", reason="体温计故障")
    override_card(w.enterprise_admin, w.bob, CHECKIN_CUTOFF, card="green", reason="体温计故障")

    assert run(today=TODAY)["checkins"] == 1
    assert list(CardOverride.objects.values_list("checkin__person", flat=True)) == [w.bob.pk]
