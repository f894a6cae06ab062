"""The access log: written where personal data is served, append-only, read by data-protection
officers only, within the subtree of the unit they are granted on."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from fangkong.org.models import Role, RoleGrant
from fangkong.privacy.actions import log_access
from fangkong.privacy.models import AccessRecord
from tests.factories import user
from tests.ledger.helpers import open_item
from tests.route_tables import PAGES
from tests.route_tables.privacy import officer

pytestmark = pytest.mark.django_db

LOG = reverse("privacy_access_log")
EXPORT = reverse("privacy_access_log_export")


def _client(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def _records(**filters) -> list[tuple[str, str, str]]:
    return list(AccessRecord.objects.filter(**filters).values_list("actor", "action", "employee_no"))


def test_viewing_a_health_item_and_exporting_personal_data_are_logged(w):
    item = open_item(w.grid1, person=w.alice)
    admin = _client(w.enterprise_admin)
    assert admin.get(reverse("ledger_item", args=[item.uid])).status_code == 200
    assert _records(action="view_health") == [("e1_admin", "view_health", "A0001")]
    assert AccessRecord.objects.get(action="view_health").unit_path == w.grid1.path
    # The tracker sees no detail of this item: nothing to log.
    assert admin.get(reverse("roster_export", args=["E1"])).status_code == 200
    assert admin.get(reverse("checkins_cards", args=["E1"])).status_code == 200
    assert admin.get(reverse("checkins_cards_export", args=["E1"])).status_code == 200
    assert admin.get(reverse("checkins_missing_export", args=["E1"])).status_code == 200
    assert admin.get(reverse("ledger_export")).status_code == 200
    exports = AccessRecord.objects.filter(action="export").order_by("id")
    assert [(r.unit_code, r.what.split()[0]) for r in exports] == [
        ("E1", "roster"),
        ("E1", "cards"),
        ("E1", "missing"),
        ("E1", "ledger"),
    ]
    assert _records(action="view_health", unit_code="E1") == [("e1_admin", "view_health", "")]  # cards
    # The same list through the API is logged the same way.
    assert admin.get("/api/v1/units/E1/cards").status_code == 200
    assert AccessRecord.objects.filter(action="view_health", unit_code="E1", what="cards (API)").count() == 1


def test_only_the_data_protection_officer_reads_the_log_within_its_subtree(w):
    log_access(w.enterprise_admin, "reveal", person=w.alice, what="ID number", reason="发放通行证")
    log_access(w.outsider, "view_health", person=w.carol, what="ledger item")
    dpo = officer(w)
    page = _client(dpo).get(LOG)
    assert page.status_code == 200
    body = page.content.decode()
    assert "A0001" in body and "发放通行证" in body
    assert "C0001" not in body and "outsider" not in body  # E2 is outside the officer's subtree
    root = user("root", None)
    root.is_superuser = True
    root.save()
    for u in (w.group_admin, w.segment_admin, w.enterprise_admin, w.outsider, w.employee, root):
        assert _client(u).get(LOG).status_code == 404, u.username
        assert _client(u).get(EXPORT).status_code == 404, u.username
    # A group-level officer reads the whole group's log.
    group_dpo = user("dpo_group", Role.DATA_PROTECTION, w.group)
    assert "C0001" in _client(group_dpo).get(LOG).content.decode()


def test_the_pages_of_kind_dpo_are_404_to_every_other_persona(w):
    names = [n for n, call in PAGES.items() if call.kind == "dpo"]
    assert names
    for name in names:
        for u in (w.group_admin, w.enterprise_admin, w.outsider, w.grid_leader):
            assert _client(u).get(reverse(name)).status_code == 404, (name, u.username)


def test_the_log_filters_and_its_export_is_logged_too(w):
    log_access(w.enterprise_admin, "reveal", person=w.alice, what="ID number", reason="发放通行证")
    log_access(w.grid_leader, "export", unit=w.grid1, what="roster")
    log_access(w.enterprise_admin, "view_health", person=w.bob, what="ledger item")
    client = _client(officer(w))

    def shown(**q) -> set[tuple[str, str]]:
        return {(r.actor, r.action) for r in client.get(LOG, q).context["page"]}

    assert shown(action="reveal") == {("e1_admin", "reveal")}
    assert shown(actor="grid_leader") == {("grid_leader", "export")}
    assert shown(employee_no="B0001") == {("e1_admin", "view_health")}
    assert shown(**{"from": "2000-01-01", "to": "2000-12-31"}) == set()
    assert len(shown()) == 3
    response = client.get(EXPORT, {"action": "reveal"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and "A0001" in rows[1] and "发放通行证" in rows[1]
    assert _records(actor="dpo_e1") == [("dpo_e1", "export", "")]  # the officer's own export


def test_the_log_is_append_only_in_the_database(w):
    log_access(w.enterprise_admin, "reveal", person=w.alice, what="ID number", reason="check")
    for sql in ("UPDATE privacy_accessrecord SET actor = 'mallory'", "DELETE FROM privacy_accessrecord"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert _records() == [("e1_admin", "reveal", "A0001")]


def test_the_role_is_granted_from_the_command_line(w):
    call_command(
        "user",
        "create",
        "dpo_cli",
        "--role",
        "data_protection",
        "--unit",
        "E1",
        "--password",
        "pw-Secret-123",
    )
    grant = RoleGrant.objects.get(user__username="dpo_cli")
    assert (grant.role, grant.unit.code) == ("data_protection", "E1")
    client = _client(grant.user)
    assert reverse("privacy_access_log") in client.get(reverse("home")).content.decode()  # the nav link
    assert reverse("privacy_access_log") not in _client(w.group_admin).get(reverse("home")).content.decode()
