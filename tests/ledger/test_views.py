"""Ledger pages: scoped lists, minimum disclosure on the item page, actions, stale versions, export."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEntry
from fangkong.ledger import actions
from fangkong.ledger.models import CloseReason, Event, Kind, State
from fangkong.lib.dates import business_day, day_bounds
from tests.factories import user

from .helpers import open_item

SECRET_NOTE = "her doctor says pneumonia"


def _client(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def _uids(response) -> set[str]:
    return {str(i.uid) for i in response.context["page"]}


@pytest.fixture
def items(w):
    """alice's health item on grid 1 (owned by the grid leader), bob's on grid 2, carol's on E2."""
    a = open_item(w.grid1, person=w.alice, owner=w.grid_leader)
    a = actions.follow_up(w.grid_leader, a, note=SECRET_NOTE, temperature="38.4", version=a.version)
    b = open_item(w.grid2, person=w.bob, title="鲍勃 (B0001): red card", due_in=timedelta(hours=-2))
    c = open_item(w.e2, person=w.carol, title="卡萝 (C0001): red card")
    return a, b, c


def test_lists_are_scoped(w, items):
    a, b, c = items
    url = reverse("ledger_items")
    assert _uids(_client(w.enterprise_admin).get(url)) == {str(a.uid), str(b.uid)}
    assert _uids(_client(w.segment_admin).get(url)) == {str(a.uid), str(b.uid), str(c.uid)}
    assert _uids(_client(w.grid_leader).get(url)) == {str(a.uid)}
    assert _uids(_client(w.outsider).get(url)) == {str(c.uid)}
    assert _uids(_client(w.tracker).get(url)) == set()
    assert _uids(_client(w.segment_admin).get(url, {"unit": "E1-G2"})) == {str(b.uid)}
    assert _client(w.outsider).get(url, {"unit": "E1"}).status_code == 404
    assert _client(w.outsider).get(url, {"unit": "NOPE"}).status_code == 404


def test_filters_state_owner_overdue_kind(w, items):
    a, b, _c = items
    admin = _client(w.enterprise_admin)
    url = reverse("ledger_items")
    assert _uids(admin.get(url, {"overdue": "1"})) == {str(b.uid)}
    assert _uids(admin.get(url, {"state": "in_progress"})) == {str(a.uid)}
    assert _uids(admin.get(url, {"owner": "none"})) == {str(b.uid)}
    assert _uids(admin.get(url, {"kind": Kind.SUPPLY_SHORTAGE})) == set()
    assert _uids(_client(w.grid_leader).get(url, {"owner": "me"})) == {str(a.uid)}
    # Sorted by due time: bob's (overdue) first.
    assert [str(i.uid) for i in admin.get(url).context["page"]] == [str(b.uid), str(a.uid)]
    actions.close_item(w.enterprise_admin, b, reason=CloseReason.FALSE_ALARM, version=b.version)
    assert _uids(admin.get(url)) == {str(a.uid)}  # default: open and in progress
    assert _uids(admin.get(url, {"state": "closed"})) == {str(b.uid)}
    assert _uids(admin.get(url, {"state": "all"})) == {str(a.uid), str(b.uid)}
    partial = admin.get(url, {"state": "all"}, HTTP_HX_REQUEST="true")  # htmx: the rows only
    assert _uids(partial) == {str(a.uid), str(b.uid)} and b"<html" not in partial.content


def test_due_today(w):
    # Due halfway between now and the local midnight: today whatever the hour the suite runs at.
    zone = timezone.get_current_timezone_name()
    _start, midnight = day_bounds(zone, business_day(zone))
    soon = open_item(w.grid1, person=w.alice, due_in=(midnight - timezone.now()) / 2)
    open_item(w.grid2, person=w.bob, due_in=timedelta(days=3))
    assert _uids(_client(w.enterprise_admin).get(reverse("ledger_items"), {"today": "1"})) == {str(soon.uid)}


