"""Revealing an ID number or mobile: POST only, a reason, the person's officer only, logged."""

import pytest
from django.test import Client
from django.urls import reverse

from fangkong.audit.models import AuditEntry
from fangkong.privacy.models import AccessRecord

pytestmark = pytest.mark.django_db


def _client(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def _reveal(u, employee_no: str, field: str = "id_number", reason: str = "核对身份后发放通行证"):
    url = reverse("privacy_reveal", args=[employee_no])
    return _client(u).post(url, {"field": field, "reason": reason})


def test_the_officer_sees_the_full_value_once_and_the_access_is_logged_with_the_reason(w):
    response = _reveal(w.enterprise_admin, "A0001")
    assert response.status_code == 200
    assert w.alice.id_number in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    record = AccessRecord.objects.get()
    assert (record.action, record.actor, record.employee_no) == ("reveal", "e1_admin", "A0001")
    assert (record.reason, record.what, record.unit_code) == ("核对身份后发放通行证", "ID number", "E1-G1")
    audit = AuditEntry.objects.get(action="privacy.reveal")
    assert audit.object_id == "A0001" and audit.detail["field"] == "id_number"
    assert w.alice.id_number not in str(audit.detail)  # the audit row names the field, not the value
    mobile = _reveal(w.enterprise_admin, "B0001", field="mobile", reason="call about the fever")
    assert w.bob.mobile in mobile.content.decode() and w.bob.id_number not in mobile.content.decode()


def test_a_reveal_without_a_reason_is_refused_and_shows_nothing(w):
    for reason in ("", "   ", "ok"):
        response = _reveal(w.enterprise_admin, "A0001", reason=reason)
        assert response.status_code == 400
        body = response.content.decode()
        assert w.alice.id_number not in body and w.alice.mobile not in body
    assert _reveal(w.enterprise_admin, "A0001", field="name").status_code == 400
    assert not AccessRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="privacy.reveal").exists()


def test_the_reveal_is_post_only(w):
    client = _client(w.enterprise_admin)
    run = reverse("privacy_reveal", args=["A0001"])
    assert client.get(run, {"field": "id_number", "reason": "just looking"}).status_code == 405
    form = client.get(reverse("privacy_reveal_form", args=["A0001"]))
    assert form.status_code == 200
    body = form.content.decode()
    assert w.alice.id_number not in body and w.alice.id_number_masked in body
    assert not AccessRecord.objects.exists()  # showing the form reveals nothing


def test_out_of_scope_or_without_the_role_is_404_like_absent(w):
    absent = _reveal(w.outsider, "NOPE")
    assert absent.status_code == 404
    for u in (w.outsider, w.group_admin, w.segment_admin, w.grid_leader, w.tracker, w.employee):
        response = _reveal(u, "A0001")
        assert response.status_code == 404, u.username
        assert w.alice.id_number not in response.content.decode()
    assert _reveal(w.outsider, "A0001").content == absent.content
    assert _reveal(w.outsider, "C0001").status_code == 200  # its own enterprise's person
    assert list(AccessRecord.objects.values_list("actor", "employee_no")) == [("outsider", "C0001")]


def test_the_roster_offers_the_reveal_control_to_the_officer_only(w):
    url = reverse("roster", args=["E1"])
    link = reverse("privacy_reveal_form", args=["A0001"])
    assert link in _client(w.enterprise_admin).get(url).content.decode()
    assert link not in _client(w.grid_leader).get(reverse("roster", args=["E1-G1"])).content.decode()
    assert link not in _client(w.group_admin).get(url).content.decode()
