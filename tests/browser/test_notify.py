"""Issue 9 in a real browser: a grid leader on a phone sees the unread count in the header, opens the
inbox and the 10:00 digest of who has not checked in, and follows its link to the missing list."""

import re
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from fangkong.notify.ticker import tick


def test_grid_leader_reads_the_digest(w, phone, sign_in):
    # 10:00 today in Shanghai (the run computes "today" from it): alice has not checked in.
    now = (
        timezone.now()
        .astimezone(ZoneInfo("Asia/Shanghai"))
        .replace(hour=10, minute=0, second=0, microsecond=0)
    )
    tick(now, ["checkins.tell_grid_leaders"])

    page = phone.new_page()
    sign_in(page, "grid_leader", next_url="/ledger/")
    badge = page.locator("#nav-inbox .tag")
    expect(badge).to_have_text("1")

    page.click("#nav-inbox")
    expect(page).to_have_url(re.compile(r"/notify/$"))
    expect(page.locator("#unread-count")).to_contain_text("1")
    digest = page.locator("table.inbox tr.unread a")
    expect(digest).to_contain_text("1")

    digest.click()
    expect(page.locator("article h1")).to_contain_text("1")
    expect(page.locator("article")).to_contain_text("艾丽")
    # The page posted its read receipt (htmx, on load; a GET changes nothing): the count is gone.
    page.wait_for_load_state("networkidle")
    page.reload()
    expect(page.locator("#nav-inbox .tag")).to_have_count(0)

    page.click("article .actions a")
    expect(page).to_have_url(re.compile(r"/units/E1-G1/missing/\?date=" + now.date().isoformat()))
    expect(page.locator("main")).to_contain_text("艾丽")
