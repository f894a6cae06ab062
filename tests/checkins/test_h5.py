"""The employee's H5 check-in page: sign-in by password or personal link, submitting, replays."""

import re
import uuid
from pathlib import Path

from django.conf import settings
from django.test import Client

from fangkong.checkins.actions import issue_link, revoke_link
from fangkong.checkins.models import CheckIn
from fangkong.ledger.models import Item

H5 = "/h5/"


def _client(user=None) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        c.force_login(user)
    return c


def _form(**over):
    body = {
        "id": str(uuid.uuid4()),
        "temperature": "36.6",
        "where": "on_site",
        "location": "110105",
        "visited": "",
        "contact": "no",
        "note": "",
    }
    body.update(over)
    return body


def _link_client(token: str) -> Client:
    c = _client()
    c.get(f"/h5/l/{token}/")
    return c


def _form_id(html: str) -> str:
    return re.search(r'name="id" value="([0-9a-f-]{36})"', html).group(1)


def test_password_sign_in_shows_the_own_page_uncached(w):
    response = _client(w.employee).get(H5)
    assert response.status_code == 200
    body = response.content.decode()
    assert "艾丽" in body and "A0001" in body
    assert "Not checked in yet today." in body
    assert 'value="110105"' in body  # current location prefilled with the enterprise's region
    assert 'inputmode="decimal"' in body
    assert "no-store" in response["Cache-Control"]
    uuid.UUID(_form_id(body))  # the page carries a check-in id even without JavaScript


def test_anonymous_is_sent_to_sign_in(w):
    response = _client().get(H5)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/h5/")


def test_personal_link_signs_in_with_a_fresh_session(w):
    token = issue_link(w.grid_leader, w.alice)
    c = _client()
    c.get("/accounts/login/")  # an anonymous session cookie already there, as a phone may have one
    before = c.cookies.get(settings.SESSION_COOKIE_NAME)
    response = c.get(f"/h5/l/{token}/")
    assert response.status_code == 302 and response["Location"] == H5
    after = c.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after
    page = c.get(H5)
    assert page.status_code == 200 and "艾丽" in page.content.decode()


def test_a_link_replaces_whoever_was_signed_in(w):
    c = _client(w.grid_leader)
    c.get(f"/h5/l/{issue_link(w.grid_leader, w.alice)}/")
    c.post(H5, _form())
    checkin = CheckIn.objects.get()
    assert checkin.person == w.alice and checkin.source == "self"
    assert checkin.submitted_by is None  # the link's person, not the grid leader's account
    assert c.get("/").status_code == 302  # the grid leader's session is gone


def test_forged_and_replaced_links_are_refused(w):
    old = issue_link(w.grid_leader, w.alice)
    new = issue_link(w.grid_leader, w.alice)
    for token in (old, new[:-2] + "xx", "nonsense"):
        response = _client().get(f"/h5/l/{token}/")
        assert response.status_code == 403
        assert "Ask your grid leader for a new link." in response.content.decode()
        assert "艾丽" not in response.content.decode()
    assert _client().get(f"/h5/l/{new}/").status_code == 302


def test_revoking_a_link_ends_the_sessions_opened_with_it(w):
    token = issue_link(w.grid_leader, w.alice)
    c = _link_client(token)
    assert c.get(H5).status_code == 200
    revoke_link(w.grid_leader, w.alice)
    response = c.get(H5)
    assert response.status_code == 403 and "Ask your grid leader" in response.content.decode()
    assert c.post(H5, _form()).status_code in (302, 403)
    assert not CheckIn.objects.exists()
    assert _client().get(f"/h5/l/{token}/").status_code == 403


def test_fever_gives_a_red_card_and_opens_a_ledger_item(w):
    c = _client(w.employee)
    response = c.post(H5, _form(temperature="38.2"))
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert (checkin.card, checkin.source, checkin.submitted_by) == ("red", "self", w.employee)
    item = Item.objects.get()
    assert item.kind == "health_anomaly" and item.person == w.alice
    page = c.get(response["Location"]).content.decode()
    assert "hcard-red" in page and "Red card" in page  # colour and words


