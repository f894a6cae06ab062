"""Isolation table for the unit reports routes (see tests/test_isolation_routes.py).

Pages and API calls name E1 by its unit code (the org table's `code` sample); the report type goes in
the query or body. The report type configuration pages are the group admin's (kind "group").
"""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from .common import Call, Sample


class _LazyType:
    """The shipped daily epidemic report, loaded on first use (a flushed database may lack it)."""

    absent = "no_such_type"

    @property
    def e1(self) -> str:
        from fangkong.reports.defaults import load_defaults

        load_defaults()
        return "epidemic_daily"

    own = e1


class _LazyReportDay:
    """A day on which E1 (and the outsider's E2) have a zero report, made on first use."""

    absent = "2030-01-10"

    def _made(self, code: str) -> str:
        from datetime import date

        from django.utils import timezone

        from fangkong.org.models import Unit
        from fangkong.reports.defaults import load_defaults
        from fangkong.reports.models import ReportType, UnitReport

        load_defaults()
        day = date(2030, 1, 10)
        UnitReport.objects.get_or_create(
            unit=Unit.objects.get(code=code),
            report_type=ReportType.objects.get(code="epidemic_daily"),
            period_start=day,
            defaults={
                "period_end": day,
                "zero": True,
                "submitted_at": timezone.now(),
                "updated_at": timezone.now(),
            },
        )
        return day.isoformat()

    @property
    def e1(self) -> str:
        return self._made("E1")

    @property
    def own(self) -> str:
        return self._made("E2")


class _LazyToday:
    """Today in E1's time zone, read when the call is made: submitting is for today's period, and a
    date fixed when the module was imported is yesterday's closed period after local midnight."""

    @property
    def e1(self) -> str:
        return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

    own = absent = e1


PARAMS: dict[str, Sample] = {
    "type_code": cast(Sample, _LazyType()),
    "today": cast(Sample, _LazyToday()),
    "report_day": cast(Sample, _LazyReportDay()),
}

_DAY = {"type": "epidemic_daily", "date": "2030-01-10"}
# Submitting is for today's period in E1's time zone: one not started yet, or closed, is refused.
_TODAY = "{today}"

PAGES: dict[str, Call] = {
    "reports_home": Call(kind="own"),
    "reports_form": Call("GET", _DAY),
    "reports_submit": Call(
        "POST", {**_DAY, "date": _TODAY, "on_site": "1", "isolated": "0", "new_confirmed": "0"}
    ),
    "reports_zero": Call("POST", {**_DAY, "confirm": "1"}),
    "reports_review": Call("GET", _DAY),
    "reports_accept": Call("POST", _DAY),
    "reports_return": Call("POST", {**_DAY, "comment": "check the headcount"}),
    "reports_excuse": Call("POST", {**_DAY, "reason": "closed for the holiday"}),
    "reports_unlock": Call("POST", {**_DAY, "reason": "network down"}),
    "reports_reporting": Call("GET", _DAY),
    "reports_compiled": Call("GET", {"date": "2030-01-10"}),
    "reports_compiled_export": Call("GET", {"date": "2030-01-10"}),
    "reports_types": Call(kind="group"),
    "reports_type_create": Call(
        "POST",
        {"code": "walk_type", "name_zh": "巡查", "name_en": "Walk"},
        kind="group",
        unserved="a type needs its field rows (422 without); success in tests/reports/test_views.py",
    ),
    "reports_type_edit": Call(kind="group"),
    "reports_type_save": Call(
        "POST",
        {"name_zh": "疫情防控日报", "name_en": "Daily"},
        kind="group",
        unserved="a type needs its field rows (422 without); success in tests/reports/test_views.py",
    ),
}

_BODY = {"type": "epidemic_daily", "date": "2030-01-10"}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/report-types"): Call(kind="public_list"),
    ("POST", "/api/v1/units/{code}/reports"): Call("POST", {**_BODY, "date": _TODAY, "zero": True}),
    ("GET", "/api/v1/units/{code}/reports/{type_code}/{report_day}"): Call(),
    ("GET", "/api/v1/units/{code}/reporting"): Call("GET", {"date": "2030-01-10"}),
    # Reviewing and excusing are the level above's (E1's segment admin).
    ("POST", "/api/v1/units/{code}/reports/review"): Call(
        "POST", {**_BODY, "date": "{report_day}", "decision": "accept"}, who="segment_admin"
    ),
    ("POST", "/api/v1/units/{code}/reports/excuse"): Call(
        "POST", {**_BODY, "date": "2030-01-17", "reason": "closed for the holiday"}, who="segment_admin"
    ),
    ("GET", "/api/v1/units/{code}/compiled"): Call("GET", {"date": "2030-01-10"}),
}
