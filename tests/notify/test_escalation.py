"""Acceptance 4: an item left overdue climbs owner → grid leader → enterprise admin → segment → group,
one step per delay, each step an ESCALATED event in its history."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fangkong.ledger.actions import close_item, open_item
from fangkong.ledger.models import CloseReason, Event, Kind
from fangkong.notify.escalation import escalate_overdue
from fangkong.notify.models import Message

DUE = datetime(2026, 3, 2, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
H = timedelta(hours=1)


def _told(item) -> list[str]:
    return list(
        Message.objects.filter(key__startswith=f"ledger.escalate:{item.uid}:")
        .order_by("key")
        .values_list("user__username", flat=True)
    )


@pytest.mark.django_db
def test_an_overdue_item_climbs_one_rung_per_delay(w, settings, client):
    settings.NOTIFY_ESCALATION_HOURS = 4
    item, _ = open_item(
        "test", kind=Kind.OTHER, key="x1", unit=w.grid1, title="消毒记录缺失", due_at=DUE, owner=w.tracker
    )
    escalate_overdue(DUE - timedelta(minutes=1))
    assert _told(item) == []

    escalate_overdue(DUE + timedelta(minutes=1))
    assert _told(item) == ["tracker"]  # the owner, at due time
    ladder = [
        (4 * H, "grid_leader"),
        (8 * H, "e1_admin"),
        (12 * H, "segment_admin"),
        (16 * H, "group_admin"),
    ]
    for level, (after, who) in enumerate(ladder, start=1):
        escalate_overdue(DUE + after - timedelta(minutes=1))
        item.refresh_from_db()
        assert item.escalation_level == level - 1  # not before its delay
        escalate_overdue(DUE + after)
        escalate_overdue(DUE + after + timedelta(minutes=30))  # a second pass takes no second step
        item.refresh_from_db()
        assert item.escalation_level == level
        assert _told(item)[-1] == who
    escalate_overdue(DUE + 100 * H)
    item.refresh_from_db()
    assert item.escalation_level == 4 and item.owner == w.tracker  # the owner stays answerable

    steps = item.events.filter(type=Event.Type.ESCALATED).order_by("pk")
    assert [e.data["level"] for e in steps] == [1, 2, 3, 4]
    assert ["grid_leader" in steps[0].data["reason"], "group_admin" in steps[3].data["reason"]] == [
        True,
        True,
    ]

    # Visible in the item's history to the enterprise admin (API and page).
    client.force_login(w.enterprise_admin)
    events = client.get(f"/api/v1/ledger/items/{item.uid}").json()["events"]
    assert [e["data"]["level"] for e in events if e["type"] == "escalated"] == [1, 2, 3, 4]
    page = client.get(f"/ledger/items/{item.uid}/").content.decode()
    assert page.count("told ") == 4


@pytest.mark.django_db
def test_a_rung_nobody_holds_is_passed_and_closed_items_stop(w, settings):
    settings.NOTIFY_ESCALATION_HOURS = 2
    on_enterprise, _ = open_item(
        "test", kind=Kind.OTHER, key="x2", unit=w.e1, title="t", due_at=DUE, owner=w.tracker
    )
    closed, _ = open_item(
        "test", kind=Kind.OTHER, key="x3", unit=w.grid1, title="t", due_at=DUE, owner=w.tracker
    )
    close_item("test", closed, reason=CloseReason.RESOLVED)
    escalate_overdue(DUE + 2 * H)
    on_enterprise.refresh_from_db()
    # E1 itself has no grid leader: that rung is recorded as passed, the enterprise admin is told.
    assert on_enterprise.escalation_level == 2
    reasons = list(
        on_enterprise.events.filter(type=Event.Type.ESCALATED).values_list("data__reason", flat=True)
    )
    assert reasons == ["overdue: no grid_leader, passed on", "overdue: told enterprise_admin (e1_admin)"]
    assert _told(on_enterprise) == ["tracker", "e1_admin"]
    assert _told(closed) == [] and not closed.events.filter(type=Event.Type.ESCALATED).exists()
