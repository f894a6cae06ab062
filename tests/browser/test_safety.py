"""Safety and environment in a real browser: E1's enterprise admin reports an incident from a phone,
then an inspector records a visit with the 15-aspect checklist and a finding with a photo, and the
enterprise admin finds the rectification in the ledger."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.ledger.models import Item, Kind
from fangkong.safety.models import Finding, Incident

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _wall(delta: timedelta) -> str:
    return (timezone.now().astimezone(ZoneInfo("Asia/Shanghai")) + delta).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_admin_reports_an_incident_and_inspector_records_a_visit_with_a_finding(
    w, phone, desktop, sign_in, tmp_path
):
    # --- E1's prevention officer, on a phone: report a minor injury -------------------------------
    page = phone.new_page()
    sign_in(page, "e1_admin", next_url="/safety/incidents/new/%3Funit%3DE1-G1")
    expect(page).to_have_url(re.compile(r"/safety/incidents/new/"))
    form = page.locator("#report-form")
    assert form.bounding_box()["width"] <= 375  # fits the phone's screen
    page.select_option("select[name=kind]", "injury_minor")
    page.fill("input[name=occurred_at]", _wall(-timedelta(minutes=20)))
    page.fill("input[name=place]", "一车间冲压线")
    page.fill("textarea[name=description]", "上料时左手食指被划伤")
    page.fill("input[name=people_affected]", "1")
    page.fill("textarea[name=immediate_actions]", "现场包扎后送医")
    page.click("#report-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/safety/incidents/[0-9a-f-]{36}/$"))
    expect(page.locator("main")).to_contain_text("一车间冲压线")
    expect(page.locator("#late-flag")).to_have_count(0)
    incident = Incident.objects.get()
    assert (incident.unit.code, incident.late, incident.people_affected) == ("E1-G1", False, 1)

    # --- the inspector, at a desk: a visit to E1 with one issue on the checklist ------------------
    inspector = desktop.new_page()
    sign_in(inspector, "inspector", next_url="/safety/visits/new/%3Funit%3DE1")
    lines = inspector.locator(".check-line")
    expect(lines).to_have_count(15)
    inspector.check("input[name=check_masks_ppe][value=issue]")
    inspector.fill("input[name=note_masks_ppe]", "二车间有人未戴口罩")
    inspector.click("#visit-form button[type=submit]")
    expect(inspector).to_have_url(re.compile(r"/safety/visits/[0-9a-f-]{36}/$"))

    photo = tmp_path / "口罩.png"
    photo.write_bytes(PNG)
    inspector.select_option("#finding-form select[name=aspect]", "masks_ppe")
    inspector.fill("#finding-form textarea[name=description]", "二车间3人未佩戴口罩")
    inspector.fill("#finding-form input[name=deadline]", _wall(timedelta(days=3)))
    inspector.set_input_files("#finding-form input[name=files]", str(photo))
    inspector.click("#finding-form button[type=submit]")
    expect(inspector.locator("ul.findings")).to_contain_text("二车间3人未佩戴口罩")
    finding = Finding.objects.get()
    assert finding.attachments.count() == 1
    assert finding.item.kind == Kind.INSPECTION_FINDING

    # --- back on the phone: the officer owns the rectification item in the ledger -----------------
    page.goto("/ledger/?kind=inspection_finding")
    expect(page.locator("table.ledger tbody")).to_contain_text("二车间3人未佩戴口罩")
    assert Item.objects.get(kind=Kind.INSPECTION_FINDING).owner.username == "e1_admin"