def test_a_tracker_sees_its_own_items(w, items):
    a, b, _c = items
    actions.assign_item(w.enterprise_admin, b, w.tracker, version=b.version)
    tracker = _client(w.tracker)
    response = tracker.get(reverse("ledger_mine"))
    assert response.status_code == 200
    assert _uids(response) == {str(b.uid)}
    assert tracker.get(reverse("ledger_item", args=[b.uid])).status_code == 200
    assert tracker.get(reverse("ledger_item", args=[a.uid])).status_code == 404


def test_a_grid_leader_sees_state_owner_due_but_not_health_detail(w, items):
    a, _b, _c = items
    other = user("grid_leader_2", "grid_leader", w.grid1)  # over the item, but not its owner
    response = _client(other).get(reverse("ledger_item", args=[a.uid]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "艾丽 (A0001)" in html and "grid_leader" in html  # title and owner
    for secret in ("38.9", "38.4", SECRET_NOTE, "fatigue"):
        assert secret not in html, secret
    assert not AuditEntry.objects.filter(action="ledger.view_detail").exists()


def test_the_prevention_officer_and_the_owner_see_the_detail_and_it_is_logged(w, items):
    a, _b, _c = items
    for who in (w.enterprise_admin, w.grid_leader):  # the officer, and the owner
        html = _client(who).get(reverse("ledger_item", args=[a.uid])).content.decode()
        assert "38.9" in html and "38.4" in html and SECRET_NOTE in html
    logged = AuditEntry.objects.filter(action="ledger.view_detail", object_id=str(a.uid))
    assert sorted(logged.values_list("actor", flat=True)) == ["e1_admin", "grid_leader"]


def test_the_segment_admin_reads_but_does_not_act(w, items):
    a, _b, _c = items
    seg = _client(w.segment_admin)
    html = seg.get(reverse("ledger_item", args=[a.uid])).content.decode()
    assert "38.9" not in html and reverse("ledger_close", args=[a.uid]) not in html
    response = seg.post(reverse("ledger_close", args=[a.uid]), {"reason": "recovered", "version": a.version})
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.state == State.IN_PROGRESS


def test_outsider_gets_404_like_absent(w, items):
    a, _b, c = items
    outsider = _client(w.outsider)
    out = outsider.get(reverse("ledger_item", args=[a.uid]))
    absent = outsider.get(reverse("ledger_item", args=["00000000-0000-4000-8000-000000000000"]))
    assert out.status_code == absent.status_code == 404
    assert out.content == absent.content
    for name in ("ledger_assign", "ledger_follow_up", "ledger_close", "ledger_reopen"):
        response = outsider.post(reverse(name, args=[a.uid]), {"version": a.version, "reason": "recovered"})
        assert response.status_code == 404, name
    assert outsider.get(reverse("ledger_item", args=[c.uid])).status_code == 200


def test_close_assign_follow_up_reopen_through_the_pages(w, items):
    a, b, _c = items
    admin = _client(w.enterprise_admin)
    page = admin.get(reverse("ledger_item", args=[b.uid])).content.decode()
    # Owners on offer: the roles on the unit and above, never someone elsewhere in the group.
    assert 'value="tracker"' in page and 'value="e1_admin"' in page
    for elsewhere in ("grid_leader", "outsider", "segment_admin", "alice"):  # grid 1, E2, above, employee
        assert f'value="{elsewhere}"' not in page
    alices = admin.get(reverse("ledger_item", args=[a.uid])).content.decode()
    assert 'value="grid_leader"' in alices

    refused = admin.post(reverse("ledger_assign", args=[b.uid]), {"owner": "outsider", "version": 1})
    assert refused.status_code == 400 and "owner" in refused.content.decode()
    done = admin.post(reverse("ledger_assign", args=[b.uid]), {"owner": "tracker", "version": 1})
    assert done.status_code == 303 and done["Location"] == reverse("ledger_item", args=[b.uid])

    response = admin.post(reverse("ledger_follow_up", args=[b.uid]), {"version": 2, "temperature": "50"})
    assert response.status_code == 400 and "temperature" in response.content.decode()
    assert (
        admin.post(reverse("ledger_follow_up", args=[b.uid]), {"version": 2, "note": "ok"}).status_code == 303
    )

    no_reason = admin.post(reverse("ledger_close", args=[b.uid]), {"version": 3, "reason": ""})
    assert no_reason.status_code == 400 and "reason" in no_reason.content.decode()
    no_note = admin.post(reverse("ledger_close", args=[b.uid]), {"version": 3, "reason": "other"})
    assert no_note.status_code == 400
    assert (
        admin.post(
            reverse("ledger_close", args=[b.uid]),
            {"version": 3, "reason": "other", "note": "moved away", "evidence": "HR-2020-17"},
        ).status_code
        == 303
    )
    assert (
        admin.post(reverse("ledger_reopen", args=[b.uid]), {"version": 4, "note": "back"}).status_code == 303
    )
    b.refresh_from_db()
    assert b.state == State.OPEN and b.owner == w.tracker and b.version == 5
    assert list(b.events.values_list("type", flat=True)) == [
        Event.Type.OPENED,
        Event.Type.ASSIGNED,
        Event.Type.FOLLOW_UP,
        Event.Type.CLOSED,
        Event.Type.REOPENED,
    ]
    assert b.events.get(type=Event.Type.CLOSED).data["evidence"] == "HR-2020-17"


def test_a_stale_version_shows_the_fresh_state(w, items):
    a, _b, _c = items
    seen = a.version
    actions.close_item(w.grid_leader, a, reason=CloseReason.RECOVERED, version=seen)  # someone else
    response = _client(w.enterprise_admin).post(
        reverse("ledger_follow_up", args=[a.uid]), {"version": seen, "note": "called"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this item" in html or "其他人" in html
    assert response.context["item"].state == State.CLOSED
    # The fresh page offers reopening, with the new version.
    assert reverse("ledger_reopen", args=[a.uid]) in html
    assert f'name="version" value="{seen + 1}"' in html


def test_a_stale_version_on_an_open_item_is_409(w, items):
    _a, b, _c = items
    actions.follow_up(w.enterprise_admin, b, note="first", version=b.version)
    response = _client(w.enterprise_admin).post(
        reverse("ledger_close", args=[b.uid]), {"version": 1, "reason": "recovered"}
    )
    assert response.status_code == 409 and response.context["stale"]
    b.refresh_from_db()
    assert b.state == State.IN_PROGRESS


def _sheet(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def test_export_is_the_filtered_list_masked_and_detail_only_for_the_officer(w, items):
    a, b, _c = items
    w.alice.refresh_from_db()
    secrets = {w.alice.id_number, w.alice.mobile, w.bob.id_number, w.bob.mobile}
    officer = _sheet(_client(w.enterprise_admin).get(reverse("ledger_export")))
    header, rows = officer[0], officer[1:]
    assert len(header) == 15 and {r[0] for r in rows} == {str(a.uid), str(b.uid)}
    assert "38.9" in [r[11] for r in rows]
    assert AuditEntry.objects.filter(action="ledger.export_detail", actor="e1_admin").exists()

    leader = _sheet(_client(w.grid_leader).get(reverse("ledger_export"), {"overdue": "1"}))
    assert leader == leader[:1]  # alice's item is not overdue, bob's is not the leader's
    leader = _sheet(_client(w.grid_leader).get(reverse("ledger_export")))
    # The grid leader owns alice's item: it sees that row's detail.
    assert [r[0] for r in leader[1:]] == [str(a.uid)] and leader[1][11] == "38.9"

    segment = _sheet(_client(w.segment_admin).get(reverse("ledger_export"), {"unit": "E1"}))
    assert len(segment[0]) == 11  # no detail columns at all
    flat = " ".join(str(v) for row in officer + leader + segment for v in row)
    for secret in secrets:
        assert secret and secret not in flat
    assert "38.9" not in " ".join(str(v) for row in segment for v in row)
    assert _client(w.outsider).get(reverse("ledger_export"), {"unit": "E1"}).status_code == 404
