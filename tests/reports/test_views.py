"""The pages: report form (zero in one click, computed fields read-only), review, completeness with
drill-down, compilation and its XLSX, and the group admin's report type configuration."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from fangkong.lib.dates import business_day
from fangkong.reports.models import ReportType, UnitReport


def _as(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def today(w):
    return business_day(w.e1.timezone).isoformat()


def test_form_shows_computed_fields_read_only_and_a_zero_button(w, rt, today):
    page = _as(w.enterprise_admin).get(reverse("reports_form", args=["E1"]), {"date": today})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="headcount" value="2" readonly disabled' in html
    assert 'id="zero-button"' in html and 'data-state="missing"' in html


def test_zero_needs_confirmation_then_one_click(w, rt, today):
    client = _as(w.enterprise_admin)
    url = reverse("reports_zero", args=["E1"])
    client.post(url, {"type": "epidemic_daily", "date": today})
    assert not UnitReport.objects.exists()
    r = client.post(url, {"type": "epidemic_daily", "date": today, "confirm": "1"}, follow=True)
    assert UnitReport.objects.get(unit=w.e1).zero
    assert 'data-state="submitted"' in r.content.decode()


def test_bad_values_come_back_beside_the_field_and_nothing_is_saved(w, rt, today):
    r = _as(w.enterprise_admin).post(
        reverse("reports_submit", args=["E1"]),
        {"type": "epidemic_daily", "date": today, "on_site": "9", "isolated": "0", "new_confirmed": ""},
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert 'data-field="on_site"' not in html or "on_site &lt;= headcount" in html
    assert 'data-field="new_confirmed"' in html
    assert 'value="9"' in html  # what was typed is kept
    assert not UnitReport.objects.exists()


def test_segment_returns_a_report_and_completeness_shows_it(w, rt, today):
    _as(w.enterprise_admin).post(
        reverse("reports_submit", args=["E1"]),
        {"type": "epidemic_daily", "date": today, "on_site": "1", "isolated": "0", "new_confirmed": "0"},
    )
    seg = _as(w.segment_admin)
    review = seg.get(reverse("reports_review", args=["S1"]), {"date": today}).content.decode()
    assert 'id="row-E1"' in review and 'id="row-E2"' in review
    seg.post(
        reverse("reports_return", args=["E1"]),
        {"type": "epidemic_daily", "date": today, "comment": "recount"},
    )
    assert UnitReport.objects.get(unit=w.e1).state == "returned"
    page = _as(w.group_admin).get(reverse("reports_reporting", args=["G"]), {"date": today}).content.decode()
    assert 'id="submitted">0' in page and 'id="returned">1' in page
    assert "退回修改" in page and reverse("reports_reporting", args=["S1"]) in page  # drill-down
    # the enterprise admin reads the comment on its form
    form = _as(w.enterprise_admin).get(reverse("reports_form", args=["E1"]), {"date": today}).content.decode()
    assert "recount" in form


def test_enterprise_admin_cannot_review_its_own_report(w, rt, today):
    client = _as(w.enterprise_admin)
    client.post(
        reverse("reports_zero", args=["E1"]), {"type": "epidemic_daily", "date": today, "confirm": "1"}
    )
    client.post(reverse("reports_accept", args=["E1"]), {"type": "epidemic_daily", "date": today})
    assert UnitReport.objects.get(unit=w.e1).state == "submitted"


def test_compiled_table_and_xlsx(w, rt, today):
    _as(w.enterprise_admin).post(
        reverse("reports_submit", args=["E1"]),
        {"type": "epidemic_daily", "date": today, "on_site": "2", "isolated": "1", "new_confirmed": "0"},
    )
    client = _as(w.segment_admin)
    assert (
        "第一企业" in client.get(reverse("reports_compiled", args=["S1"]), {"date": today}).content.decode()
    )
    r = client.get(reverse("reports_compiled_export", args=["S1"]), {"date": today})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    on_site = next(i for i, h in enumerate(rows[0]) if h and str(h).endswith("在岗人数"))
    assert [r[on_site] for r in rows if r[0] == "E1"] == [2]


def test_type_configuration_is_the_group_admins(w, rt):
    assert _as(w.segment_admin).get(reverse("reports_types")).status_code == 404
    client = _as(w.group_admin)
    assert client.get(reverse("reports_types")).status_code == 200
    data = {
        "code": "masks_daily",
        "name_zh": "口罩日报",
        "name_en": "Masks",
        "category": "epidemic",
        "period": "daily",
        "deadline": "12:00",
        "deadline_offset_days": "0",
        "closing": "00:00",
        "closing_offset_days": "1",
        "assign_kinds": ["enterprise"],
        "rules": "used <= stock",
        "field-0-code": "stock",
        "field-0-label_zh": "库存",
        "field-0-kind": "integer",
        "field-0-rollup": "sum",
        "field-1-code": "used",
        "field-1-label_zh": "消耗",
        "field-1-kind": "integer",
        "field-1-rollup": "sum",
    }
    bad = client.post(reverse("reports_type_create"), {**data, "field-1-kind": "text"})
    assert bad.status_code == 422 and not ReportType.objects.filter(code="masks_daily").exists()
    assert "只有数字可以汇总" in bad.content.decode()  # the default language is Chinese
    ok = client.post(reverse("reports_type_create"), data)
    assert ok.status_code == 302
    rt2 = ReportType.objects.get(code="masks_daily")
    assert [f.code for f in rt2.ordered_fields()] == ["stock", "used"] and rt2.rules == ["used <= stock"]
    edit = client.get(reverse("reports_type_edit", args=["masks_daily"]))
    assert 'value="stock"' in edit.content.decode()
