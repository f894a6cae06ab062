"""Proxy entry by a grid leader, personal links, and exemptions: what the leader sees and changes."""

import re
import uuid

from django.test import Client

from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import CheckIn, Exemption, PersonalLink
from fangkong.checkins.rollup import missing_people
from fangkong.checkins.views.proxy import today_of
from fangkong.ledger.models import Item
from tests import factories

HX = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def _row(no: str, **over):
    return {"id": str(uuid.uuid4()), "temperature": "36.6", **over}


def test_missing_people_come_first(w):
    dave = factories.person(w.grid1, "A0000", name="大卫")  # sorts before A0001 by number
    submit_checkin("test", dave, CheckinData(id=uuid.uuid4(), temperature=36.5), source="self")
    response = _client(w.grid_leader).get("/units/E1-G1/proxy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('id="row-A0001"') < html.index('id="row-A0000"')
    assert re.search(r'id="row-A0001" data-state="missing"', html)
    assert re.search(r'id="row-A0000" data-state="checked"', html)
    assert "鲍勃" not in html  # E1-G2 is not this grid
    assert "no-store" in response["Cache-Control"]


def test_scope_grid_leader_and_outsider_get_404(w):
    leader = _client(w.grid_leader)
    assert leader.get("/units/E1-G2/proxy/").status_code == 404
    assert leader.get("/units/E1/proxy/").status_code == 404
    assert leader.post("/units/E1-G1/proxy/B0001/checkin/", _row("B0001")).status_code == 404
    assert leader.get("/units/E1-G2/exemptions/").status_code == 404
    outsider = _client(w.outsider)
    for url in ("/units/E1/proxy/", "/units/E1-G1/proxy/", "/units/E1/exemptions/"):
        assert outsider.get(url).status_code == 404
    for url in ("/units/E1/proxy/A0001/checkin/", "/units/E1/proxy/A0001/link/", "/units/E1/exemptions/add/"):
        assert outsider.post(url, _row("A0001")).status_code == 404
    assert outsider.post("/units/E2/proxy/A0001/checkin/", _row("A0001")).status_code == 404
    assert not CheckIn.objects.exists() and not PersonalLink.objects.exists()
    # An employee's own role is no proxy role.
    assert _client(w.employee).get("/units/E1-G1/proxy/").status_code == 404


def test_a_row_saves_as_proxy_and_comes_back_with_its_state(w):
    leader = _client(w.grid_leader)
    body = _row("A0001", temperature="38.2")
    response = leader.post("/units/E1-G1/proxy/A0001/checkin/", body, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="checked"' in html and "state-red" in html and "red card" in html
    assert 'data-after="next"' in html  # the script moves on to the next missing person
    assert body["id"] not in html  # the row's next form has a new id (a correction)
    checkin = CheckIn.objects.get()
    assert (checkin.source, checkin.submitted_by, checkin.card) == ("proxy", w.grid_leader, "red")
    assert Item.objects.filter(person=w.alice, kind="health_anomaly").count() == 1
    again = leader.post("/units/E1-G1/proxy/A0001/checkin/", body, **HX)  # Enter pressed twice
    assert again.status_code == 200 and "Already saved" in again.content.decode()
    assert CheckIn.objects.count() == 1


def test_the_symptom_toggle_makes_a_red_card(w):
    _client(w.grid_leader).post("/units/E1-G1/proxy/A0001/checkin/", _row("A0001", symptoms="yes"), **HX)
    checkin = CheckIn.objects.get()
    assert checkin.card == "red" and checkin.symptoms == ["other"]


def test_without_javascript_a_row_redirects_back_to_the_list(w):
    response = _client(w.enterprise_admin).post("/units/E1/proxy/A0001/checkin/", _row("A0001"))
    assert response.status_code == 303
    assert response["Location"] == "/units/E1/proxy/#row-A0001"
    assert CheckIn.objects.get().card == "green"


def test_a_bad_temperature_is_shown_in_the_row_with_the_same_id(w):
    body = _row("A0001", temperature="45")
    response = _client(w.grid_leader).post("/units/E1-G1/proxy/A0001/checkin/", body, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "must be between 34.0 and 43.0" in html and body["id"] in html
    assert 'data-state="missing"' in html and 'data-after="self"' in html
    assert not CheckIn.objects.exists()


def test_personal_link_issued_once_works_and_revoke_stops_it(w):
    admin = _client(w.enterprise_admin)
    response = admin.post("/units/E1/proxy/A0001/link/")
    assert response.status_code == 200
    url = re.search(r'value="(http://testserver/h5/l/[^"]+/)"', response.content.decode()).group(1)
    phone = Client()
    assert phone.get(url).status_code == 302 and "艾丽" in phone.get("/h5/").content.decode()
    assert url not in admin.get("/units/E1/proxy/").content.decode()  # shown once, not kept on the page
    revoked = admin.post("/units/E1/proxy/A0001/link/revoke/", **HX)
    assert revoked.status_code == 200 and "Link revoked." in revoked.content.decode()
    assert phone.get("/h5/").status_code == 403
    assert Client().get(url).status_code == 403


def test_only_grid_leaders_and_enterprise_admins_hand_out_links(w):
    segment = _client(w.segment_admin)
    assert segment.get("/units/E1/proxy/").status_code == 200  # may enter check-ins
    assert "Personal link" not in segment.get("/units/E1/proxy/").content.decode()
    assert segment.post("/units/E1/proxy/A0001/link/").status_code == 404
    assert _client(w.grid_leader).post("/units/E1-G1/proxy/A0001/link/", **HX).status_code == 200
    assert _client(w.grid_leader).post("/units/E1-G1/proxy/B0001/link/").status_code == 404


def test_an_exemption_changes_the_state_and_cancelling_restores_it(w):
    leader = _client(w.grid_leader)
    day = today_of(w.grid1).isoformat()
    response = leader.post(
        "/units/E1-G1/exemptions/add/",
        {"employee_no": "A0001", "reason": "business_trip", "start": day, "end": day, "note": "Wuhan"},
    )
    assert response.status_code == 303
    exemption = Exemption.objects.get()
    assert re.search(
        r'id="row-A0001" data-state="exempt"', leader.get("/units/E1-G1/proxy/").content.decode()
    )
    assert w.alice not in missing_people(w.grid1, today_of(w.grid1))
    listing = leader.get("/units/E1-G1/exemptions/").content.decode()
    assert "艾丽" in listing and "business trip" in listing
    assert leader.post("/units/E1-G1/exemptions/cancel/", {"exemption": exemption.pk}).status_code == 303
    assert re.search(
        r'id="row-A0001" data-state="missing"', leader.get("/units/E1-G1/proxy/").content.decode()
    )
    assert w.alice in missing_people(w.grid1, today_of(w.grid1))
    assert "艾丽" not in leader.get("/units/E1-G1/exemptions/").content.decode()


def test_exemptions_refuse_people_and_exemptions_out_of_reach(w):
    leader = _client(w.grid_leader)
    response = leader.post(
        "/units/E1-G1/exemptions/add/",
        {"employee_no": "B0001", "reason": "leave", "start": "2030-01-01", "end": "2030-01-02"},
    )
    assert response.status_code == 422 and "Nobody with this employee number" in response.content.decode()
    bobs = Exemption.objects.create(
        person=w.bob, start=today_of(w.e1), end=today_of(w.e1), reason="leave", created_by="test"
    )
    assert leader.post("/units/E1-G1/exemptions/cancel/", {"exemption": bobs.pk}).status_code == 303
    bobs.refresh_from_db()
    assert bobs.cancelled_at is None


def test_exemption_form_names_the_bad_field(w):
    admin = _client(w.enterprise_admin)
    bad_date = admin.post(
        "/units/E1/exemptions/add/",
        {"employee_no": "A0001", "reason": "leave", "start": "soon", "end": "2030-01-01"},
    )
    assert bad_date.status_code == 422 and "From: Enter a date as YYYY-MM-DD." in bad_date.content.decode()
    backwards = admin.post(
        "/units/E1/exemptions/add/",
        {"employee_no": "A0001", "reason": "leave", "start": "2030-01-05", "end": "2030-01-01"},
    )
    assert backwards.status_code == 422 and "must not be before start" in backwards.content.decode()
    assert not Exemption.objects.exists()
