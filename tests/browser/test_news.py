"""The news column in a real browser: E1's prevention officer publishes a post with a cover; alice
reads it on her phone (a reload does not count her twice) and comments; the officer approves the
comment from the moderation queue, and it is shown as approved."""

import re

from playwright.sync_api import expect

from fangkong.news.models import Post
from tests.route_tables.news import PNG


def test_publish_read_comment_and_moderate(w, desktop, phone, sign_in, tmp_path):
    cover = tmp_path / "cover.png"
    cover.write_bytes(PNG)
    officer = desktop.new_page()
    officer.request.get(
        "/accounts/login/", timeout=60_000
    )  # warm the live server up (first request imports a lot)
    sign_in(officer, "e1_admin", next_url="/news/new/")
    form = officer.locator("#publish")
    form.locator("select[name=unit]").select_option("E1")
    form.locator("select[name=category]").select_option("typical_deeds")
    form.locator("input[name=title]").fill("车间里的防疫守门人")
    form.locator("textarea[name=body]").fill(
        "## 每天清晨\n\n班组长**提前到岗**测温。\n\n<script>alert(1)</script>"
    )
    form.locator("input[name=cover]").set_input_files(str(cover))
    with officer.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(officer.locator("article h1")).to_have_text("车间里的防疫守门人")
    expect(officer.locator(".news-body strong")).to_have_text("提前到岗")
    expect(officer.locator(".news-body")).to_contain_text("<script>alert(1)</script>")  # shown, not run
    post = Post.objects.get()

    alice = phone.new_page()
    sign_in(alice, "alice", next_url="/news/")
    card = alice.locator(f".news-card[data-post='{post.uid}']")
    expect(card).to_contain_text("车间里的防疫守门人")
    width = alice.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the list scrolls sideways on a phone ({width}px)"
    with alice.expect_navigation():
        card.locator("h2 a").click()
    expect(alice.locator("img.cover")).to_be_visible()
    alice.reload()
    alice.reload()
    post.refresh_from_db()
    assert post.views == 2  # the officer (after publishing) and alice, however often she reloads
    alice.locator("#comments textarea[name=body]").fill("向守门人致敬!")
    with alice.expect_navigation():
        alice.locator("#comments button[type=submit]").click()
    expect(alice.locator("#comments")).to_contain_text("向守门人致敬")  # her own, pending

    officer.goto("/news/moderation/")
    item = officer.locator("#queue li").filter(has_text="向守门人致敬")
    with officer.expect_navigation():
        item.get_by_role("button", name=re.compile("通过|Approve")).click()
    expect(officer.locator("#queue")).not_to_contain_text("向守门人致敬")

    alice.reload()
    expect(alice.locator("#comments li.state-approved")).to_contain_text("向守门人致敬")
    post.refresh_from_db()
    assert post.views == 2
