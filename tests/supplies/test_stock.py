"""Stock movements, the never-negative rule, days of cover and the shortage ledger item."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from fangkong.ledger.models import Item, Kind, State
from fangkong.lib.dates import business_day
from fangkong.org.actions import ActionError
from fangkong.supplies import actions
from fangkong.supplies.cover import cover_of
from fangkong.supplies.models import Movement, Stock, SupplyItem

pytestmark = pytest.mark.django_db


def masks() -> SupplyItem:
    return SupplyItem.objects.get(code="mask_surgical")


def test_the_item_list_is_shipped_data_in_chinese_and_english():
    codes = set(SupplyItem.objects.values_list("code", flat=True))
    assert {"mask_surgical", "mask_n95", "suit", "goggles", "thermometer", "disinfectant_84"} <= codes
    assert masks().name == "医用外科口罩" and masks().name_en == "surgical mask"


def test_movements_move_stock_and_keep_a_running_balance(w):
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 500, counterpart="国药集团")
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "issued", 120, counterpart="一车间")
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "donated_out", 30)
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "adjusted", -5, note="盘点")
    stock = Stock.objects.get(enterprise=w.e1, item=masks())
    assert stock.quantity == 345
    assert list(Movement.objects.order_by("pk").values_list("quantity", "balance")) == [
        (500, 500),
        (-120, 380),
        (-30, 350),
        (-5, 345),
    ]


def test_issuing_more_than_the_stock_is_refused_and_changes_nothing(w):
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 10)
    with pytest.raises(ActionError) as exc:
        actions.record_movement(w.enterprise_admin, w.e1, masks(), "issued", 11)
    assert exc.value.field == "quantity"
    assert "10" in str(exc.value)
    assert Stock.objects.get(enterprise=w.e1, item=masks()).quantity == 10
    assert Movement.objects.count() == 1
    with pytest.raises(ActionError):
        actions.record_movement(w.enterprise_admin, w.e1, masks(), "adjusted", -11)


def test_the_database_itself_refuses_a_negative_stock(w):
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(enterprise=w.e1).update(quantity=-1)


@pytest.mark.parametrize(
    ("kind", "quantity", "field"),
    [
        ("issued", 0, "quantity"),
        ("issued", -3, "quantity"),
        ("received", "x", "quantity"),
        ("stolen", 1, "kind"),
    ],
)
def test_bad_movements_name_their_field(w, kind, quantity, field):
    with pytest.raises(ActionError) as exc:
        actions.record_movement(w.enterprise_admin, w.e1, masks(), kind, quantity)
    assert exc.value.field == field


def test_stock_is_kept_per_enterprise_not_per_grid(w):
    with pytest.raises(ActionError) as exc:
        actions.record_movement(w.enterprise_admin, w.grid1, masks(), "received", 5)
    assert exc.value.field == "unit"


def test_days_of_cover_divide_the_stock_by_the_average_issue_of_the_last_seven_days(w):
    today = business_day(w.e1.timezone)
    actions.record_movement(
        w.enterprise_admin, w.e1, masks(), "received", 2000, day=today - timedelta(days=9)
    )
    # 100 a day for 7 days in the window, plus an issue 8 days ago that is outside it
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "issued", 500, day=today - timedelta(days=8))
    for d in range(7):
        actions.record_movement(
            w.enterprise_admin, w.e1, masks(), "issued", 100, day=today - timedelta(days=d)
        )
    # donations out are not use
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "donated_out", 100)
    stock = Stock.objects.get(enterprise=w.e1, item=masks())
    assert stock.quantity == 2000 - 500 - 700 - 100
    cover = cover_of(stock)
    assert cover.daily_use == 100
    assert cover.days == 7  # 700 / 100
    assert not cover.short  # exactly at the target of 7 days


def test_nothing_used_means_no_cover_figure_and_no_shortage(w):
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 5)
    cover = cover_of(Stock.objects.get(enterprise=w.e1, item=masks()))
    assert cover.days is None and not cover.short


def shortage_items():
    return Item.objects.filter(kind=Kind.SUPPLY_SHORTAGE)


def test_falling_below_the_cover_opens_one_shortage_item_and_restoring_it_closes_it(w):
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 1000)
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "issued", 350)  # 50/day, 650 left: 13 days
    assert not shortage_items().exists()
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "issued", 350)  # 100/day, 300 left: 3 days
    item = shortage_items().get()
    assert item.state == State.OPEN
    assert item.unit == w.e1 and item.owner == w.enterprise_admin
    assert item.detail["cover_days"] == "3.0"
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "adjusted", -10)  # still short: same item
    assert shortage_items().count() == 1
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 500)  # 790 left: 7.9 days
    item.refresh_from_db()
    assert item.state == State.CLOSED and item.close_reason == "resolved"


def test_the_cover_target_is_configurable_per_stock(w):
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 1000)
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "issued", 700)  # 100/day, 300 left: 3 days
    assert shortage_items().filter(state=State.OPEN).exists()
    actions.set_cover_days(w.enterprise_admin, w.e1, masks(), 2)
    assert not shortage_items().filter(state=State.OPEN).exists()
    with pytest.raises(ActionError) as exc:
        actions.set_cover_days(w.enterprise_admin, w.e1, masks(), 0)
    assert exc.value.field == "cover_days"


def test_the_daily_scan_opens_the_shortages_that_no_movement_revealed(w):
    """A scheduled job (06:00, once for the group) reviews every stock: a shortage that appeared
    without a movement (here a target raised behind the actions' back) gets its item that morning."""
    from datetime import time

    from fangkong.lib.dates import local_time
    from fangkong.notify import schedule
    from fangkong.notify.models import Run
    from fangkong.supplies import jobs

    actions.record_movement(w.enterprise_admin, w.e1, masks(), "received", 1000)
    actions.record_movement(w.enterprise_admin, w.e1, masks(), "issued", 350)  # 50/day: 13 days of cover
    Stock.objects.filter(enterprise=w.e1, item=masks()).update(cover_days=30)
    assert not shortage_items().exists()
    job = schedule.job(jobs.JOB)
    assert (job.per, job.default_time) == ("global", time(6, 0))

    at = local_time("Asia/Shanghai", business_day("Asia/Shanghai"), time(6, 1))
    ran = schedule.run_due(at, names=[jobs.JOB])

    assert [(r.job, r.state) for r in ran] == [(jobs.JOB, Run.State.DONE)]
    assert shortage_items().get().unit == w.e1
