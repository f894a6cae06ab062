"""The inbox (pages and API), and per unit its channels, reminder times and delivery record."""

import pytest

from fangkong.notify.api import notify
from fangkong.notify.models import Channel, Message, Schedule


@pytest.mark.django_db
def test_inbox_shows_unread_count_and_opening_marks_read(w, client):
    notify(
        "system",
        [w.grid_leader],
        subject="1 person in your grid has not checked in",
        body="艾丽",
        unit=w.grid1,
    )
    notify("system", [w.enterprise_admin], subject="not for the grid leader", body="x", unit=w.e1)
    client.force_login(w.grid_leader)
    page = client.get("/notify/").content.decode()
    assert 'id="nav-inbox"' in page and "not for the grid leader" not in page
    assert "1 person in your grid" in page
    msg = Message.objects.get(user=w.grid_leader)
    page = client.get(f"/notify/messages/{msg.uid}/").content.decode()
    assert "艾丽" in page
    msg.refresh_from_db()
    assert msg.read_at is None  # a GET changes nothing: the page posts its read receipt
    assert f'hx-post="/notify/messages/{msg.uid}/read/"' in page
    assert client.post(f"/notify/messages/{msg.uid}/read/", HTTP_HX_REQUEST="true").status_code == 204
    msg.refresh_from_db()
    assert msg.read_at is not None
    other = Message.objects.get(user=w.enterprise_admin)
    assert client.get(f"/notify/messages/{other.uid}/").status_code == 404
    assert client.post(f"/notify/messages/{other.uid}/read/").status_code == 404


@pytest.mark.django_db
def test_inbox_api(w, client):
    notify("system", [w.grid_leader], subject="a", body="b", unit=w.grid1)
    notify("system", [w.grid_leader], subject="c", body="d")
    client.force_login(w.grid_leader)
    got = client.get("/api/v1/notify/messages").json()
    assert (got["count"], got["unread"]) == (2, 2)
    uid = got["items"][0]["uid"]
    assert client.post(f"/api/v1/notify/messages/{uid}/read").json()["read_at"]
    assert client.get("/api/v1/notify/messages?unread=true").json()["count"] == 1
    assert client.get("/api/v1/notify/messages?unit=E1-G1").json()["count"] == 1
    assert (
        client.post("/api/v1/notify/messages/read-all", {}, content_type="application/json").json()["marked"]
        == 1
    )


@pytest.mark.django_db
def test_channels_are_configured_by_the_units_admins(w, client):
    client.force_login(w.enterprise_admin)
    bad = client.post(
        "/api/v1/units/E1/channels", {"kind": "dingtalk", "url": "ftp://x"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "url"
    ok = client.post(
        "/api/v1/units/E1/channels",
        {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "SEC1"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["signed"] is True and "secret" not in ok.json()
    page = client.post("/notify/units/E1/channels/add/", {"kind": "wecom", "url": "not a url"})
    assert page.status_code == 422 and "https://" in page.content.decode()
    uid = ok.json()["uid"]
    assert client.post(f"/api/v1/notify/channels/{uid}/deactivate").json()["active"] is False
    assert not Channel.objects.get(uid=uid).active
    client.force_login(w.grid_leader)  # not an admin: the unit's settings are not there for them
    assert client.get("/notify/units/E1-G1/channels/").status_code == 404


@pytest.mark.django_db
def test_reminder_times_set_switch_off_and_inherit(w, client):
    client.force_login(w.enterprise_admin)
    url = "/api/v1/units/E1/reminder-times/checkins.remind_people"
    rows = client.put(url, {"at": "07:45"}, content_type="application/json").json()
    assert {r["job"]: r["effective"] for r in rows}["checkins.remind_people"] == "07:45"
    assert client.put(url, {"at": "25:00"}, content_type="application/json").status_code == 422
    rows = client.put(url, {"enabled": False}, content_type="application/json").json()
    assert {r["job"]: r["effective"] for r in rows}["checkins.remind_people"] is None
    client.put(url, {"at": None}, content_type="application/json")
    assert not Schedule.objects.filter(unit=w.e1).exists()
    assert (
        client.put(
            "/api/v1/units/E1/reminder-times/nope", {"at": "07:00"}, content_type="application/json"
        ).status_code
        == 422
    )
    assert client.get("/notify/units/E1/schedules/").status_code == 200
    assert client.get("/notify/units/E1/deliveries/").status_code == 200
