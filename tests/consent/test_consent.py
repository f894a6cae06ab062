"""Consent (PIPL): the notice accepted before the first check-in, withdrawal stops processing from
every source, the group's legal basis switches (recorded) and unblocks, new notice versions."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEntry
from fangkong.checkins import batch
from fangkong.checkins.actions import CheckinData, people_for_checkin, register_device, submit_checkin
from fangkong.checkins.models import CheckIn, Source, UnitDay
from fangkong.consent import actions, gate
from fangkong.consent.models import Acceptance, Basis, LegalBasis
from fangkong.org.actions import ActionError, create_token
from tests import factories

H5 = "/h5/"


def _client(user=None) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        c.force_login(user)
    return c


def _form(**over):
    return {"id": str(uuid.uuid4()), "temperature": "36.6", "where": "on_site", "location": "110105", **over}


def _api_body(person="A0001"):
    return {"id": str(uuid.uuid4()), "person": person, "temperature": 36.6}


def _bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _newcomer(w, employee_no="D0001"):
    """An employee with an account who has never accepted the notice."""
    dan = factories.person(w.grid1, employee_no, name="丹", accepted=False)
    dan.user = factories.user(employee_no.lower())
    dan.save(update_fields=["user"])
    return dan


def test_the_notice_is_accepted_before_the_first_check_in(w):
    dan = _newcomer(w)
    c = _client(dan.user)
    page = c.get(H5).content.decode()
    assert "Before your first check-in" in page and 'id="accept"' in page
    assert 'id="checkin"' not in page  # no check-in form before acceptance
    assert "Privacy notice of the prevention system (version 1)" in page
    # Posting the form anyway stores nothing and says why.
    refused = c.post(H5, _form())
    assert refused.status_code == 422 and "privacy notice" in refused.content.decode()
    assert not CheckIn.objects.filter(person=dan).exists()

    accepted = c.post("/consent/accept/")
    assert accepted.status_code == 302 and accepted["Location"] == H5
    row = Acceptance.objects.get(person=dan)
    assert (row.notice.version, row.channel, row.withdrawn_at) == (1, "h5", None)
    assert AuditEntry.objects.filter(action="consent.accept", object_id="D0001").exists()
    page = c.get(H5).content.decode()
    assert 'id="checkin"' in page and 'id="accept"' not in page
    assert c.post(H5, _form()).status_code == 302
    assert CheckIn.objects.filter(person=dan).count() == 1


def test_accepting_twice_keeps_one_standing_row(w):
    dan = _newcomer(w)
    c = _client(dan.user)
    c.post("/consent/accept/")
    c.post("/consent/accept/")
    assert Acceptance.objects.filter(person=dan).count() == 1


def test_withdrawal_needs_confirming_and_then_blocks_every_source(w):
    c = _client(w.employee)
    unconfirmed = c.post("/consent/withdraw/")
    assert unconfirmed.status_code == 400 and "Tick the box" in unconfirmed.content.decode()
    assert gate.has_standing(w.alice)
    assert c.post("/consent/withdraw/", {"confirm": "yes"}).status_code == 302
    assert not gate.has_standing(w.alice)
    assert AuditEntry.objects.filter(action="consent.withdraw", object_id="A0001").exists()
    mine = c.get("/consent/").content.decode()
    assert 'data-standing="no"' in mine and "withdrawn on" in mine

    # self, on the page: the notice again, no form; a posted form is refused
    page = c.get(H5).content.decode()
    assert "You withdrew your consent" in page and 'id="checkin"' not in page
    assert c.post(H5, _form()).status_code == 422
    # proxy, by the grid leader
    leader = _client(w.grid_leader)
    proxy = leader.post("/units/E1-G1/proxy/A0001/checkin/", {"id": str(uuid.uuid4()), "temperature": "36.6"})
    assert proxy.status_code == 422 and "withdrawn consent" in proxy.content.decode()
    # API, one check-in: 422 naming the field `person`
    api = _bearer(create_token("test", w.enterprise_admin)).post(
        "/api/v1/checkins", _api_body(), content_type="application/json"
    )
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "person"]
    assert "withdrawn consent" in api.json()["detail"][0]["msg"]
    # API batch: refused per item, bob (who consents) still stored
    items = [_api_body("A0001"), _api_body("B0001")]
    answer = _bearer(create_token("test", w.enterprise_admin)).post(
        "/api/v1/checkins/batch", items, content_type="application/json"
    )
    assert [r["status"] for r in answer.json()] == [422, 201]
    assert answer.json()[0]["detail"][0]["loc"] == ["body", "person"]
    # a device at the gate
    _, token = register_device("test", w.e1, "gate")
    device = _bearer(token).post("/api/v1/checkins", _api_body(), content_type="application/json")
    assert device.status_code == 422 and device.json()["detail"][0]["loc"] == ["body", "person"]
    # an import (the day upload stores through the same action)
    with pytest.raises(ActionError) as refused:
        submit_checkin(
            "test", w.alice, CheckinData(id=uuid.uuid4(), temperature=Decimal("36.6")), source=Source.IMPORT
        )
    assert refused.value.field == "person"

    assert not CheckIn.objects.filter(person=w.alice).exists()
    assert CheckIn.objects.filter(person=w.bob).count() == 1
    assert not UnitDay.objects.filter(unit=w.grid1, checked_in__gt=0).exists()  # nothing counted for alice


def test_a_batch_of_refused_people_stores_nothing(w):
    actions.withdraw("test", w.alice)
    actions.withdraw("test", w.bob)
    people = {p.employee_no: p for p in people_for_checkin(employee_nos=["A0001", "B0001"])}
    subs = [
        batch.Submission(
            i, people[no], CheckinData(id=uuid.uuid4(), temperature=Decimal("36.6")), Source.PROXY
        )
        for i, no in enumerate(["A0001", "B0001"])
    ]
    outcomes = batch.submit_many("test", subs)
    assert {(o.status, o.field) for o in outcomes.values()} == {(422, "person")}
    assert not CheckIn.objects.exists()


def test_a_replay_of_a_check_in_stored_before_the_withdrawal_is_still_answered(w):
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal("36.6"))
    first, created = submit_checkin("test", w.alice, data, source=Source.SELF)
    actions.withdraw("test", w.alice)
    again, created_again = submit_checkin("test", w.alice, data, source=Source.SELF)
    assert created and not created_again and again.pk == first.pk


def test_switching_the_basis_is_recorded_and_unblocks(w):
    actions.withdraw("test", w.alice)
    admin = _client(w.group_admin)
    no_reason = admin.post("/consent/admin/basis/", {"basis": "public_health_emergency", "reason": " "})
    assert no_reason.status_code == 400 and not LegalBasis.objects.exists()
    switched = admin.post(
        "/consent/admin/basis/",
        {"basis": "public_health_emergency", "reason": "city-wide outbreak, order 12"},
    )
    assert switched.status_code == 302
    row = LegalBasis.objects.get()
    assert (row.basis, row.effective_from, row.set_by) == (
        "public_health_emergency",
        timezone.localdate(),
        "group_admin",
    )
    audit = AuditEntry.objects.get(action="consent.basis.set")
    assert audit.detail["reason"] == "city-wide outbreak, order 12"
    assert gate.current_basis() == Basis.PUBLIC_HEALTH_EMERGENCY
    page = admin.get("/consent/admin/").content.decode()
    assert 'data-basis="public_health_emergency"' in page and "city-wide outbreak" in page

    # processing goes on for the person who withdrew (who has seen this notice version already)
    c = _client(w.employee)
    h5 = c.get(H5).content.decode()
    assert 'id="checkin"' in h5 and "You withdrew" not in h5
    assert c.post(H5, _form()).status_code == 302
    assert CheckIn.objects.filter(person=w.alice).count() == 1
    # back to consent: blocked again
    actions.set_basis("test", Basis.CONSENT, reason="emergency over")
    with pytest.raises(ActionError):
        submit_checkin(
            "test", w.alice, CheckinData(id=uuid.uuid4(), temperature=Decimal("36.6")), source=Source.SELF
        )


def test_a_basis_dated_ahead_is_not_in_force_yet(w):
    actions.set_basis(
        "test", Basis.EMPLOYMENT, reason="policy", effective_from=timezone.localdate() + timedelta(days=3)
    )
    assert gate.current_basis() == Basis.CONSENT
    with pytest.raises(ActionError) as past:
        actions.set_basis(
            "test", Basis.EMPLOYMENT, reason="x", effective_from=timezone.localdate() - timedelta(1)
        )
    assert past.value.field == "effective_from"


def test_under_another_basis_the_notice_is_shown_once(w):
    actions.set_basis("test", Basis.EMPLOYMENT, reason="HR management")
    dan = _newcomer(w, "D0002")
    c = _client(dan.user)
    page = c.get(H5).content.decode()
    assert "I have read it" in page and 'id="checkin"' in page  # informational, not blocking
    assert c.post(H5, _form()).status_code == 302  # processed without consent under this basis
    c.post("/consent/accept/")
    assert "I have read it" not in c.get(H5).content.decode()
    # having read the notice is not consent: back under consent, the person is asked to accept
    actions.set_basis("test", Basis.CONSENT, reason="HR basis ended")
    assert not gate.has_standing(dan)
    page = c.get(H5).content.decode()
    assert "Before your first check-in" in page and 'id="checkin"' not in page
    c.post("/consent/accept/")
    row = Acceptance.objects.get(person=dan)
    assert row.consented and gate.has_standing(dan)
    assert [e.action for e in AuditEntry.objects.filter(object_id="D0002", action__startswith="consent")] == [
        "consent.read",
        "consent.accept",
    ]


def test_a_new_notice_version_leaves_earlier_acceptances_standing(w):
    admin = _client(w.group_admin)
    empty = admin.post("/consent/admin/notice/", {"text_zh": "", "text_en": "x"})
    assert empty.status_code == 400
    assert (
        admin.post("/consent/admin/notice/", {"text_zh": "第二版", "text_en": "Version two"}).status_code
        == 302
    )
    assert AuditEntry.objects.filter(action="consent.notice.publish").count() == 1
    c = _client(w.employee)
    page = c.get(H5).content.decode()
    assert "The privacy notice has changed (version 2)" in page
    assert 'id="checkin"' in page  # the acceptance of v1 still stands for processing
    assert c.post(H5, _form()).status_code == 302
    c.post("/consent/accept/")
    assert set(Acceptance.objects.filter(person=w.alice).values_list("notice__version", flat=True)) == {1, 2}
    assert "has changed" not in c.get(H5).content.decode()


def test_a_personal_link_session_accepts_and_withdraws_for_its_person(w):
    from fangkong.checkins.actions import issue_link

    dan = factories.person(w.grid1, "D0003", name="丹", accepted=False)
    c = _client()
    c.get(f"/h5/l/{issue_link('test', dan)}/")
    assert c.post("/consent/accept/").status_code == 302
    assert Acceptance.objects.get(person=dan).submitted_by is None
    assert AuditEntry.objects.get(action="consent.accept").actor == "link:D0003"


def test_the_consent_admin_page_is_the_groups_only(w):
    for user in (w.enterprise_admin, w.segment_admin, w.employee):
        c = _client(user)
        assert c.get("/consent/admin/").status_code == 404
        assert c.post("/consent/admin/basis/", {"basis": "employment", "reason": "x"}).status_code == 404
    assert not LegalBasis.objects.exists()


def test_the_gate_reads_the_annotation_without_a_query(w, django_assert_num_queries):
    (person,) = people_for_checkin(employee_nos=["A0001"])
    gate.current_basis()
    with django_assert_num_queries(0):
        assert gate.may_process(person)
