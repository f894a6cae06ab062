"""A business day is the enterprise's local day, whatever the server's time zone."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.org.models import Unit
from tests.factories import person, unit


def _checkin_at(p, local: datetime):
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal("36.5"), captured_at=local)
    ci, _ = submit_checkin("test", p, data, source="self", now=local + timedelta(minutes=1))
    return ci


@pytest.mark.parametrize("server_zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_midnight_splits_days_in_the_enterprise_zone(w, settings, server_zone, request):
    settings.TIME_ZONE = server_zone
    timezone.activate(ZoneInfo(server_zone))
    request.addfinalizer(timezone.deactivate)
    shanghai = ZoneInfo("Asia/Shanghai")
    before = _checkin_at(w.alice, datetime(2026, 3, 1, 23, 59, 59, tzinfo=shanghai))
    after = _checkin_at(w.alice, datetime(2026, 3, 2, 0, 0, 1, tzinfo=shanghai))
    assert (before.day, after.day) == (date(2026, 3, 1), date(2026, 3, 2))
    assert before.current and after.current and after.version == 1


def test_an_overseas_enterprise_uses_its_own_zone(w):
    karachi = ZoneInfo("Asia/Karachi")
    pk = unit("PK1", Unit.Kind.ENTERPRISE, w.segment, region_code="PK", tz="Asia/Karachi")
    worker = person(pk, "P0001", joined=date(2020, 1, 1))
    # 23:30 in Karachi is already the next day in Shanghai: it still counts for Karachi's day.
    ci = _checkin_at(worker, datetime(2026, 3, 1, 23, 30, tzinfo=karachi))
    assert ci.day == date(2026, 3, 1)
    ci2 = _checkin_at(worker, datetime(2026, 3, 2, 0, 30, tzinfo=karachi))
    assert ci2.day == date(2026, 3, 2)
