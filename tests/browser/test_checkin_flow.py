"""Issue 4, acceptance 6, in a real browser: an employee signs in on a phone-sized screen, submits a
check-in, sees the card turn red for 38.2 °C, and the grid leader sees the person's item (and not
the temperature: minimum disclosure)."""

import colorsys
import re

from django.utils import translation
from playwright.sync_api import Page, expect

from fangkong.checkins.views.h5 import card_text

TEMPERATURE = "38.2"


def rgb(page: Page, selector: str, prop: str) -> tuple[int, ...]:
    value = page.eval_on_selector(selector, f"el => getComputedStyle(el).{prop}")
    return tuple(int(n) for n in re.findall(r"\d+", value)[:3])


def assert_reddish(colour: tuple[int, ...]) -> None:
    """A red hue (pale or deep), not a grey: the card's tint and border, whatever the exact shade."""
    hue, _lightness, saturation = colorsys.rgb_to_hls(*(c / 255 for c in colour))
    assert saturation > 0.4 and (hue < 0.04 or hue > 0.96), f"rgb{colour} is not red"


def browser_storage(page: Page) -> dict:
    """Everything the page could have left behind in the browser besides the session cookie."""
    return page.evaluate(
        """async () => ({
            local: Object.entries(localStorage),
            session: Object.entries(sessionStorage),
            caches: 'caches' in window ? await caches.keys() : [],
            cookies: document.cookie,
        })"""
    )


def test_fever_turns_the_card_red_and_the_grid_leader_sees_the_item(w, phone, desktop, sign_in):
    with translation.override("zh-hans"):
        red_text, green_text = card_text("red"), card_text("green")

    # --- alice, on her phone: password sign-in, then the H5 page --------------------------------
    page = phone.new_page()
    sign_in(page, "alice", next_url="/h5/")
    expect(page).to_have_url(re.compile(r"/h5/$"))
    expect(page.locator("main")).to_contain_text("艾丽")
    expect(page.locator("#today-card .hcard")).not_to_have_attribute("data-card", "red")

    page.fill("input[name=temperature]", TEMPERATURE)
    page.click("#send")

    result = page.locator("#result .hcard")
    expect(result).to_have_attribute("data-card", "red")
    expect(result).to_have_class(re.compile(r"\bhcard-red\b"))
    expect(result.locator(".hcard-title")).to_have_text(red_text)
    expect(result).not_to_contain_text(green_text)
    assert_reddish(rgb(page, "#result .hcard", "borderTopColor"))
    assert_reddish(rgb(page, "#result .hcard", "backgroundColor"))
    expect(page.locator("#today-card .hcard")).to_have_attribute("data-card", "red")
    expect(page.locator("input[name=temperature]")).to_have_value("")  # the form was reset

    stored = browser_storage(page)
    # htmx (base.html) keeps the current path in sessionStorage; no page content may be kept
    kept = " ".join(f"{k}={v}" for k, v in stored["local"] + stored["session"]) + stored["cookies"]
    for health_data in (TEMPERATURE, "38,2", "temperature", "hcard", "艾丽", "A0001", red_text):
        assert health_data not in kept, f"{health_data!r} left in the browser: {stored}"
    assert stored["caches"] == []

    # the card is the server's, not only the script's: a reload shows it again
    page.reload()
    expect(page.locator("#today-card .hcard")).to_have_attribute("data-card", "red")
    expect(page.locator("#today-card .hcard-title")).to_have_text(red_text)

    # --- the grid leader, at a desk: the ledger list has alice's item, without her temperature ----
    leader = desktop.new_page()
    sign_in(leader, "grid_leader", next_url="/ledger/")
    expect(leader).to_have_url(re.compile(r"/ledger/$"))
    rows = leader.locator("table.ledger tbody tr")
    alice_row = rows.filter(has_text="A0001")
    expect(alice_row).to_have_count(1)
    expect(alice_row).to_contain_text("艾丽")
    expect(alice_row).to_contain_text("一车间")
    expect(alice_row).to_contain_text("grid_leader")  # owner: the grid leader is the first tracker
    assert TEMPERATURE not in leader.inner_text("body")
    assert TEMPERATURE not in leader.content()
