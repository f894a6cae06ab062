"""Issue 7, acceptance 5, in a real browser: the group admin raises a county to high risk; E1's
prevention officer sees the new measures in the plan's diff and attests one with an evidence file."""

import re

from django.test import Client
from playwright.sync_api import expect

MEASURE = "canteen.boxed"  # required at high only: new in the plan
TEXT = "停止堂食，改为盒饭分餐"


def test_group_admin_raises_a_region_and_the_enterprise_attests_with_evidence(
    w, desktop, phone, sign_in, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The first request of a process loads the translation catalogues and templates: seconds on a
    # loaded 2-core machine, longer than the browser's 5 s navigation timeout. Pay it outside.
    Client().get("/accounts/login/")

    admin = desktop.new_page()
    sign_in(admin, "group_admin", next_url="/controls/regions/")
    expect(admin).to_have_url(re.compile(r"/controls/regions/$"))
    admin.fill("input[name=region]", "110105")
    admin.select_option("select[name=level]", "high")
    admin.click("#set-level button[type=submit]")
    expect(admin).to_have_url(re.compile(r"/controls/regions/$"))
    expect(admin.locator("#in-force")).to_contain_text("110105")
    expect(admin.locator("#in-force [data-level=high]")).to_have_count(1)

    officer = phone.new_page()
    sign_in(officer, "e1_admin", next_url="/controls/units/E1/")
    expect(officer.locator("#level-now [data-level]")).to_have_attribute("data-level", "high")
    expect(officer.locator("#diff .added")).to_contain_text(TEXT)
    item = officer.locator(f'[id="m-{MEASURE}"]')
    expect(item).to_have_attribute("data-state", "pending")

    item.locator("select[name=state]").select_option("done")
    item.locator("input[name=note]").fill("食堂已改为盒饭")
    item.locator("input[name=evidence]").set_input_files(
        files=[{"name": "canteen.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff fake jpeg"}]
    )
    item.locator("button[type=submit]").click()

    item = officer.locator(f'[id="m-{MEASURE}"]')
    expect(item).to_have_attribute("data-state", "done")
    expect(item).to_contain_text("食堂已改为盒饭")
    link = item.locator("a.evidence")
    expect(link).to_have_count(1)
    with officer.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".jpg")
    # the ledger item for the new measure is closed by the attestation
    officer.goto("/ledger/?state=closed")
    expect(officer.locator("main")).to_contain_text(TEXT)
