"""People missing N days in a row get one ledger item each, with a named owner, and never twice."""

import io
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.management import call_command

from fangkong.checkins.actions import CheckinData, add_exemption, submit_checkin
from fangkong.checkins.scan import open_missing_items
from fangkong.ledger.models import Event, Item, Kind
from tests.factories import person

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _checkin(p, day):
    at = datetime.combine(day, time(8), tzinfo=SHANGHAI)
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal("36.5"), captured_at=at)
    submit_checkin("test", p, data, source="self", now=at + timedelta(minutes=1))


def _items():
    return Item.objects.filter(kind=Kind.PERSON_MISSING)


def test_one_item_per_person_missing_both_days_and_not_twice(w):
    # alice: missing both days -> item. bob: reported on day 2. carol (E2): exempt day 1.
    _checkin(w.bob, D2)
    add_exemption("test", w.carol, start=D1, end=D1, reason="business_trip")
    newcomer = person(w.grid1, "N0001", name="新人", joined=D2)  # not expected on day 1
    result = open_missing_items(D2, 2)
    assert (result.missing, result.opened) == (1, 1)
    item = _items().get()
    assert item.person == w.alice and item.key == f"missing:{w.alice.pk}"
    assert item.owner == w.grid_leader  # the person's grid leader
    assert item.due_at == datetime(2026, 3, 3, 12, 0, tzinfo=SHANGHAI)
    assert "艾丽" in item.title and item.detail["days"] == ["2026-03-01", "2026-03-02"]
    assert Event.objects.filter(item=item, type=Event.Type.OPENED).count() == 1
    again = open_missing_items(D2, 2)
    assert (again.opened, again.already_open) == (0, 1)
    assert _items().count() == 1
    assert not _items().filter(person=newcomer).exists()


def test_the_owner_falls_back_to_the_prevention_officer(w):
    _checkin(w.alice, D1)
    _checkin(w.alice, D2)
    open_missing_items(D2, 2)
    bob = _items().get(person=w.bob)
    assert bob.owner == w.enterprise_admin  # grid2 has no grid leader
    assert _items().get(person=w.carol).owner == w.outsider  # E2's prevention officer


def test_n_days_comes_from_the_setting(w, settings):
    settings.MISSING_DAYS_ALERT = 3
    _checkin(w.alice, D1 - timedelta(days=1))  # alice reported three days back
    result = open_missing_items(D2)
    assert result.days == 3
    assert set(_items().values_list("person__employee_no", flat=True)) == {"B0001", "C0001"}


def test_the_scan_does_not_query_per_person(w, django_assert_max_num_queries):
    for n in range(30):
        person(w.grid1, f"M{n:04d}")
    open_missing_items(D2, 2)
    assert _items().count() == 33
    with django_assert_max_num_queries(6):  # enterprises, people, open keys: not one per person
        result = open_missing_items(D2, 2)
    assert result.already_open == 33


def test_the_cli_scans(w):
    out = io.StringIO()
    call_command("checkins", "scan-missing", "--date", D2.isoformat(), "--days", "2", stdout=out)
    assert "3 people missing every day; 3 items opened" in out.getvalue()
    call_command("checkins", "scan-missing", "--date", D2.isoformat(), stdout=out)
    assert "0 items opened, 3 already open" in out.getvalue()
