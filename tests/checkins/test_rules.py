"""The health-card rule set page: group admins publish versions; check-ins keep the version they used."""

import uuid
from decimal import Decimal

import pytest
from django.test import Client

from fangkong.audit.models import AuditEntry
from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import RuleSet
from fangkong.checkins.rules import current_rules


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _checkin(p, temperature="37.1", **over):
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal(temperature), **over)
    return submit_checkin("test", p, data, source="self")[0]


def _publish(c, **over):
    form = {"fever_at": "37.0", "symptom_is_red": "1", "contact_is_yellow": "1", "risk_regions": "420000"}
    form.update(over)
    return c.post("/checkins/rules/publish/", {k: v for k, v in form.items() if v is not None})


def test_a_new_version_changes_later_cards_and_old_check_ins_keep_theirs(w):
    before = _checkin(w.alice, "37.1")
    assert (before.card, before.rule_version) == ("green", current_rules().version)
    c = _client(w.group_admin)
    response = _publish(c, note="lower threshold")
    assert response.status_code == 302
    rules = current_rules()
    assert (rules.version, rules.fever_at, rules.risk_regions) == (2, Decimal("37.0"), ["420000"])
    assert rules.created_by == "group_admin"
    after = _checkin(w.alice, "37.1")  # an amendment the same day
    assert (after.card, after.rule_version) == ("red", 2)
    travelled = _checkin(w.bob, "36.5", visited=["420106"])  # within the risk province
    assert travelled.card == "yellow"
    before.refresh_from_db()
    assert (before.card, before.rule_version) == ("green", 1)
    page = c.get("/checkins/rules/").content.decode()
    assert "lower threshold" in page and "group_admin" in page and "37.3" in page  # history keeps v1
    assert AuditEntry.objects.filter(action="rules.publish").count() == 1


def test_bad_values_are_refused_naming_the_field(w):
    c = _client(w.group_admin)
    current_rules()
    for over, field in (({"fever_at": "hot"}, "fever_at"), ({"fever_at": "41.0"}, "fever_at")):
        response = _publish(c, **over)
        assert response.status_code == 400 and field in response.context["errors"]
    response = _publish(c, risk_regions="999999")
    assert response.status_code == 400 and "999999" in response.context["errors"]["risk_regions"]
    unchanged = _publish(c, fever_at="37.3", risk_regions="")
    assert unchanged.status_code == 400
    assert "nothing to publish" in unchanged.content.decode() or "无需发布" in unchanged.content.decode()
    assert RuleSet.objects.count() == 1


def test_unchecked_boxes_turn_rules_off(w):
    _publish(_client(w.group_admin), fever_at="37.3", symptom_is_red=None, contact_is_yellow=None)
    assert _checkin(w.alice, "36.5", symptoms=["cough"], contact=True).card == "green"


@pytest.mark.parametrize("who", ["segment_admin", "enterprise_admin", "grid_leader", "outsider", "employee"])
def test_everyone_else_gets_404(w, who):
    c = _client(getattr(w, who))
    assert c.get("/checkins/rules/").status_code == 404
    assert _publish(c).status_code == 404
    assert RuleSet.objects.filter(version__gt=1).count() == 0


def test_a_superuser_may_publish(w):
    w.outsider.is_superuser = True
    w.outsider.save()
    assert _client(w.outsider).get("/checkins/rules/").status_code == 200
