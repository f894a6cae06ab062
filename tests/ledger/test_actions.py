"""The ledger's actions: a red card opens one item, close-out needs a reason, optimistic locking."""

import pytest

from fangkong.ledger import actions
from fangkong.ledger.actions import StaleItem
from fangkong.ledger.models import CloseReason, Event, Item, Kind, State
from fangkong.org.actions import ActionError

from .helpers import open_item, red_checkin


def _health_items(person):
    return Item.objects.filter(kind=Kind.HEALTH_ANOMALY, person=person)


def test_a_red_checkin_opens_one_item_owned_by_the_grid_leader(w):
    checkin = red_checkin(w.alice)
    assert checkin.card == "red"
    item = _health_items(w.alice).get()
    assert item.state == State.OPEN
    assert item.unit == w.grid1 and item.enterprise == w.e1
    assert item.owner == w.grid_leader
    assert item.detail["temperature"] == "38.2" and item.detail["symptoms"] == ["cough"]
    assert list(item.events.values_list("type", flat=True)) == [Event.Type.OPENED]


def test_an_amendment_does_not_open_a_second_item(w):
    red_checkin(w.alice, temperature="38.2")
    red_checkin(w.alice, temperature="38.6")  # same day: an amendment, still red
    assert _health_items(w.alice).count() == 1


def test_a_green_checkin_opens_nothing(w):
    red_checkin(w.bob, temperature="36.5", symptoms=())
    assert not _health_items(w.bob).exists()


def test_closing_without_a_reason_is_refused(w):
    item = open_item(w.grid1, person=w.alice)
    for reason in ("", "cured-by-magic"):
        with pytest.raises(ActionError) as exc:
            actions.close_item(w.grid_leader, item, reason=reason, version=item.version)
        assert exc.value.field == "reason"
    item.refresh_from_db()
    assert item.state == State.OPEN and item.version == 1
    assert not item.events.filter(type=Event.Type.CLOSED).exists()


def test_other_needs_a_note(w):
    item = open_item(w.grid1, person=w.alice)
    with pytest.raises(ActionError) as exc:
        actions.close_item(w.grid_leader, item, reason=CloseReason.OTHER, note="  ", version=1)
    assert exc.value.field == "note"
    item = actions.close_item(
        w.grid_leader, item, reason=CloseReason.OTHER, note="transferred to a hospital ward", version=1
    )
    assert item.state == State.CLOSED and item.close_note == "transferred to a hospital ward"


def test_two_closes_with_the_same_version_only_one_wins(w):
    item = open_item(w.grid1, person=w.alice)
    seen = item.version
    first = Item.objects.get(pk=item.pk)
    second = Item.objects.get(pk=item.pk)
    actions.close_item(w.grid_leader, first, reason=CloseReason.RECOVERED, version=seen)
    with pytest.raises(StaleItem):
        actions.close_item(w.enterprise_admin, second, reason=CloseReason.FALSE_ALARM, version=seen)
    # An item still open in memory but changed in the database: the version decides.
    other = open_item(w.grid2, person=w.bob)
    stale = Item.objects.get(pk=other.pk)
    actions.follow_up(w.grid_leader, other, note="called", version=other.version)
    with pytest.raises(StaleItem):
        actions.close_item(w.enterprise_admin, stale, reason=CloseReason.RECOVERED, version=stale.version)
    item.refresh_from_db()
    assert item.close_reason == CloseReason.RECOVERED
    assert item.events.filter(type=Event.Type.CLOSED).count() == 1
    other.refresh_from_db()
    assert other.state == State.IN_PROGRESS


def test_reopen_needs_a_note_and_makes_the_item_open_again(w):
    item = open_item(w.grid1, person=w.alice)
    item = actions.close_item(w.grid_leader, item, reason=CloseReason.TEST_NEGATIVE, version=1)
    with pytest.raises(ActionError) as exc:
        actions.reopen_item(w.enterprise_admin, item, note="", version=item.version)
    assert exc.value.field == "note"
    item = actions.reopen_item(w.enterprise_admin, item, note="fever again", version=item.version)
    assert item.state == State.OPEN and item.close_reason == "" and item.closed_at is None
    with pytest.raises(ActionError):
        actions.reopen_item(w.enterprise_admin, item, note="again", version=item.version)


