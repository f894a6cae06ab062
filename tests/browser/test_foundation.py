"""Foundation acceptance 1, in a real browser: the accounts sign in, each seeing what its role should."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS

FULL_ID = re.compile(r"(?<![\d*])\d{17}[\dXx](?![\d*])")  # an unmasked 18-character ID number
MASKED_ID = re.compile(r"\b\d{3}\*{11}[\dX]{4}\b")


def assert_no_full_id(page: Page) -> None:
    """Neither the visible text nor the markup (attributes, hidden inputs) holds a whole ID number."""
    assert not FULL_ID.search(page.inner_text("body"))
    assert not FULL_ID.search(page.content())


def assert_fits_the_phone(page: Page) -> None:
    """Nothing widens the page past the 375 px screen (wide tables scroll inside their own box)."""
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"the page is {width} px wide on a {viewport} px screen"


def test_group_admin_drills_down_to_the_masked_roster(w, phone, sign_in):
    page = phone.new_page()
    sign_in(page, "group_admin")
    expect(page.locator("h1")).to_contain_text("您好")
    group_link = page.get_by_role("link", name="示例集团", exact=True)
    expect(group_link).to_have_attribute("href", "/units/G/")
    assert_fits_the_phone(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-phone-group-admin.png"), full_page=True)

    group_link.click()
    expect(page.locator("h1")).to_contain_text("示例集团")
    page.get_by_role("link", name="能源板块", exact=True).click()
    expect(page).to_have_url(re.compile(r"/units/S1/$"))
    page.get_by_role("link", name="第一企业", exact=True).click()
    expect(page).to_have_url(re.compile(r"/units/E1/$"))
    expect(page.locator("h1")).to_contain_text("第一企业")

    page.get_by_role("link", name="花名册", exact=True).click()
    expect(page).to_have_url(re.compile(r"/units/E1/people/$"))
    rows = page.locator("table.roster tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.roster")).to_contain_text("艾丽")
    expect(page.locator("table.roster")).to_contain_text("鲍勃")
    expect(page.locator("table.roster")).not_to_contain_text("卡萝")  # E2's, not below E1
    ids = [rows.nth(i).locator("td").nth(3).inner_text().strip() for i in range(2)]
    assert all(MASKED_ID.fullmatch(i) for i in ids), ids
    assert all(i.startswith("110***********") for i in ids), ids
    assert_no_full_id(page)
    assert_fits_the_phone(page)


def test_grid_leader_sees_its_grid_and_its_roster_only(w, phone, sign_in):
    page = phone.new_page()
    sign_in(page, "grid_leader")
    expect(page.get_by_role("link", name="一车间", exact=True)).to_have_attribute("href", "/units/E1-G1/")
    expect(page.locator("main")).not_to_contain_text("二车间")
    expect(page.locator("main")).not_to_contain_text("第一企业")

    page.get_by_role("link", name="花名册", exact=True).click()
    expect(page).to_have_url(re.compile(r"/units/E1-G1/people/$"))
    expect(page.locator("table.roster tbody tr")).to_have_count(1)
    expect(page.locator("table.roster")).to_contain_text("艾丽")
    expect(page.locator("table.roster")).not_to_contain_text("鲍勃")
    assert MASKED_ID.search(page.locator("table.roster").inner_text())
    assert_no_full_id(page)

    # the enterprise above the grid is out of its scope: the same 404 as a unit that does not exist
    response = page.goto("/units/E1/people/")
    assert response is not None and response.status == 404


def test_employee_sees_its_own_card_and_no_roster(w, phone, sign_in):
    page = phone.new_page()
    sign_in(page, "alice")
    card = page.locator("section.me")
    expect(card).to_contain_text("艾丽")
    expect(card).to_contain_text("A0001")
    expect(page.get_by_role("link", name="花名册")).to_have_count(0)
    assert page.locator("a[href*='/people/'], a[href^='/units/']").count() == 0
    expect(page.locator("main")).not_to_contain_text("鲍勃")
    assert_fits_the_phone(page)


def test_outsider_typing_a_unit_url_gets_the_404_page(w, desktop, sign_in):
    page = desktop.new_page()
    sign_in(page, "outsider")
    expect(page.get_by_role("link", name="第二企业", exact=True)).to_be_visible()

    response = page.goto("/units/E1/")
    assert response is not None and response.status == 404
    out_of_scope = response.text()
    expect(page.locator("h1")).to_have_text("未找到")
    expect(page.locator("main")).not_to_contain_text("第一企业")
    missing = page.goto("/units/NO-SUCH-UNIT/")
    assert missing is not None and missing.status == 404
    assert missing.text() == out_of_scope  # out of scope and absent are indistinguishable


def test_login_page_switches_to_english(w, phone):
    page = phone.new_page()
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("登录")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_label("User name")).to_be_visible()
    expect(page.get_by_role("button", name="中文")).to_be_visible()
