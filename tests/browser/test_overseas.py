"""Overseas projects in a real browser: E1's prevention officer creates a project in Pakistan, writes
the first version of its emergency plan, records a drill; when Pakistan's risk rises the project page
shows the plan activation, which is the officer's ledger item."""

import re

from playwright.sync_api import expect

from fangkong.overseas.hooks import on_country_risk_changed


def test_the_officer_keeps_a_project_and_sees_its_plan_activation(w, desktop, sign_in):
    page = desktop.new_page()
    page.request.get(
        "/accounts/login/", timeout=60_000
    )  # warm the live server up (first request imports a lot)
    sign_in(page, "e1_admin", next_url="/overseas/?unit=E1")
    form = page.locator("#new-project form")
    form.locator("input[name=name]").fill("卡拉奇电站项目")
    form.locator("select[name=country]").select_option("PK")
    form.locator("input[name=city]").fill("卡拉奇")
    form.locator("input[name=timezone]").fill("Asia/Karachi")
    form.locator("input[name=staff_cn]").fill("42")
    form.locator("input[name=staff_local]").fill("310")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/overseas/projects/[0-9a-f-]+/"))
    expect(page.locator("h1")).to_contain_text("卡拉奇电站项目")
    expect(page.locator("#staff-counts")).to_contain_text("42")

    plans = page.locator("#plans form")
    plans.locator("input[name=title]").fill("疫情防控应急预案")
    plans.locator("textarea[name=text]").fill("一、组织机构\n二、疑似病例处置")
    with page.expect_navigation():
        plans.locator("button[type=submit]").click()
    expect(page.locator("#plans li").first).to_contain_text("v1")

    drills = page.locator("#drills form")
    drills.locator("input[name=scenario]").fill("疑似病例隔离与转运")
    drills.locator("input[name=participants]").fill("18")
    drills.locator("textarea[name=findings]").fill("隔离点通风不足")
    with page.expect_navigation():
        drills.locator("button[type=submit]").click()
    expect(page.locator("table.drills")).to_contain_text("隔离点通风不足")

    on_country_risk_changed("controls", "PK", "medium", "high")
    page.reload()
    activation = page.locator("#activations li")
    expect(activation).to_contain_text("卡拉奇电站项目")
    with page.expect_navigation():
        activation.locator("a").click()
    expect(page).to_have_url(re.compile(r"/ledger/items/"))
    expect(page.locator("main")).to_contain_text("e1_admin")