def test_the_history_lists_every_event_with_actor_and_time(w):
    red_checkin(w.alice, actor=w.employee)
    item = _health_items(w.alice).get()
    item = actions.assign_item(w.enterprise_admin, item, w.tracker, version=item.version)
    item = actions.follow_up(
        w.tracker, item, version=item.version, temperature="37.1", test_result="negative"
    )
    item = actions.close_item(w.tracker, item, reason=CloseReason.RECOVERED, version=item.version)
    events = list(item.events.order_by("at", "pk"))
    assert [(e.type, e.actor) for e in events] == [
        (Event.Type.OPENED, "alice"),
        (Event.Type.ASSIGNED, "e1_admin"),
        (Event.Type.FOLLOW_UP, "tracker"),
        (Event.Type.CLOSED, "tracker"),
    ]
    assert all(e.at is not None for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[1].data["owner"] == "tracker"
    assert events[2].data == {"temperature": "37.1", "test_result": "negative"}
    assert events[3].data["reason"] == "recovered"
    assert item.version == 4


def _opening(key, unit, person=None):
    return actions.Opening(
        kind=Kind.HEALTH_ANOMALY,
        key=key,
        unit=unit,
        person=person,
        title="红码",
        due_at=actions.default_due(24),
        detail={"temperature": "38.6"},
    )


def test_opening_many_items_opens_each_key_once_with_owner_event_and_audit_row(w):
    """A batch's red cards: each new key gets the item, owner, event and audit row `open_item`
    gives; an open key and a key given twice open nothing more."""
    from fangkong.audit.actions import verify
    from fangkong.audit.models import AuditEntry
    from fangkong.ledger.hooks import default_owners

    held = open_item(w.grid1, person=w.alice, key="person:alice")
    openings = [
        _opening("person:alice", w.grid1, w.alice),
        _opening("person:bob", w.grid2, w.bob),  # E1-G2 has no grid leader: the enterprise's officer
        _opening("person:new", w.grid1),
        _opening("person:bob", w.grid2, w.bob),
    ]
    answers = actions.open_items("tracker", openings, default_owners)

    assert [(item.key, created) for item, created in answers] == [
        ("person:alice", False),
        ("person:bob", True),
        ("person:new", True),
        ("person:bob", False),
    ]
    assert answers[0][0].pk == held.pk and answers[3][0].pk == answers[1][0].pk
    bob_item, new_item = Item.objects.get(key="person:bob"), Item.objects.get(key="person:new")
    assert (bob_item.owner, new_item.owner) == (w.enterprise_admin, w.grid_leader)
    assert bob_item.enterprise == w.e1 and bob_item.person == w.bob and bob_item.state == State.OPEN
    event = bob_item.events.get()
    assert (event.type, event.actor, event.data["owner"]) == (Event.Type.OPENED, "tracker", "e1_admin")
    audited = AuditEntry.objects.filter(action="ledger.open", actor="tracker").order_by("seq")
    assert [(a.object_id, a.unit_code, a.detail) for a in audited] == [
        (str(bob_item.uid), "E1", {"kind": "health_anomaly", "owner": "e1_admin"}),
        (str(new_item.uid), "E1", {"kind": "health_anomaly", "owner": "grid_leader"}),
    ]
    assert verify()[1] is None


def test_an_item_opened_meanwhile_stands_and_the_others_still_open(w):
    """Another writer opens one of the keys between the read and the insert: its item stands (the
    one-open-item-per-key index refuses a second), and the other keys open one by one."""
    from fangkong.ledger.hooks import default_owners

    def owners_while_another_writer_opens(units):
        open_item(w.grid1, person=w.alice, key="person:alice")
        return default_owners(units)

    answers = actions.open_items(
        "tracker",
        [_opening("person:alice", w.grid1, w.alice), _opening("person:bob", w.grid2, w.bob)],
        owners_while_another_writer_opens,
    )

    opened = [(item.key, created) for item, created in answers]
    assert opened == [("person:alice", False), ("person:bob", True)]
    assert Item.objects.filter(key="person:alice").count() == 1
    assert Item.objects.get(key="person:bob").owner == w.enterprise_admin
