"""Report deadline − 1 h: the units that have not reported are reminded; at the deadline the level
above is told. In each unit's own zone; never a unit that has already reported."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fangkong.notify.models import Message
from fangkong.notify.ticker import tick
from fangkong.org.models import Unit
from fangkong.reports.actions import submit_report
from fangkong.reports.models import ReportType
from tests.factories import unit

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
DAY = date(2026, 3, 2)


def _got(prefix: str) -> set[str]:
    return set(Message.objects.filter(key__startswith=prefix).values_list("user__username", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("server_zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_report_reminders_and_escalation(w, settings, server_zone, request):
    settings.TIME_ZONE = server_zone
    timezone.activate(ZoneInfo(server_zone))
    request.addfinalizer(timezone.deactivate)
    rt = ReportType.objects.get(code="epidemic_daily")  # due 10:00 local, segments and enterprises report
    unit("E3", Unit.Kind.ENTERPRISE, w.segment, name="纽约公司", tz="America/New_York")
    submit_report(w.outsider, w.e2, rt, DAY, zero=True, now=datetime(2026, 3, 2, 8, 0, tzinfo=SH))

    tick(datetime(2026, 3, 2, 8, 59, tzinfo=SH), [])
    assert _got("reports.remind:epidemic_daily") == set()
    tick(datetime(2026, 3, 2, 9, 0, tzinfo=SH), [])
    # E1's admin and the segment's (S1 reports too); not E2's, which reported; E3 is on New York time.
    assert _got("reports.remind:epidemic_daily") == {"e1_admin", "segment_admin"}

    tick(datetime(2026, 3, 2, 10, 0, tzinfo=SH), [])
    # The level above: S1's admin hears of E1 (and E3 is not late yet); the group admin of S1.
    assert _got("reports.overdue:epidemic_daily") == {"segment_admin", "group_admin"}
    digest = Message.objects.get(key__startswith="reports.overdue:epidemic_daily", user=w.segment_admin)
    assert "E1" in digest.body and "E2" not in digest.body and "E3" not in digest.body

    tick(datetime(2026, 3, 2, 9, 0, tzinfo=NY), [])
    assert (
        Message.objects.filter(key="reports.remind:epidemic_daily:America/New_York:2026-03-02").count() == 1
    )
    tick(datetime(2026, 3, 2, 10, 0, tzinfo=NY), [])
    ny = Message.objects.get(key="reports.overdue:epidemic_daily:America/New_York:2026-03-02")
    assert ny.user == w.segment_admin and "E3" in ny.body and "E1" not in ny.body
    tick(datetime(2026, 3, 2, 10, 30, tzinfo=NY), [])  # nothing twice
    assert Message.objects.filter(key__startswith="reports.overdue:epidemic_daily:America").count() == 1
