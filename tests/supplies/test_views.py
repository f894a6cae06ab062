"""Supplies pages and API: scoped lists, forms with errors beside the field, XLSX, the receipt."""

import io

import openpyxl
import pytest
from django.test import Client

from fangkong.org.actions import create_token
from fangkong.supplies import actions
from fangkong.supplies.models import Stock, SupplyItem

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def masks() -> SupplyItem:
    return SupplyItem.objects.get(code="mask_surgical")


def test_the_officer_records_a_movement_and_sees_the_stock(w):
    c = client_for(w.enterprise_admin)
    r = c.post(
        "/supplies/units/E1/movements/", {"item": "mask_surgical", "kind": "received", "quantity": "800"}
    )
    assert r.status_code == 303
    page = c.get("/supplies/?unit=E1").content.decode()
    assert "医用外科口罩" in page or "surgical mask" in page
    assert "800" in page
    assert Stock.objects.get(enterprise=w.e1, item=masks()).quantity == 800


def test_an_overdraw_shows_the_error_beside_the_quantity(w):
    c = client_for(w.enterprise_admin)
    r = c.post("/supplies/units/E1/movements/", {"item": "mask_surgical", "kind": "issued", "quantity": "5"})
    assert r.status_code == 400
    assert 'id="error-quantity"' in r.content.decode()


def test_the_segment_reads_but_does_not_move_stock(w):
    c = client_for(w.segment_admin)
    assert c.get("/supplies/?unit=E1").status_code == 200
    r = c.post(
        "/supplies/units/E1/movements/", {"item": "mask_surgical", "kind": "received", "quantity": "1"}
    )
    assert r.status_code == 403


def test_employees_have_no_supplies_pages(w):
    assert client_for(w.employee).get("/supplies/").status_code == 404


def test_stock_export_is_xlsx_of_the_subtree_only(w):
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 10)
    actions.record_movement(w.outsider, w.e2, masks(), "received", 20)
    r = client_for(w.segment_admin).get("/supplies/stock.xlsx?unit=E1")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["E1"]
    assert rows[1][3] == 10


def test_donations_page_shows_coverage_and_records_a_gift(w):
    c = client_for(w.enterprise_admin)
    r = c.post(
        "/supplies/units/E1/donations/",
        {
            "direction": "given",
            "kind": "money",
            "counterparty": "武汉市慈善总会",
            "amount": "300",
            "employee_no": "A0001",
        },
    )
    assert r.status_code == 303
    page = c.get("/supplies/donations/?unit=E1").content.decode()
    assert "50.0 %" in page  # alice of alice and bob
    assert "武汉市慈善总会" in page
    r = c.post(
        "/supplies/units/E1/donations/",
        {"direction": "given", "kind": "money", "counterparty": "x", "amount": "-1"},
    )
    assert r.status_code == 400 and 'id="error-amount"' in r.content.decode()
    export = c.get("/supplies/donations.xlsx?unit=E1")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert len(list(sheet.iter_rows(values_only=True))) == 2


def test_receipt_is_served_as_pdf_to_the_admin_and_404_to_the_outsider(w):
    donation = actions.record_donation(
        w.enterprise_admin, unit=w.e1, direction="given", kind="money", counterparty="红十字会", amount="88"
    )
    r = client_for(w.enterprise_admin).get(f"/supplies/donations/{donation.uid}/receipt.pdf")
    assert r.status_code in (200, 503)
    if r.status_code == 200:
        assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert client_for(w.outsider).get(f"/supplies/donations/{donation.uid}/receipt.pdf").status_code == 404


def test_api_lists_are_paged_and_scoped(w):
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 700)
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "issued", 700)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.segment_admin)}")
    body = api.get("/api/v1/units/S1/supplies").json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["unit"] == "E1" and row["quantity"] == 0 and row["short"] is True
    actions.record_donation(
        w.enterprise_admin, unit=w.e1, direction="given", kind="money", counterparty="x", amount="5"
    )
    body = api.get("/api/v1/units/E1/donations").json()
    assert body["count"] == 1 and body["items"][0]["amount"] == "5.00"
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.outsider)}")
    assert outsider.get("/api/v1/units/E1/supplies").status_code == 404
