"""Acceptance 1: frozen time in three server zones; the right people get each reminder, and nobody
who has already checked in. Times are each enterprise's own: E1 in Shanghai, E3 in New York."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.notify.models import Message, Run, Schedule
from fangkong.notify.ticker import tick
from fangkong.org.models import Role, Unit
from tests.factories import person, unit, user

SH = ZoneInfo("Asia/Shanghai")
# Only this module's check-in jobs: other modules register daily jobs of their own.
JOBS = ["checkins.remind_people", "checkins.tell_grid_leaders", "checkins.tell_enterprise_admin"]
NY = ZoneInfo("America/New_York")
DAY = (2026, 3, 2)


def _check_in(p, at: datetime) -> None:
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal("36.5"), captured_at=at)
    submit_checkin("test", p, data, source="self", now=at + timedelta(seconds=30))


def _with_user(p, username: str):
    p.user = user(username, Role.EMPLOYEE, p.unit)
    p.save(update_fields=["user"])
    return p.user


def _inbox(key_prefix: str) -> dict[str, Message]:
    return {
        m.user.username: m for m in Message.objects.filter(key__startswith=key_prefix).select_related("user")
    }


@pytest.fixture
def scene(w):
    bob = _with_user(w.bob, "bob")
    dave = person(w.grid1, "D0001", name="大卫")
    _with_user(dave, "dave")
    erin = person(w.grid1, "R0001", name="尔琳")  # no account: reachable only through her leader
    e3 = unit("E3", Unit.Kind.ENTERPRISE, w.segment, name="纽约公司", tz="America/New_York")
    e3_grid = unit("E3-G1", Unit.Kind.GRID, e3, name="纽约一组")
    dan = person(e3_grid, "N0001", name="丹")
    _with_user(dan, "dan")
    return {"w": w, "bob": bob, "dave": dave, "erin": erin, "e3": e3, "dan": dan}


@pytest.mark.django_db
@pytest.mark.parametrize("server_zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_checkin_reminders_reach_the_right_people(scene, settings, server_zone, request):
    settings.TIME_ZONE = server_zone
    timezone.activate(ZoneInfo(server_zone))
    request.addfinalizer(timezone.deactivate)
    w = scene["w"]
    _check_in(scene["dave"], datetime(*DAY, 8, 0, tzinfo=SH))

    assert tick(datetime(*DAY, 8, 29, tzinfo=SH), JOBS).runs == []

    tick(datetime(*DAY, 8, 30, tzinfo=SH), JOBS)
    # Everyone in E1 who can sign in and has not checked in; not dave; nobody in New York yet.
    assert set(_inbox("checkins.remind_people")) == {"alice", "bob"}

    _check_in(w.alice, datetime(*DAY, 9, 0, tzinfo=SH))
    tick(datetime(*DAY, 10, 0, tzinfo=SH), JOBS)
    digests = _inbox("checkins.tell_grid_leaders:E1")
    assert set(digests) == {"grid_leader"}  # grid 2 has no leader
    digest = digests["grid_leader"]
    assert "尔琳" in digest.body and "艾丽" not in digest.body and "大卫" not in digest.body
    assert digest.link == "/units/E1-G1/missing/?date=2026-03-02"

    tick(datetime(*DAY, 11, 0, tzinfo=SH), JOBS)
    admins = _inbox("checkins.tell_enterprise_admin:E1")
    assert set(admins) == {"e1_admin"}
    # erin (grid 1) and bob (grid 2), not alice or dave: the count per grid
    assert " 2 " in admins["e1_admin"].subject or "2 people" in admins["e1_admin"].subject
    assert "一车间: 1" in admins["e1_admin"].body and "二车间: 1" in admins["e1_admin"].body

    # 08:30 in New York is 21:30 in Shanghai: only dan, and E1's runs are not repeated.
    checkins = Message.objects.filter(key__startswith="checkins.")  # report deadlines run too
    before = checkins.count()
    ran = tick(datetime(*DAY, 8, 30, tzinfo=NY), JOBS).runs
    assert ran == ["checkins.remind_people:E3:2026-03-02"]
    assert checkins.count() == before + 1
    assert set(_inbox("checkins.remind_people:E3")) == {"dan"}


@pytest.mark.django_db
def test_someone_who_checks_in_after_scheduling_is_not_reminded(scene):
    """Suppression happens at send time: the run computes who is missing when it runs."""
    w = scene["w"]
    for p in (w.bob.user, scene["dave"].user):
        assert p is not None
    _check_in(w.alice, datetime(*DAY, 8, 29, 50, tzinfo=SH))
    tick(datetime(*DAY, 8, 30, tzinfo=SH), JOBS)
    assert set(_inbox("checkins.remind_people")) == {"bob", "dave"}


@pytest.mark.django_db
def test_enterprise_override_and_switch_off(scene):
    w = scene["w"]
    Schedule.objects.create(job="checkins.remind_people", unit=w.group, at="07:00")
    Schedule.objects.create(job="checkins.remind_people", unit=scene["e3"], at="09:15", enabled=False)
    tick(datetime(*DAY, 7, 0, tzinfo=SH), JOBS)
    assert set(_inbox("checkins.remind_people")) == {"alice", "bob", "dave"}
    tick(datetime(*DAY, 9, 15, tzinfo=NY), JOBS)
    assert not Run.objects.filter(key__startswith="checkins.remind_people:E3").exists()


@pytest.mark.django_db
def test_a_late_scheduler_does_not_send_the_morning_reminder_at_night(scene):
    tick(datetime(*DAY, 20, 0, tzinfo=SH), JOBS)
    assert not Message.objects.filter(key__startswith="checkins.remind_people:E1").exists()
