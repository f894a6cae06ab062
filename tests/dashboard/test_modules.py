"""The reports, controls and safety figures on the dashboard equal those modules' own API answers."""

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.org.actions import ActionError

from .helpers import page_children, page_figures, populate


def _pct(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


@pytest.mark.django_db
def test_reporting_operations_and_incidents_equal_their_apis(w):
    from fangkong.controls.operating import set_operating_status
    from fangkong.reports.actions import submit_report
    from fangkong.reports.queries import report_type
    from fangkong.safety.actions import report_incident

    day = populate(w)
    try:
        submit_report("test", w.e2, report_type(None), day, zero=True)
    except ActionError:
        pass  # refused by its rules: the figures must agree all the same
    set_operating_status("test", w.e2, status="suspended", effective_from=day, reason="停产检修")
    report_incident(
        "test", unit=w.e1, kind="injury_minor", occurred_at=timezone.now(), place="一车间", description="擦伤"
    )
    client = Client()
    client.force_login(w.group_admin)
    html = client.get("/dashboard/units/G/", {"date": day.isoformat()}).content.decode()
    shown, children = page_figures(html), page_children(html)

    reporting = client.get("/api/v1/units/G/reporting", {"date": day.isoformat()}).json()
    assert shown["reporting_rate"] == _pct(reporting["submitted"], reporting["expected"])
    assert shown["on_time_rate"] == _pct(reporting["on_time"], reporting["expected"])
    assert shown["reports_missing"] == len(reporting["missing"])

    ops = client.get("/api/v1/units/G/operations", {"date": day.isoformat()}).json()
    assert shown["resume_rate"] == ops["rate"] == 50.0
    assert shown["not_resumed"] == len(ops["not_resumed"]) == 1
    assert children["S1"]["resume_rate"] == next(c["rate"] for c in ops["children"] if c["code"] == "S1")
    assert shown["risk_low"] + shown["risk_medium"] + shown["risk_high"] == ops["enterprises"]
    blocks = html.split('id="blocks"')[1].split("</section>")[0]
    assert "E2" in blocks  # the suspended enterprise holds the return-to-work rate back

    summary = client.get("/api/v1/units/G/incident-summary", {"date": day.isoformat()}).json()
    assert shown["incidents_30d"] == summary["incidents_30d"] == 1
    assert shown["serious_30d"] == summary["serious_30d"] == 0
