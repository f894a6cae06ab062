"""Issue 6, acceptance 5, in a real browser: E1's admin submits a zero epidemic report (one click,
confirmed) and a production report with items; the segment admin returns the production report with
a comment; the group's completeness page shows the change."""

import re

from playwright.sync_api import expect

from fangkong.lib.dates import business_day
from fangkong.reports.defaults import load_defaults


def test_zero_report_items_return_and_group_completeness(w, phone, desktop, browser, live_server, sign_in):
    load_defaults()  # the live server's database is emptied between tests
    today = business_day(w.e1.timezone).isoformat()

    admin = phone.new_page()  # the enterprise admin reports from a phone
    sign_in(admin, "e1_admin", next_url="/reports/")
    admin.goto(f"/reports/units/E1/?type=epidemic_daily&date={today}")
    expect(admin.locator("#report-state")).to_have_attribute("data-state", "missing")
    expect(admin.locator("input[name=headcount]")).to_have_attribute("readonly", "")
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.click("#zero-button")
    expect(admin.locator("#report-state")).to_have_attribute("data-state", "submitted")
    expect(admin.locator("#zero-button")).to_be_visible()  # still correctable before review

    admin.goto(f"/reports/units/E1/?type=production_daily&date={today}")
    admin.fill("input[name=output_value]", "120.5")
    admin.fill("input[name=capacity_rate]", "85")
    admin.fill("input[name=workers_on_site]", "40")
    admin.select_option("select[name=stoppage]", "partial")
    admin.click("#submit-button")
    expect(admin.locator("#report-state")).to_have_attribute("data-state", "submitted")
    expect(admin.locator("input[name=output_value]")).to_have_value("120.5")

    group = desktop.new_page()
    sign_in(group, "group_admin", next_url="/reports/")
    group.goto(f"/reports/units/G/reporting/?type=production_daily&date={today}")
    expect(group.locator("#submitted")).to_contain_text(re.compile(r"^1\b"))
    expect(group.locator("#returned")).to_have_text("0")

    reviewer = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    reviewer.set_default_timeout(5_000)
    segment = reviewer.new_page()
    sign_in(segment, "segment_admin", next_url="/reports/")
    segment.goto(f"/reports/units/S1/review/?type=production_daily&date={today}")
    row = segment.locator("#row-E1")
    row.locator("input[name=comment]").fill("产值与日报不符，请核实")
    row.get_by_role("button", name=re.compile("退回|Return")).click()
    expect(segment.locator("#row-E1")).to_contain_text("产值与日报不符")

    group.reload()
    expect(group.locator("#submitted")).to_contain_text(re.compile(r"^0\b"))
    expect(group.locator("#returned")).to_have_text("1")
    expect(group.locator("#missing")).to_contain_text("第一企业")
    group.goto(f"/reports/units/G/reporting/?type=epidemic_daily&date={today}")
    expect(group.locator("#zero")).to_contain_text(re.compile(r"^1\b"))

    admin.goto(f"/reports/units/E1/?type=production_daily&date={today}")
    expect(admin.locator("#report-state")).to_have_attribute("data-state", "returned")
    expect(admin.locator("#review-comment")).to_contain_text("产值与日报不符")
    reviewer.close()
