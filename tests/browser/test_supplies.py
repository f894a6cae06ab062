"""Supplies in a real browser: E1's prevention officer receives and issues masks until the stock is
short (the row is flagged and a shortage item is in the ledger), then records an employee's donation,
sees the coverage, and opens the receipt."""

import re

from playwright.sync_api import expect

from fangkong.ledger.models import Item, Kind
from fangkong.supplies.catalogue import load_items
from fangkong.supplies.models import SupplyItem


def test_the_officer_keeps_stock_and_records_a_donation(w, desktop, sign_in):
    load_items(SupplyItem)  # the migration's rows are gone after an earlier browser test's flush
    page = desktop.new_page()
    page.request.get(
        "/accounts/login/", timeout=60_000
    )  # warm the live server up (first request imports a lot)
    sign_in(page, "e1_admin", next_url="/supplies/?unit=E1")
    expect(page).to_have_url(re.compile(r"/supplies/\?unit=E1$"))

    form = page.locator("#move form")
    form.locator("select[name=item]").select_option("mask_surgical")
    form.locator("select[name=kind]").select_option("received")
    form.locator("input[name=quantity]").fill("100")
    form.locator("input[name=counterpart]").fill("国药控股")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator("table.supplies tr[data-item=mask_surgical]")
    expect(row.locator(".stock-qty")).to_contain_text("100")

    # issuing more than the stock is refused beside the quantity
    form = page.locator("#move form")
    form.locator("select[name=kind]").select_option("issued")
    form.locator("input[name=quantity]").fill("101")
    form.locator("button[type=submit]").click()
    expect(page.locator("#error-quantity")).to_be_visible()

    form = page.locator("#move form")
    form.locator("select[name=kind]").select_option("issued")
    form.locator("input[name=quantity]").fill("90")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator("table.supplies tr[data-item=mask_surgical]")
    expect(row).to_have_class(re.compile(r"\bshort\b"))
    expect(row.locator(".cover")).to_contain_text("0.8")  # 10 left, 90 / 7 a day
    assert Item.objects.filter(kind=Kind.SUPPLY_SHORTAGE, state="open").count() == 1

    # an employee's donation: coverage of E1's roster (alice and bob) is computed
    page.goto("/supplies/donations/?unit=E1")
    form = page.locator("#donate form")
    form.locator("select[name=direction]").select_option("given")
    form.locator("select[name=kind]").select_option("money")
    form.locator("input[name=counterparty]").fill("武汉市慈善总会")
    form.locator("input[name=employee_no]").fill("A0001")
    form.locator("input[name=amount]").fill("500")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#coverage")).to_contain_text("50.0 %")
    link = page.locator("table.donations a.mono").first
    expect(link).to_have_text(re.compile(r"^JZ\d{8}-"))
    response = page.request.get(link.get_attribute("href") or "")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