def test_script_gets_the_card_and_a_replay_does_not_duplicate(w):
    c = _client(w.employee)
    body = _form(temperature="38,2", symptoms=["cough"])  # a comma, as some phone keyboards type it
    first = c.post(H5, body, HTTP_ACCEPT="application/json")
    assert first.status_code == 201
    assert first.json()["card"] == "red" and first.json()["card_text"].startswith("Red card")
    again = c.post(H5, body, HTTP_ACCEPT="application/json")  # the answer was lost: resent, same id
    assert again.status_code == 200 and again.json()["replay"] is True
    assert again.json()["id"] == first.json()["id"]
    assert CheckIn.objects.count() == 1 and Item.objects.count() == 1


def test_plain_form_resubmitted_with_the_same_id_stores_one_check_in(w):
    c = _client(w.employee)
    body = _form()
    assert c.post(H5, body).status_code == 302
    assert c.post(H5, body).status_code == 302
    assert CheckIn.objects.count() == 1


def test_a_second_submission_the_same_day_is_an_amendment(w):
    c = _client(w.employee)
    c.post(H5, _form(temperature="38.2"))
    c.post(H5, _form(temperature="36.5"))
    current = CheckIn.objects.get(current=True)
    assert current.version == 2 and current.card == "green"
    page = c.get(H5).content.decode()
    assert "Green card" in page and "version 2" in page
    assert _form_id(page) not in {str(pk) for pk in CheckIn.objects.values_list("pk", flat=True)}


def test_errors_are_shown_next_to_their_field_and_keep_the_id(w):
    c = _client(w.employee)
    body = _form(temperature="43.5")
    response = c.post(H5, body)
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'data-error="temperature">must be between 34.0 and 43.0', html)
    assert _form_id(html) == body["id"]
    assert 'value="43.5"' in html
    bad_place = c.post(H5, _form(location="999999"), HTTP_ACCEPT="application/json")
    assert bad_place.status_code == 422 and "location" in bad_place.json()["errors"]
    not_a_number = c.post(H5, _form(temperature="hot"), HTTP_ACCEPT="application/json")
    assert not_a_number.status_code == 422 and "temperature" in not_a_number.json()["errors"]
    assert not CheckIn.objects.exists()


def test_same_id_with_other_values_asks_to_check_and_gets_a_new_id(w):
    c = _client(w.employee)
    body = _form()
    c.post(H5, body)
    response = c.post(H5, {**body, "temperature": "37.0"})
    assert response.status_code == 409
    assert _form_id(response.content.decode()) != body["id"]
    assert CheckIn.objects.count() == 1


def test_visited_places_and_contact_make_a_yellow_card(w):
    c = _client(w.employee)
    response = c.post(H5, _form(contact="yes", visited="420106, 310101"), HTTP_ACCEPT="application/json")
    assert response.json()["card"] == "yellow"
    assert CheckIn.objects.get().visited == ["420106", "310101"]


def test_nothing_but_the_session_is_kept_in_the_browser(w):
    c = _client(w.employee)
    c.get(H5)
    response = c.post(H5, _form(temperature="38.2"), HTTP_ACCEPT="application/json")
    assert set(response.cookies) <= {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
    script = (Path(settings.BASE_DIR) / "static/checkins/h5.js").read_text()
    assert not re.search(r"(localStorage|sessionStorage|indexedDB|caches)\s*[.\[]|document\.cookie", script)
    assert 'autocomplete="off"' in c.get(H5).content.decode()  # no autofill history of temperatures


def test_an_account_without_a_roster_entry_is_told_so(w):
    response = _client(w.enterprise_admin).get(H5)
    assert response.status_code == 200
    assert "not on a roster" in response.content.decode()
    assert _client(w.enterprise_admin).post(H5, _form()).status_code == 200
    assert not CheckIn.objects.exists()
