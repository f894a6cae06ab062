"""Donations: money and goods, totals by unit and recipient, computed coverage, the receipt PDF."""

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from fangkong.org.actions import ActionError
from fangkong.supplies import actions, queries, receipts
from fangkong.supplies.models import Donation, Stock, SupplyItem
from tests.factories import person

pytestmark = pytest.mark.django_db


def give(w, *, unit=None, person_=None, amount="100", to="武汉市慈善总会"):
    return actions.record_donation(
        w.enterprise_admin,
        unit=unit or w.e1,
        direction="given",
        kind="money",
        counterparty=to,
        purpose="抗击疫情",
        amount=amount,
        person=person_,
    )


def test_coverage_is_the_share_of_the_subtree_roster_that_gave(w):
    for i in range(2):  # E1 has alice, bob and two more: 4 people
        person(w.grid1, f"X{i}")
    give(w, person_=w.alice, amount="200")
    give(w, person_=w.alice, amount="50")  # twice: still one donor
    give(w, person_=w.bob, amount="100")
    give(w)  # the enterprise itself: not a person
    cov = queries.coverage(w.e1)
    assert (cov.donors, cov.roster, cov.rate) == (2, 4, Decimal("50.0"))
    grid = queries.coverage(w.grid1)  # alice, X0, X1
    assert (grid.donors, grid.roster) == (1, 3)
    assert queries.coverage(w.e2).rate == 0  # carol gave nothing


def test_a_person_must_be_on_the_unit_roster(w):
    with pytest.raises(ActionError) as exc:
        give(w, unit=w.grid2, person_=w.alice)
    assert exc.value.field == "person"


def test_totals_by_unit_and_by_recipient(w):
    give(w, person_=w.alice, amount="200.50")
    give(w, amount="10000", to="湖北省红十字会")
    give(w, unit=w.e2, amount="3000", to="湖北省红十字会")
    actions.record_donation(
        w.enterprise_admin, unit=w.e1, direction="received", kind="money", counterparty="校友会", amount="800"
    )
    rows = {r["unit"].code: r for r in queries.totals_by_unit(w.segment)}
    assert rows["E1"]["given"] == Decimal("10200.50") and rows["E1"]["received"] == Decimal("800")
    assert rows["E2"]["given"] == Decimal("3000")
    by_recipient = {r["counterparty"]: r["money"] for r in queries.totals_by_recipient(w.segment)}
    assert by_recipient == {"湖北省红十字会": Decimal("13000"), "武汉市慈善总会": Decimal("200.50")}


@pytest.mark.parametrize(
    ("amount", "message"), [("0", "more than zero"), ("1.234", "two decimals"), ("abc", "amount")]
)
def test_bad_amounts_are_refused_on_the_amount_field(w, amount, message):
    with translation.override("en"), pytest.raises(ActionError) as exc:
        give(w, amount=amount)
    assert exc.value.field == "amount" and message in str(exc.value)


def test_goods_of_the_item_list_move_the_enterprise_stock(w):
    masks = SupplyItem.objects.get(code="mask_n95")
    actions.record_donation(
        w.enterprise_admin,
        unit=w.e1,
        direction="received",
        kind="goods",
        counterparty="某校友",
        item=masks,
        quantity=300,
    )
    actions.record_donation(
        w.enterprise_admin,
        unit=w.e1,
        direction="given",
        kind="goods",
        counterparty="社区",
        item=masks,
        quantity=100,
    )
    assert Stock.objects.get(enterprise=w.e1, item=masks).quantity == 200
    with pytest.raises(ActionError) as exc:  # more than held: refused, and no donation is left behind
        actions.record_donation(
            w.enterprise_admin,
            unit=w.e1,
            direction="given",
            kind="goods",
            counterparty="社区",
            item=masks,
            quantity=201,
        )
    assert exc.value.field == "quantity"
    assert Donation.objects.count() == 2


@pytest.mark.skipif(not receipts.font_path().is_file(), reason="fonts-wqy-microhei is not installed")
def test_the_receipt_is_a_pdf_with_the_chinese_text_embedded(w, tmp_path):
    donation = give(w, person_=w.alice, amount="1234.50", to="武汉市慈善总会")
    pdf = receipts.receipt_pdf(donation)
    assert pdf.startswith(b"%PDF")
    assert b"FontFile2" in pdf  # the TrueType font is embedded, not referenced
    if shutil.which("pdftotext"):
        path = tmp_path / "r.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        for expected in ("捐赠收据", "艾丽", "武汉市慈善总会", "1,234.50", donation.receipt_no):
            assert expected in text


def test_without_the_font_the_receipt_fails_with_a_clear_message(w, settings, monkeypatch):
    from reportlab.pdfbase import pdfmetrics

    monkeypatch.setattr(pdfmetrics, "getRegisteredFontNames", lambda: [])
    settings.CJK_FONT = str(Path("/nonexistent/font.ttc"))
    with pytest.raises(receipts.FontMissing, match="fonts-wqy-microhei"):
        receipts.receipt_pdf(give(w))
